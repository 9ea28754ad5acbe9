"""The database: one shared async connection, the tables, and the loaders that batch reads."""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

import psycopg
from psycopg.rows import dict_row
from strawberry.dataloader import DataLoader

SCHEMA = """
CREATE TABLE IF NOT EXISTS authors (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    email text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS books (
    id bigserial PRIMARY KEY,
    title text NOT NULL,
    subtitle text,
    genre text NOT NULL,
    published_at timestamptz NOT NULL,
    author_id bigint NOT NULL REFERENCES authors (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS books_author_id ON books (author_id, id);
"""

Row = dict[str, Any]
_conn: psycopg.AsyncConnection[Row] | None = None


async def connect() -> None:
    global _conn
    _conn = await psycopg.AsyncConnection.connect(
        os.environ["DATABASE_URL"], autocommit=True, row_factory=dict_row
    )
    await _conn.execute(SCHEMA)


async def close() -> None:
    if _conn is not None:
        await _conn.close()


async def fetch(query: str, params: tuple[Any, ...] = ()) -> list[Row]:
    """Rows of one statement (psycopg serialises the tasks that share the connection)."""
    assert _conn is not None, "connect() first"
    cursor = await _conn.execute(query, params)
    return await cursor.fetchall()


async def _authors_by_id(ids: list[int]) -> list[Row | None]:
    rows = await fetch("SELECT * FROM authors WHERE id = ANY(%s)", (ids,))
    by_id = {row["id"]: row for row in rows}
    return [by_id.get(i) for i in ids]


async def _books_by_author(author_ids: list[int]) -> list[list[Row]]:
    rows = await fetch("SELECT * FROM books WHERE author_id = ANY(%s) ORDER BY id DESC", (author_ids,))
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row["author_id"]].append(row)
    return [grouped[i] for i in author_ids]


class Loaders:
    """One set per request: each batches the loads of one tick into a single statement."""

    def __init__(self) -> None:
        self.author = DataLoader(load_fn=_authors_by_id)
        self.books_of_author = DataLoader(load_fn=_books_by_author)
