"""Notes: each belongs to its owner; administrators may read, change and delete any of them."""

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.deps import CurrentUser, SessionDep
from app.models import Note, User
from app.schemas import NoteCreate, NoteOut, NoteUpdate

router = APIRouter(prefix="/notes", tags=["notes"])


def _out(note: Note, owner: str) -> NoteOut:
    return NoteOut(id=note.id, title=note.title, body=note.body, owner=owner)


def _get_visible(db: Session, user: User, note_id: int) -> tuple[Note, str]:
    """The note and its owner's name, if this user may see it. Someone else's note is 404, not 403:
    the answer must not confirm that the id exists."""
    query = select(Note, User.username).join(User, User.id == Note.owner_id).where(Note.id == note_id)
    row = db.execute(query).first()
    if row is None or (row.Note.owner_id != user.id and user.role != "admin"):
        raise HTTPException(status_code=404, detail="Note not found")
    return row.Note, row.username


@router.post("", status_code=status.HTTP_201_CREATED)
def create_note(body: NoteCreate, user: CurrentUser, db: SessionDep) -> NoteOut:
    note = Note(owner_id=user.id, title=body.title, body=body.body)
    db.add(note)
    db.commit()
    return _out(note, user.username)


@router.get("")
def list_notes(user: CurrentUser, db: SessionDep) -> list[NoteOut]:
    notes = db.scalars(select(Note).where(Note.owner_id == user.id).order_by(Note.id)).all()
    return [_out(note, user.username) for note in notes]


@router.get("/{note_id}")
def read_note(note_id: int, user: CurrentUser, db: SessionDep) -> NoteOut:
    return _out(*_get_visible(db, user, note_id))


@router.patch("/{note_id}")
def update_note(note_id: int, body: NoteUpdate, user: CurrentUser, db: SessionDep) -> NoteOut:
    note, owner = _get_visible(db, user, note_id)
    for field, value in body.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(note, field, value)
    db.commit()
    return _out(note, owner)


@router.delete("/{note_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_note(note_id: int, user: CurrentUser, db: SessionDep) -> None:
    note, _ = _get_visible(db, user, note_id)
    db.delete(note)
    db.commit()
