"""Password logins (shared by the token endpoint and cookie sessions), throttled in the database."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from flask import Response

from app import db
from app.errors import ApiError, invalid_grant
from app.security import check_password, env_int, random_token, sha256


def password_login(username: str, password: str) -> dict[str, Any]:
    # The attempt is counted before the password is checked, in one statement every instance shares:
    # of a burst of guesses only LOGIN_MAX_FAILURES ever reach the (slow) password check.
    wait = _count_attempt(username)
    if wait is not None:
        raise ApiError(429, {"detail": "Locked after too many failures"}, {"Retry-After": str(wait)})
    user = db.one("SELECT id, username, role, password_hash FROM users WHERE username = %s", username)
    ok, upgrade = check_password(password, user["password_hash"] if user else None)
    if not ok or user is None:
        raise invalid_grant()  # the attempt stays counted as a failure
    db.run("DELETE FROM login_failures WHERE username = %s", username)
    if upgrade:
        db.run("UPDATE users SET password_hash = %s WHERE id = %s", upgrade, user["id"])
    return user


def _count_attempt(username: str) -> int | None:
    """Count one attempt; None if its password may be checked, else the seconds of lockout left.

    Committed on its own connection at once, so that other requests and instances see it (and a
    failed request, which rolls its own transaction back, keeps it). A lockout that is over starts
    the count afresh; a running one is not extended."""
    limit = env_int("LOGIN_MAX_FAILURES")
    lock = timedelta(seconds=env_int("LOGIN_LOCKOUT_SECONDS"))
    with db.connect() as conn:
        row = conn.execute(
            """
            INSERT INTO login_failures AS f (username, failures, locked_until)
            VALUES (%(u)s, 1, CASE WHEN %(limit)s <= 1 THEN now() + %(lock)s END)
            ON CONFLICT (username) DO UPDATE SET
                failures = CASE WHEN f.locked_until <= now() THEN 1 ELSE f.failures + 1 END,
                locked_until = CASE
                    WHEN f.locked_until <= now() THEN excluded.locked_until
                    WHEN f.locked_until > now() THEN f.locked_until
                    WHEN f.failures + 1 >= %(limit)s THEN now() + %(lock)s
                END
            RETURNING failures, extract(epoch FROM locked_until - now()) AS seconds_left
            """,
            {"u": username, "limit": limit, "lock": lock},
        ).fetchone()
    assert row is not None  # INSERT ... RETURNING always returns the row
    if row["failures"] <= limit:
        return None
    left = row["seconds_left"]
    return max(1, math.ceil(left if left is not None else lock.total_seconds()))


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
