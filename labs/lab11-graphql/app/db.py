"""The database: one shared async connection and the tables."""

from __future__ import annotations

import os
from typing import Any

import psycopg
from psycopg.rows import dict_row

# TODO: the tables your schema needs (authors, books), created if missing.
SCHEMA = """
CREATE TABLE IF NOT EXISTS authors (
    id bigserial PRIMARY KEY,
    name text NOT NULL
);
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


# TODO: DataLoaders (strawberry.dataloader.DataLoader), made once per request, that load the authors
# of many books, and the books of many authors, in one statement each.
