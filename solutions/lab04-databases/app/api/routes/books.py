from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from app.api import pagination
from app.api.deps import MAX_ID, IdPath, SessionDep
from app.models import Book, Tag
from app.schemas import BookIn, BookOut, BookPage

router = APIRouter(prefix="/books", tags=["books"])

# Load a page of books with their author and tags in three queries whatever the page size
# (selectinload: one "WHERE id IN (...)" per relation), instead of two more queries per book.
WITH_RELATIONS = (selectinload(Book.author), selectinload(Book.tags))


def _load(session: SessionDep, book_id: int) -> Book | None:
    return session.scalars(select(Book).where(Book.id == book_id).options(*WITH_RELATIONS)).first()


def _reload(session: SessionDep, book_id: int) -> Book:
    """A book this request has just written: it exists (one() says so loudly if it does not)."""
    return session.scalars(select(Book).where(Book.id == book_id).options(*WITH_RELATIONS)).one()


@router.post("", status_code=201, response_model=BookOut)
def create_book(body: BookIn, session: SessionDep) -> Book:
    tags: list[Tag] = []
    if body.tags:
        names = set(body.tags)
        tags = list(session.scalars(select(Tag).where(Tag.name.in_(names))))
        missing = names - {tag.name for tag in tags}
        if missing:
            raise HTTPException(status_code=422, detail=f"Unknown tags: {sorted(missing)}.")
    book = Book(
        title=body.title,
        isbn=body.isbn,
        author_id=body.author_id,
        published_year=body.published_year,
        tags=tags,
    )
    session.add(book)
    # The database decides: a taken isbn (unique) is a 409, an unknown author (foreign key) a 422.
    session.commit()
    return _reload(session, book.id)


@router.get("", response_model=BookPage)
def list_books(
    session: SessionDep,
    author_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    title_prefix: Annotated[str | None, Query(min_length=1, max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> BookPage:
    query = select(Book).options(*WITH_RELATIONS).order_by(Book.id).limit(limit + 1)
    if author_id is not None:
        query = query.where(Book.author_id == author_id)
    if tag is not None:
        query = query.where(Book.tags.any(Tag.name == tag))
    if title_prefix is not None:
        # A bound parameter, with %, _ and the escape character escaped: the prefix is taken literally.
        query = query.where(Book.title.startswith(title_prefix, autoescape=True))
    if cursor is not None:
        query = query.where(Book.id > pagination.decode_id(cursor))  # keyset: after the last id seen
    books = list(session.scalars(query))
    more = len(books) > limit
    books = books[:limit]
    next_cursor = pagination.encode({"id": books[-1].id}) if more else None
    return BookPage(items=[BookOut.model_validate(book) for book in books], next_cursor=next_cursor)


@router.get("/{book_id}", response_model=BookOut)
def get_book(book_id: IdPath, session: SessionDep) -> Book:
    book = _load(session, book_id)
    if book is None:
        raise HTTPException(status_code=404, detail="No such book.")
    return book


@router.delete("/{book_id}", status_code=204)
def delete_book(book_id: IdPath, session: SessionDep) -> Response:
    # Reviews, tag links, stock and transfers go with the book: ON DELETE CASCADE in the schema.
    deleted = session.execute(delete(Book).where(Book.id == book_id).returning(Book.id)).first()
    session.commit()
    if deleted is None:
        raise HTTPException(status_code=404, detail="No such book.")
    return Response(status_code=204)
