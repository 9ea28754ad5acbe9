"""Dependencies shared by the routes: the database connection, the logged-in user, note access."""

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from app import crud
from app.core.db import Conn, Row, get_conn
from app.core.sessions import Session, load_session

DbConn = Annotated[Conn, Depends(get_conn)]


def current_session(request: Request, conn: DbConn) -> Session | None:
    session = load_session(conn, request)
    request.state.session = session  # render() puts its CSRF token in the page's forms
    return session


OptionalSession = Annotated[Session | None, Depends(current_session)]


def optional_user(conn: DbConn, session: OptionalSession) -> Row | None:
    return crud.get_user(conn, session.user_id) if session is not None else None


OptionalUser = Annotated[Row | None, Depends(optional_user)]


def current_user(user: OptionalUser) -> Row:
    if user is None:
        raise HTTPException(status_code=401, detail="log in first")
    return user


CurrentUser = Annotated[Row, Depends(current_user)]


def visible_note(conn: Conn, note_id: int, user: Row | None) -> Row:
    """The note if this user may see it; 404 otherwise, so that private notes do not even exist for others."""
    note = crud.get_note(conn, note_id)
    if note is None or (note["private"] and (user is None or note["owner_id"] != user["id"])):
        raise HTTPException(status_code=404, detail="no such note")
    return note


def owned_note(conn: Conn, note_id: int, user: Row) -> Row:
    """The note if this user owns it; 403 for someone else's public note."""
    note = visible_note(conn, note_id, user)
    if note["owner_id"] != user["id"]:
        raise HTTPException(status_code=403, detail="this note is not yours")
    return note
