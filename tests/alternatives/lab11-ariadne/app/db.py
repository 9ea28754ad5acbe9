"""PostgreSQL: one async connection shared by the requests, and the tables."""

from __future__ import annotations

import os
from typing import Any

import psycopg
from psycopg.rows import dict_row

TABLES = """
CREATE TABLE IF NOT EXISTS authors (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    email text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE IF NOT EXISTS books (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id bigint NOT NULL REFERENCES authors (id),
    title text NOT NULL,
    subtitle text,
    genre text NOT NULL CHECK (genre IN ('FICTION', 'NONFICTION', 'POETRY')),
    published_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS books_by_author ON books (author_id, id DESC);
"""

connection: psycopg.AsyncConnection[dict[str, Any]] | None = None


async def open_db() -> None:
    global connection
    connection = await psycopg.AsyncConnection.connect(
        os.environ["DATABASE_URL"], autocommit=True, row_factory=dict_row
    )
    await connection.execute(TABLES)


async def close_db() -> None:
    if connection is not None:
        await connection.close()


async def rows(sql: str, *params: Any) -> list[dict[str, Any]]:
    assert connection is not None
    cursor = await connection.execute(sql, params)
    return await cursor.fetchall()
