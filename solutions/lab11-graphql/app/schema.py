"""The GraphQL schema of the contract, in Strawberry."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import AsyncGenerator, Callable
from datetime import datetime
from enum import Enum
from functools import partial
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.types import Info

from app import db
from app.cost import CostLimiter

MAX_PAGE = 50
MAX_DEPTH = 8  # levels of fields, the root field being level 1
MAX_ALIASES = 20


def error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def to_int(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 18 else None


@strawberry.enum
class Genre(Enum):
    FICTION = "FICTION"
    NONFICTION = "NONFICTION"
    POETRY = "POETRY"


@strawberry.interface
class Node:
    id: strawberry.ID
    created_at: datetime


@strawberry.type
class Author(Node):
    name: str
    _email: strawberry.Private[str]

    @classmethod
    def of(cls, row: db.Row) -> Author:
        return cls(
            id=strawberry.ID(str(row["id"])),
            created_at=row["created_at"],
            name=row["name"],
            _email=row["email"],
        )

    @strawberry.field
    def email(self, info: Info) -> str | None:
        if info.context["viewer"] != int(self.id):
            raise error("Only the author may read their email.", "FORBIDDEN")
        return self._email

    @strawberry.field
    async def books(self, info: Info) -> list[Book]:
        rows = await info.context["loaders"].books_of_author.load(int(self.id))
        return [Book.of(row) for row in rows]


@strawberry.type
class Book(Node):
    title: str
    subtitle: str | None
    genre: Genre
    published_at: datetime
    _author_id: strawberry.Private[int]

    @classmethod
    def of(cls, row: db.Row) -> Book:
        return cls(
            id=strawberry.ID(str(row["id"])),
            created_at=row["created_at"],
            title=row["title"],
            subtitle=row["subtitle"],
            genre=Genre(row["genre"]),
            published_at=row["published_at"],
            _author_id=row["author_id"],
        )

    @strawberry.field
    async def author(self, info: Info) -> Author:
        return Author.of(await info.context["loaders"].author.load(self._author_id))


SearchResult = Annotated[Author | Book, strawberry.union("SearchResult")]


@strawberry.type
class BookEdge:
    cursor: str
    node: Book


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class BookConnection:
    edges: list[BookEdge]
    page_info: PageInfo


def encode_cursor(book_id: int) -> str:
    return base64.urlsafe_b64encode(f"book:{book_id}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
    except (binascii.Error, UnicodeError, ValueError):
        kind, value = "", ""
    book_id = to_int(value)
    if kind != "book" or book_id is None:
        raise error("That cursor is not one this API gave.", "BAD_USER_INPUT")
    return book_id


@strawberry.type
class Query:
    @strawberry.field
    async def author(self, id: strawberry.ID, info: Info) -> Author | None:  # noqa: A002 (the schema names it id)
        author_id = to_int(id)
        row = None if author_id is None else await info.context["loaders"].author.load(author_id)
        return None if row is None else Author.of(row)

    @strawberry.field
    async def book(self, id: strawberry.ID) -> Book | None:  # noqa: A002 (the schema names it id)
        book_id = to_int(id)
        rows = [] if book_id is None else await db.fetch("SELECT * FROM books WHERE id = %s", (book_id,))
        return Book.of(rows[0]) if rows else None

    @strawberry.field
    async def books(
        self, first: int = 10, after: str | None = None, author_id: strawberry.ID | None = None
    ) -> BookConnection:
        if not 1 <= first <= MAX_PAGE:
            raise error(f"first must be between 1 and {MAX_PAGE}.", "BAD_USER_INPUT")
        before = decode_cursor(after) if after is not None else None
        author = to_int(author_id) if author_id is not None else None
        if author_id is not None and author is None:
            return BookConnection(edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None))
        rows = await db.fetch(
            "SELECT * FROM books WHERE (%(before)s::bigint IS NULL OR id < %(before)s)"
            " AND (%(author)s::bigint IS NULL OR author_id = %(author)s) ORDER BY id DESC LIMIT %(limit)s",
            {"before": before, "author": author, "limit": first + 1},  # type: ignore[arg-type]
        )
        edges = [BookEdge(cursor=encode_cursor(row["id"]), node=Book.of(row)) for row in rows[:first]]
        return BookConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None
            ),
        )

    @strawberry.field
    async def search(self, text: str) -> list[SearchResult] | None:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        authors = await db.fetch("SELECT * FROM authors WHERE name ILIKE %s ORDER BY id", (pattern,))
        books = await db.fetch("SELECT * FROM books WHERE title ILIKE %s ORDER BY id", (pattern,))
        return [Author.of(row) for row in authors] + [Book.of(row) for row in books]


# One queue per open subscription: createBook puts each new book into every queue, in creation order.
listeners: set[asyncio.Queue[db.Row]] = set()


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def book_added(self, author_id: strawberry.ID | None = None) -> AsyncGenerator[Book, None]:
        queue: asyncio.Queue[db.Row] = asyncio.Queue()
        listeners.add(queue)
        try:
            while True:
                row = await queue.get()
                if author_id is None or str(row["author_id"]) == author_id:
                    yield Book.of(row)
        finally:
            listeners.discard(queue)


@strawberry.input
class NewAuthor:
    name: str
    email: str


@strawberry.input
class NewBook:
    title: str
    genre: Genre
    published_at: datetime
    subtitle: str | None = None


def required(value: str, field: str) -> str:
    if not value.strip():
        raise error(f"{field} must not be blank.", "BAD_USER_INPUT")
    return value


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_author(self, input: NewAuthor) -> Author:  # noqa: A002 (the schema names it input)
        name, email = required(input.name, "name"), required(input.email, "email")
        rows = await db.fetch("INSERT INTO authors (name, email) VALUES (%s, %s) RETURNING *", (name, email))
        return Author.of(rows[0])

    @strawberry.mutation
    async def create_book(self, input: NewBook, info: Info) -> Book:  # noqa: A002 (the schema names it input)
        viewer = info.context["viewer"]
        if viewer is None:
            raise error("Creating a book needs a bearer token naming an author.", "UNAUTHENTICATED")
        title = required(input.title, "title")
        if input.published_at.tzinfo is None:
            raise error("publishedAt needs a UTC offset.", "BAD_USER_INPUT")
        rows = await db.fetch(
            "INSERT INTO books (title, subtitle, genre, published_at, author_id)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING *",
            (title, input.subtitle, input.genre.value, input.published_at, viewer),
        )
        for queue in listeners:
            queue.put_nowait(rows[0])
        return Book.of(rows[0])


def unexpected(error: GraphQLError) -> bool:
    """Mask what the code did not raise on purpose: its text may show internals."""
    return error.original_error is not None and not isinstance(error.original_error, GraphQLError)


# Factories, not instances: Strawberry keeps an instance for every request, and MaskErrors keeps the
# request it works on in an attribute, so one instance shared by concurrent requests masks the wrong one.
EXTENSIONS: list[Callable[[], SchemaExtension]] = [
    partial(QueryDepthLimiter, max_depth=MAX_DEPTH - 1),  # Strawberry counts the root field as 0
    partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),
    CostLimiter,
    partial(MaskErrors, should_mask_error=unexpected, error_message="Internal server error"),
]
schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    extensions=EXTENSIONS,
)
