"""Dependencies shared by the routes: the database connection, the logged-in user, note access."""

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from app import crud
from app.core.db import Conn, get_conn

DbConn = Annotated[Conn, Depends(get_conn)]


def optional_user(request: Request, conn: DbConn) -> dict | None:
    user_id = request.session.get("user_id")
    return crud.get_user(conn, user_id) if user_id is not None else None


OptionalUser = Annotated[dict | None, Depends(optional_user)]


def current_user(user: OptionalUser) -> dict:
    if user is None:
        raise HTTPException(status_code=401, detail="log in first")
    return user


CurrentUser = Annotated[dict, Depends(current_user)]


def visible_note(conn: Conn, note_id: int, user: dict | None) -> dict:
    """The note if this user may see it; 404 otherwise, so that private notes do not even exist for others."""
    note = crud.get_note(conn, note_id)
    if note is None or (note["private"] and (user is None or note["owner_id"] != user["id"])):
        raise HTTPException(status_code=404, detail="no such note")
    return note


def owned_note(conn: Conn, note_id: int, user: dict) -> dict:
    """The note if this user owns it; 403 for someone else's public note."""
    note = visible_note(conn, note_id, user)
    if note["owner_id"] != user["id"]:
        raise HTTPException(status_code=403, detail="this note is not yours")
    return note
