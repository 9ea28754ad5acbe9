"""Who is calling: bearer token, API key or session cookie, in that order."""

from __future__ import annotations

from typing import Any

import jwt
from flask import request

from app import db
from app.errors import detail, not_authenticated
from app.security import read_access_token, sha256

SESSION_COOKIE = "session"


def _by_token(token: str) -> dict[str, Any] | None:
    try:
        claims = read_access_token(token)
        user_id = int(claims["sub"])
    except (jwt.PyJWTError, ValueError):
        return None
    return db.one("SELECT id, username, role FROM users WHERE id = %s", user_id)


def current_user() -> dict[str, Any]:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if header:
        user = _by_token(token.strip()) if scheme.lower() == "bearer" else None
    elif key := request.headers.get("X-API-Key"):
        user = db.one(
            "SELECT u.id, u.username, u.role FROM api_keys k JOIN users u ON u.id = k.user_id"
            " WHERE k.key_sha256 = %s AND k.revoked_at IS NULL",
            sha256(key),
        )
    elif sid := request.cookies.get(SESSION_COOKIE):
        user = db.one(
            "SELECT u.id, u.username, u.role FROM web_sessions s JOIN users u ON u.id = s.user_id"
            " WHERE s.sid_sha256 = %s AND s.expires_at > now()",
            sha256(sid),
        )
    else:
        raise not_authenticated(False)
    if user is None:
        raise not_authenticated(True)
    return user


def admin_user() -> dict[str, Any]:
    user = current_user()
    if user["role"] != "admin":
        raise detail(403, "This needs the admin role")
    return user
