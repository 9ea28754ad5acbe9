"""Password logins (shared by the token endpoint and cookie sessions), throttled in the database."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response

from app import db
from app.errors import ApiError, invalid_grant
from app.security import check_password, env_int, random_token, sha256


def password_login(username: str, password: str) -> dict[str, Any]:
    row = db.one("SELECT locked_until FROM login_failures WHERE username = %s", username)
    now = datetime.now(UTC)
    if row and row["locked_until"] and row["locked_until"] > now:
        wait = math.ceil((row["locked_until"] - now).total_seconds())
        raise ApiError(429, {"detail": "Locked after too many failures"}, {"Retry-After": str(max(wait, 1))})
    user = db.one("SELECT id, username, role, password_hash FROM users WHERE username = %s", username)
    ok, upgrade = check_password(password, user["password_hash"] if user else None)
    if not ok or user is None:
        _count_failure(username)
        raise invalid_grant()
    db.run("DELETE FROM login_failures WHERE username = %s", username)
    if upgrade:
        db.run("UPDATE users SET password_hash = %s WHERE id = %s", upgrade, user["id"])
    return user


def _count_failure(username: str) -> None:
    # Committed on its own connection: the failed request rolls its own transaction back.
    limit = env_int("LOGIN_MAX_FAILURES")
    lock = timedelta(seconds=env_int("LOGIN_LOCKOUT_SECONDS"))
    with db.connect() as conn:
        conn.execute(
            """
            INSERT INTO login_failures AS f (username, failures) VALUES (%(u)s, 1)
            ON CONFLICT (username) DO UPDATE SET failures = CASE
                WHEN f.locked_until IS NOT NULL AND f.locked_until <= now() THEN 1 ELSE f.failures + 1 END,
                locked_until = NULL
            """,
            {"u": username},
        )
        conn.execute(
            "UPDATE login_failures SET locked_until = now() + %s, failures = 0"
            " WHERE username = %s AND failures >= %s",
            (lock, username, limit),
        )


def start_session(response: Response, user_id: int, previous: str | None) -> None:
    if previous:
        db.run("DELETE FROM web_sessions WHERE sid_sha256 = %s", sha256(previous))
    sid = random_token()
    ttl = env_int("SESSION_TTL")
    db.run(
        "INSERT INTO web_sessions (sid_sha256, user_id, expires_at) VALUES (%s, %s, now() + %s)",
        sha256(sid),
        user_id,
        timedelta(seconds=ttl),
    )
    response.set_cookie("session", sid, max_age=ttl, path="/", secure=True, httponly=True, samesite="Strict")
