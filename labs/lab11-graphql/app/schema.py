"""The GraphQL schema of the contract, in Strawberry. Only a start: see the README's SDL."""

from __future__ import annotations

import strawberry

from app import db


@strawberry.type
class Author:
    id: strawberry.ID
    name: str
    # TODO: createdAt, email (only its author may read it), books


# TODO: Genre, Node, Book, SearchResult, PageInfo, BookEdge, BookConnection, NewAuthor, NewBook


@strawberry.type
class Query:
    @strawberry.field
    async def author(self, id: strawberry.ID) -> Author | None:  # noqa: A002 (the schema names it id)
        rows = await db.fetch("SELECT id, name FROM authors WHERE id = %s", (int(id),))
        return Author(id=strawberry.ID(str(rows[0]["id"])), name=rows[0]["name"]) if rows else None

    # TODO: book, books (a connection), search


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_author(self, name: str) -> Author:
        # TODO: take `input: NewAuthor!`, refuse a blank name or email with BAD_USER_INPUT
        rows = await db.fetch("INSERT INTO authors (name) VALUES (%s) RETURNING id, name", (name,))
        return Author(id=strawberry.ID(str(rows[0]["id"])), name=rows[0]["name"])

    # TODO: createBook, for the author the bearer token names


# TODO: a depth limit, and errors that never show an exception's text
schema = strawberry.Schema(query=Query, mutation=Mutation)
