"""Authors, tags, books and reviews: hand-written SQL, bound parameters only."""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Response
from pydantic import BaseModel, Field

from app.db import MAX_ID, Db, book_cursor, like_prefix, not_found, parse_review_cursor, review_cursor

router = APIRouter()
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
RefId = Annotated[int, Field(ge=1, le=MAX_ID)]


class NewAuthor(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]


class NewTag(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=50)]


class NewBook(BaseModel):
    title: Annotated[str, Field(min_length=1, max_length=300)]
    isbn: Annotated[str, Field(min_length=1, max_length=20)]
    author_id: RefId
    published_year: Annotated[int, Field(ge=1, le=9999)] | None = None
    tags: list[Annotated[str, Field(min_length=1, max_length=50)]] = []


class NewReview(BaseModel):
    rating: Annotated[int, Field(ge=1, le=5)]
    body: Annotated[str, Field(max_length=2000)] = ""


# One statement for a page of books, their authors and their tags: a join for the author, a
# correlated array_agg for the tags. {where} is built from fixed fragments only; values are bound.
BOOKS_PAGE = """
    SELECT b.id, b.title, b.isbn, b.published_year, a.id AS author_id, a.name AS author_name,
           coalesce((SELECT array_agg(t.name ORDER BY t.name)
                     FROM book_tags bt JOIN tags t ON t.id = bt.tag_id
                     WHERE bt.book_id = b.id), '{{}}') AS tag_names
    FROM books b JOIN authors a ON a.id = b.author_id
    WHERE {where}
    ORDER BY b.id
    LIMIT %(limit)s
"""


def _book(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "title": row["title"],
        "isbn": row["isbn"],
        "published_year": row["published_year"],
        "author": {"id": row["author_id"], "name": row["author_name"]},
        "tags": list(row["tag_names"]),
    }


@router.post("/authors", status_code=201)
def create_author(body: NewAuthor, db: Db) -> dict[str, Any]:
    row = db.execute("INSERT INTO authors (name) VALUES (%s) RETURNING id, name", [body.name]).fetchone()
    return row


@router.get("/authors/{author_id}")
def get_author(author_id: Id, db: Db) -> dict[str, Any]:
    row = db.execute("SELECT id, name FROM authors WHERE id = %s", [author_id]).fetchone()
    if row is None:
        raise not_found("author")
    return row


@router.delete("/authors/{author_id}", status_code=204)
def delete_author(author_id: Id, db: Db) -> Response:
    if db.execute("SELECT 1 FROM authors WHERE id = %s", [author_id]).fetchone() is None:
        raise not_found("author")
    if db.execute("SELECT 1 FROM books WHERE author_id = %s LIMIT 1", [author_id]).fetchone():
        raise HTTPException(409, "the author has books")
    db.execute("DELETE FROM authors WHERE id = %s", [author_id])  # a book added meanwhile: FK error, 409/422
    return Response(status_code=204)


@router.post("/tags", status_code=201)
def create_tag(body: NewTag, db: Db) -> dict[str, Any]:
    row = db.execute("INSERT INTO tags (name) VALUES (%s) RETURNING id, name", [body.name]).fetchone()
    return row


@router.delete("/tags/{tag_id}", status_code=204)
def delete_tag(tag_id: Id, db: Db) -> Response:
    if db.execute("DELETE FROM tags WHERE id = %s RETURNING id", [tag_id]).fetchone() is None:
        raise not_found("tag")
    return Response(status_code=204)


def _one_book(db: Db, book_id: int) -> dict[str, Any] | None:
    row = db.execute(BOOKS_PAGE.format(where="b.id = %(id)s"), {"id": book_id, "limit": 1}).fetchone()
    return _book(row) if row else None


