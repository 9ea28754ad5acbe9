"""Server-side sessions: the cookie holds an opaque random id, the session itself is a row in PostgreSQL.

Logout deletes the row, so a copy of the cookie taken before it (a stolen one included) opens nothing
afterwards. A signed client-side session cannot be ended like that: it stays valid until it expires.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request, Response

from app.core.config import settings
from app.core.db import Conn

COOKIE = "session"
LIFETIME = timedelta(hours=8)  # absolute: a session ends 8 hours after its login, used or not


@dataclass(frozen=True)
class Session:
    user_id: int
    csrf_token: str  # the secret the forms of this session carry (app/web/forms.py checks it)


def _row_id(cookie: str) -> str:
    """The table stores a keyed hash of the cookie's value, never the value: a leaked table or backup
    holds no usable session, and only an instance with this SECRET_KEY can find the row of a cookie."""
    return hmac.new(settings.secret_key.encode(), cookie.encode(), hashlib.sha256).hexdigest()


def load_session(conn: Conn, request: Request) -> Session | None:
    """The live session of this request's cookie; None without a cookie, after logout or expiry."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    row = conn.execute(
        "SELECT user_id, csrf_token FROM sessions WHERE id = %s AND expires_at > now()", (_row_id(cookie),)
    ).fetchone()
    return Session(user_id=row["user_id"], csrf_token=row["csrf_token"]) if row else None


def start_session(conn: Conn, request: Request, response: Response, user_id: int) -> None:
    """Log user_id in under a new session id, set on `response`.

    The id the browser held before ends here: an id an attacker planted in the victim's browser before
    the login is worth nothing after it (session fixation).
    """
    _delete(conn, request)
    conn.execute("DELETE FROM sessions WHERE expires_at <= now()")  # expired rows go at the next login
    cookie = secrets.token_urlsafe(32)  # 256 random bits: nothing to guess, nothing to decode
    conn.execute(
        "INSERT INTO sessions (id, user_id, csrf_token, expires_at) VALUES (%s, %s, %s, now() + %s)",
        (_row_id(cookie), user_id, secrets.token_urlsafe(32), LIFETIME),
    )
    # HttpOnly: no script reads it (an XSS cannot steal it); Secure: never over plain http (browsers
    # treat http://localhost as secure); SameSite=Lax: left off cross-site posts, a wall behind the token.
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=int(LIFETIME.total_seconds()),
        path="/",
        secure=True,
        httponly=True,
        samesite="lax",
    )


def end_session(conn: Conn, request: Request, response: Response) -> None:
    """Logout: the session is deleted on the server, then the browser is told to forget the cookie."""
    _delete(conn, request)
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="lax")


def _delete(conn: Conn, request: Request) -> None:
    cookie = request.cookies.get(COOKIE)
    if cookie:
        conn.execute("DELETE FROM sessions WHERE id = %s", (_row_id(cookie),))
