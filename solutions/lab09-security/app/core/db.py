"""PostgreSQL access: one connection per request; the schema (sessions too) and the admin made at startup."""

from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg.rows import dict_row

from app.core.config import settings
from app.core.security import hash_password

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id            SERIAL PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name  TEXT NOT NULL DEFAULT '',
    bio           TEXT NOT NULL DEFAULT '',
    website       TEXT NOT NULL DEFAULT '',
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS notes (
    id         SERIAL PRIMARY KEY,
    owner_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL DEFAULT '',
    private    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Server-side sessions (app/core/sessions.py): logout deletes the row, and the session is over.
CREATE TABLE IF NOT EXISTS sessions (
    id         TEXT PRIMARY KEY,  -- HMAC-SHA256 of the cookie's value under SECRET_KEY, never the value
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at);
"""

Row = dict[str, Any]  # a row as psycopg's dict_row returns it: column name -> value
Conn = psycopg.Connection[Row]


def connect() -> Conn:
    return psycopg.connect(settings.database_url, autocommit=True, row_factory=dict_row)


def get_conn() -> Iterator[Conn]:
    with connect() as conn:
        yield conn


def init_db() -> None:
    with connect() as conn:
        # Several instances may start at once: one creates the schema, the others wait.
        conn.execute("SELECT pg_advisory_lock(90901)")
        try:
            conn.execute(SCHEMA)
            if settings.admin_password:
                conn.execute(
                    "INSERT INTO users (username, password_hash, display_name, is_admin) "
                    "VALUES (%s, %s, 'Administrator', TRUE) ON CONFLICT (username) DO NOTHING",
                    (settings.admin_username, hash_password(settings.admin_password)),
                )
        finally:
            conn.execute("SELECT pg_advisory_unlock(90901)")