@router.post("/books", status_code=201)
def create_book(body: NewBook, db: Db) -> dict[str, Any]:
    names = sorted(set(body.tags))
    tag_ids = [r["id"] for r in db.execute("SELECT id FROM tags WHERE name = ANY(%s)", [names]).fetchall()]
    if len(tag_ids) != len(names):
        raise HTTPException(422, "unknown tag")
    with db.transaction():
        book_id = db.execute(
            "INSERT INTO books (title, isbn, author_id, published_year) VALUES (%s, %s, %s, %s) RETURNING id",
            [body.title, body.isbn, body.author_id, body.published_year],
        ).fetchone()["id"]
        db.execute(
            "INSERT INTO book_tags (tag_id, book_id) SELECT unnest(%s::bigint[]), %s", [tag_ids, book_id]
        )
    return _one_book(db, book_id)


@router.get("/books")
def list_books(
    db: Db,
    author_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    title_prefix: Annotated[str | None, Query(min_length=1, max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> dict[str, Any]:
    where, params = ["TRUE"], {"limit": limit + 1}
    if author_id is not None:
        where.append("b.author_id = %(author_id)s")
        params["author_id"] = author_id
    if tag is not None:
        where.append(
            "EXISTS (SELECT 1 FROM book_tags bt JOIN tags t ON t.id = bt.tag_id"
            " WHERE bt.book_id = b.id AND t.name = %(tag)s)"
        )
        params["tag"] = tag
    if title_prefix is not None:
        where.append("b.title LIKE %(pattern)s")
        params["pattern"] = like_prefix(title_prefix)
    if cursor is not None:
        where.append("b.id > %(after)s")
        params["after"] = book_cursor(cursor)
    rows = db.execute(BOOKS_PAGE.format(where=" AND ".join(where)), params).fetchall()
    items = [_book(row) for row in rows[:limit]]
    return {"items": items, "next_cursor": str(items[-1]["id"]) if len(rows) > limit else None}


@router.get("/books/{book_id}")
def get_book(book_id: Id, db: Db) -> dict[str, Any]:
    book = _one_book(db, book_id)
    if book is None:
        raise not_found("book")
    return book


@router.delete("/books/{book_id}", status_code=204)
def delete_book(book_id: Id, db: Db) -> Response:
    if db.execute("DELETE FROM books WHERE id = %s RETURNING id", [book_id]).fetchone() is None:
        raise not_found("book")
    return Response(status_code=204)


def _review(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "created_at": row["created_at"].isoformat()}


@router.post("/books/{book_id}/reviews", status_code=201)
def create_review(book_id: Id, body: NewReview, db: Db) -> dict[str, Any]:
    if db.execute("SELECT 1 FROM books WHERE id = %s", [book_id]).fetchone() is None:
        raise not_found("book")
    row = db.execute(
        "INSERT INTO reviews (book_id, rating, body) VALUES (%s, %s, %s)"
        " RETURNING id, book_id, rating, body, created_at",
        [book_id, body.rating, body.body],
    ).fetchone()
    return _review(row)


@router.get("/books/{book_id}/reviews")
def list_reviews(
    book_id: Id, db: Db, limit: Annotated[int, Query(ge=1, le=100)] = 20, cursor: str | None = None
) -> dict[str, Any]:
    if db.execute("SELECT 1 FROM books WHERE id = %s", [book_id]).fetchone() is None:
        raise not_found("book")
    if cursor is None:
        rows = db.execute(
            "SELECT id, book_id, rating, body, created_at FROM reviews WHERE book_id = %s"
            " ORDER BY created_at DESC, id DESC LIMIT %s",
            [book_id, limit + 1],
        ).fetchall()
    else:
        created_at, review_id = parse_review_cursor(cursor)
        rows = db.execute(
            "SELECT id, book_id, rating, body, created_at FROM reviews"
            # created_at <= the cursor's bounds the index scan; the OR breaks ties by id
            " WHERE book_id = %s AND created_at <= %s AND (created_at < %s OR id < %s)"
            " ORDER BY created_at DESC, id DESC LIMIT %s",
            [book_id, created_at, created_at, review_id, limit + 1],
        ).fetchall()
    page = rows[:limit]
    next_cursor = review_cursor(page[-1]["created_at"], page[-1]["id"]) if len(rows) > limit else None
    return {"items": [_review(r) for r in page], "next_cursor": next_cursor}
