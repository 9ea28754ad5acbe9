"""Resolvers bound to the SDL of the contract by name."""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from ariadne import (
    InterfaceType,
    MutationType,
    ObjectType,
    QueryType,
    ScalarType,
    SubscriptionType,
    UnionType,
)
from graphql import GraphQLError

from app import db

PAGE_MAX = 50
NUMBER = re.compile(r"[0-9]{1,17}")

query = QueryType()
mutation = MutationType()
author_type = ObjectType("Author")
book_type = ObjectType("Book")
datetime_scalar = ScalarType("DateTime")
node = InterfaceType("Node")
search_result = UnionType("SearchResult")
subscription = SubscriptionType()
subscribers: list[asyncio.Queue[dict[str, Any]]] = []


def refuse(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def number(text: Any) -> int | None:
    return int(text) if isinstance(text, str) and NUMBER.fullmatch(text) else None


@datetime_scalar.serializer
def write_datetime(value: datetime) -> str:
    return value.isoformat()


@datetime_scalar.value_parser
def read_datetime(value: Any) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise GraphQLError("A DateTime is ISO 8601 with a UTC offset.")
    return parsed


@node.type_resolver
@search_result.type_resolver
def kind(obj: dict[str, Any], *_: Any) -> str:
    return "Book" if "title" in obj else "Author"


def with_ids(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "id": str(row["id"]), "createdAt": row["created_at"]}


@query.field("author")
async def resolve_author(_: Any, info: Any, id: str) -> dict[str, Any] | None:  # noqa: A002
    key = number(id)
    return None if key is None else await info.context["authors"].load(key)


@query.field("book")
async def resolve_book(_: Any, info: Any, id: str) -> dict[str, Any] | None:  # noqa: A002
    key = number(id)
    found = [] if key is None else await db.rows("SELECT * FROM books WHERE id = %s", key)
    return with_ids(found[0]) if found else None


def cursor_of(book_id: str) -> str:
    return base64.b64encode(f"v1|{book_id}".encode()).decode()


def position(cursor: str) -> int:
    try:
        prefix, _, rest = base64.b64decode(cursor, validate=True).decode().partition("|")
    except ValueError:
        prefix, rest = "", ""
    key = number(rest)
    if prefix != "v1" or key is None:
        raise refuse("Unknown cursor.", "BAD_USER_INPUT")
    return key


@query.field("books")
async def resolve_books(
    _: Any, info: Any, first: int = 10, after: str | None = None, authorId: str | None = None
) -> dict[str, Any]:
    if first < 1 or first > PAGE_MAX:
        raise refuse(f"first must be from 1 to {PAGE_MAX}.", "BAD_USER_INPUT")
    conditions, params = [], []
    if after is not None:
        conditions.append("id < %s")
        params.append(position(after))
    if authorId is not None:
        conditions.append("author_id = %s")
        params.append(number(authorId) or -1)
    where = " WHERE " + " AND ".join(conditions) if conditions else ""
    found = await db.rows(f"SELECT * FROM books{where} ORDER BY id DESC LIMIT %s", *params, first + 1)
    edges = [{"cursor": cursor_of(str(r["id"])), "node": with_ids(r)} for r in found[:first]]
    return {
        "edges": edges,
        "pageInfo": {"hasNextPage": len(found) > first, "endCursor": edges[-1]["cursor"] if edges else None},
    }


@query.field("search")
async def resolve_search(_: Any, info: Any, text: str) -> list[dict[str, Any]]:
    needle = text.lower()
    authors = await db.rows("SELECT * FROM authors WHERE strpos(lower(name), %s) > 0 ORDER BY id", needle)
    books = await db.rows("SELECT * FROM books WHERE strpos(lower(title), %s) > 0 ORDER BY id", needle)
    return [with_ids(r) for r in authors + books]


@author_type.field("email")
def resolve_email(author: dict[str, Any], info: Any) -> str:
    if info.context["viewer"] != author["id"]:
        raise refuse("This email is its author's only.", "FORBIDDEN")
    return author["email"]


@author_type.field("books")
async def resolve_author_books(author: dict[str, Any], info: Any) -> list[dict[str, Any]]:
    return await info.context["books_by_author"].load(int(author["id"]))


@book_type.field("publishedAt")
def resolve_published(book: dict[str, Any], _: Any) -> datetime:
    return book["published_at"]


@book_type.field("author")
async def resolve_book_author(book: dict[str, Any], info: Any) -> dict[str, Any]:
    return await info.context["authors"].load(book["author_id"])


def not_blank(value: str, name: str) -> str:
    if value.strip() == "":
        raise refuse(f"{name} is blank.", "BAD_USER_INPUT")
    return value


@mutation.field("createAuthor")
async def resolve_create_author(_: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    name, email = not_blank(input["name"], "name"), not_blank(input["email"], "email")
    made = await db.rows("INSERT INTO authors (name, email) VALUES (%s, %s) RETURNING *", name, email)
    return with_ids(made[0])


@mutation.field("createBook")
async def resolve_create_book(_: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    viewer = info.context["viewer"]
    if viewer is None:
        raise refuse("Sign in with a bearer token first.", "UNAUTHENTICATED")
    made = await db.rows(
        "INSERT INTO books (author_id, title, subtitle, genre, published_at) VALUES (%s, %s, %s, %s, %s)"
        " RETURNING *",
        int(viewer),
        not_blank(input["title"], "title"),
        input.get("subtitle"),
        input["genre"],
        input["publishedAt"],
    )
    book = with_ids(made[0])
    for queue in subscribers:
        queue.put_nowait(book)
    return book


@subscription.source("bookAdded")
async def books_added(_: Any, info: Any, authorId: str | None = None) -> AsyncIterator[dict[str, Any]]:
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    subscribers.append(queue)
    try:
        while True:
            book = await queue.get()
            if authorId is None or str(book["author_id"]) == authorId:
                yield book
    finally:
        subscribers.remove(queue)


@subscription.field("bookAdded")
def book_added(book: dict[str, Any], *_: Any, **__: Any) -> dict[str, Any]:
    return book


BINDABLES = [query, mutation, subscription, author_type, book_type, datetime_scalar, node, search_result]
