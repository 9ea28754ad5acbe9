"""SQLAlchemy Core on PostgreSQL: every value travels as a bound parameter."""

from typing import Any

from sqlalchemy import create_engine, text

from app import config
from app.security import hash_password

URL = config.DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1)
engine = create_engine(URL, pool_pre_ping=True)

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS users (
        id SERIAL PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
        display_name TEXT NOT NULL DEFAULT '', bio TEXT NOT NULL DEFAULT '', website TEXT NOT NULL DEFAULT '',
        is_admin BOOLEAN NOT NULL DEFAULT FALSE, created_at TIMESTAMPTZ NOT NULL DEFAULT now())""",
    """CREATE TABLE IF NOT EXISTS notes (
        id SERIAL PRIMARY KEY, owner_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        title TEXT NOT NULL, body TEXT NOT NULL DEFAULT '', private BOOLEAN NOT NULL DEFAULT FALSE,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now())""",
    # Flask's session, kept on the server (app/sessions.py): id is an HMAC of the cookie's value.
    """CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY, data JSONB NOT NULL, expires_at TIMESTAMPTZ NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at)",
]


def init() -> None:
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(90901)"))
        for statement in SCHEMA:
            conn.execute(text(statement))
        if config.ADMIN_PASSWORD:
            conn.execute(
                text(
                    "INSERT INTO users (username, password_hash, display_name, is_admin) "
                    "VALUES (:u, :h, 'Administrator', TRUE) ON CONFLICT (username) DO NOTHING"
                ),
                {"u": config.ADMIN_USERNAME, "h": hash_password(config.ADMIN_PASSWORD)},
            )


def one(sql: str, **params: Any) -> dict | None:
    with engine.begin() as conn:
        row = conn.execute(text(sql), params).mappings().first()
    return dict(row) if row else None


def all_rows(sql: str, **params: Any) -> list[dict]:
    with engine.begin() as conn:
        return [dict(row) for row in conn.execute(text(sql), params).mappings()]


def run(sql: str, **params: Any) -> None:
    with engine.begin() as conn:
        conn.execute(text(sql), params)
