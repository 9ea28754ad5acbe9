"""Dependencies shared by the routes: the database connection and the logged-in user."""

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from app import crud
from app.core.db import Conn, get_conn
from app.core.security import SESSION_COOKIE, read_session

DbConn = Annotated[Conn, Depends(get_conn)]


def optional_user(request: Request, conn: DbConn) -> dict | None:
    user_id = read_session(request.cookies.get(SESSION_COOKIE)).get("user_id")
    return crud.get_user(conn, user_id) if user_id is not None else None


OptionalUser = Annotated[dict | None, Depends(optional_user)]


def current_user(user: OptionalUser) -> dict:
    if user is None:
        raise HTTPException(status_code=401, detail="log in first")
    return user


CurrentUser = Annotated[dict, Depends(current_user)]
