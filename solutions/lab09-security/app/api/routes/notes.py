"""Notes as JSON, and importing a note from a URL."""

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, Field

from app import crud
from app.api.deps import CurrentUser, DbConn, OptionalUser, owned_note, visible_note
from app.core.db import Row
from app.core.fetch import FetchFailed, FetchRefused, fetch_text

router = APIRouter(prefix="/api/notes", tags=["notes"])


class NoteIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=20000)
    private: bool = False


class NoteUpdate(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    body: str | None = Field(default=None, max_length=20000)
    private: bool | None = None


class ImportIn(BaseModel):
    url: str = Field(max_length=2000)
    title: str | None = Field(default=None, max_length=200)
    private: bool = False


@router.get("")
def list_notes(conn: DbConn, user: OptionalUser, q: str = "") -> list[Row]:
    return crud.search_notes(conn, user["id"] if user else None, q)


@router.post("", status_code=201)
def create_note(body: NoteIn, user: CurrentUser, conn: DbConn) -> Row:
    return crud.create_note(conn, user["id"], body.title, body.body, body.private)


@router.get("/{note_id}")
def get_note(note_id: int, user: OptionalUser, conn: DbConn) -> Row:
    return visible_note(conn, note_id, user)


@router.patch("/{note_id}")
def update_note(note_id: int, body: NoteUpdate, user: CurrentUser, conn: DbConn) -> Row:
    owned_note(conn, note_id, user)
    note = crud.update_note(conn, note_id, body.model_dump())
    if note is None:  # deleted by its owner while this request ran
        raise HTTPException(status_code=404, detail="no such note")
    return note


@router.delete("/{note_id}", status_code=204)
def delete_note(note_id: int, user: CurrentUser, conn: DbConn) -> Response:
    owned_note(conn, note_id, user)
    crud.delete_note(conn, note_id)
    return Response(status_code=204)


@router.post("/import", status_code=201)
def import_note(body: ImportIn, user: CurrentUser, conn: DbConn) -> Row:
    try:
        text = fetch_text(body.url)
    except FetchRefused as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    except FetchFailed as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None
    return crud.create_note(conn, user["id"], body.title or body.url[:200], text, body.private)
