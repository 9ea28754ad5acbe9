"""Notes as JSON, and importing a note from a URL."""

import urllib.request

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel

from app import crud
from app.api.deps import CurrentUser, DbConn, OptionalUser

router = APIRouter(prefix="/api/notes", tags=["notes"])


class NoteIn(BaseModel):
    title: str
    body: str = ""
    private: bool = False


class NoteUpdate(BaseModel):
    title: str | None = None
    body: str | None = None
    private: bool | None = None


class ImportIn(BaseModel):
    url: str
    title: str | None = None
    private: bool = False


@router.get("")
def list_notes(conn: DbConn, user: OptionalUser, q: str = "") -> list[dict]:
    return crud.search_notes(conn, user["id"] if user else None, q)


@router.post("", status_code=201)
def create_note(body: NoteIn, user: CurrentUser, conn: DbConn) -> dict:
    return crud.create_note(conn, user["id"], body.title, body.body, body.private)


@router.get("/{note_id}")
def get_note(note_id: int, conn: DbConn) -> dict:
    note = crud.get_note(conn, note_id)
    if note is None:
        raise HTTPException(status_code=404, detail="no such note")
    return note


@router.patch("/{note_id}")
def update_note(note_id: int, body: NoteUpdate, user: CurrentUser, conn: DbConn) -> dict:
    note = crud.update_note(conn, note_id, body.model_dump())
    if note is None:
        raise HTTPException(status_code=404, detail="no such note")
    return note


@router.delete("/{note_id}", status_code=204)
def delete_note(note_id: int, user: CurrentUser, conn: DbConn) -> Response:
    if crud.get_note(conn, note_id) is None:
        raise HTTPException(status_code=404, detail="no such note")
    crud.delete_note(conn, note_id)
    return Response(status_code=204)


@router.post("/import", status_code=201)
def import_note(body: ImportIn, user: CurrentUser, conn: DbConn) -> dict:
    try:
        with urllib.request.urlopen(body.url, timeout=5) as upstream:
            text = upstream.read(64 * 1024).decode("utf-8", "replace")
    except Exception as exc:
        raise HTTPException(status_code=502, detail=f"could not fetch {body.url}: {exc}") from exc
    return crud.create_note(conn, user["id"], body.title or body.url, text, body.private)
