"""Plain psycopg: one connection per request, the schema as SQL, created at startup."""

from __future__ import annotations

import os
from typing import Any

import psycopg
from flask import g
from psycopg.rows import dict_row

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id bigserial PRIMARY KEY,
    username text NOT NULL UNIQUE,
    password_hash text,
    role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    external_id text UNIQUE
);
CREATE TABLE IF NOT EXISTS notes (
    id bigserial PRIMARY KEY,
    owner_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title text NOT NULL,
    body text NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_sha256 text PRIMARY KEY,
    family uuid NOT NULL,
    user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    state text NOT NULL DEFAULT 'active'
);
CREATE TABLE IF NOT EXISTS web_sessions (
    sid_sha256 text PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    id bigserial PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name text NOT NULL,
    key_sha256 text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE TABLE IF NOT EXISTS login_failures (
    username text PRIMARY KEY,
    failures int NOT NULL DEFAULT 0,
    locked_until timestamptz
);
CREATE TABLE IF NOT EXISTS oidc_pending (
    browser_sha256 text PRIMARY KEY,
    state text NOT NULL,
    nonce text NOT NULL,
    verifier text NOT NULL,
    expires_at timestamptz NOT NULL
);
"""


def dsn() -> str:
    return os.environ["DATABASE_URL"]


def connect() -> psycopg.Connection[dict[str, Any]]:
    return psycopg.connect(dsn(), row_factory=dict_row)


def conn() -> psycopg.Connection[dict[str, Any]]:
    """This request's connection (committed or rolled back when the request ends)."""
    if "db" not in g:
        g.db = connect()
    return g.db


def close(error: BaseException | None) -> None:
    db = g.pop("db", None)
    if db is not None:
        if error is None:
            db.commit()
        db.close()


def one(sql: str, *params: Any) -> dict[str, Any] | None:
    return conn().execute(sql, params).fetchone()


def all_rows(sql: str, *params: Any) -> list[dict[str, Any]]:
    return conn().execute(sql, params).fetchall()


def run(sql: str, *params: Any) -> int:
    return conn().execute(sql, params).rowcount
