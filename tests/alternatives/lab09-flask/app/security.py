"""Passwords (argon2id, legacy MD5 upgraded at login) and CSRF tokens bound to the session."""

import hashlib
import hmac
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import session

from app import config
from app.sessions import renew

# OWASP's m=12 MiB, t=3 configuration of argon2id.
_hasher = PasswordHasher(time_cost=3, memory_cost=12288, parallelism=1)
_MD5 = re.compile(r"[0-9a-f]{32}")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(stored: str, password: str) -> tuple[bool, bool]:
    """(matches, the stored hash should be replaced)."""
    if _MD5.fullmatch(stored):
        return hmac.compare_digest(hashlib.md5(password.encode()).hexdigest(), stored), True
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False, False
    return True, _hasher.check_needs_rehash(stored)


def new_session(user_id: int | None = None) -> None:
    """A new session under a new id (at login: an id planted before it is worth nothing after it)."""
    renew(session)
    session["nonce"] = secrets.token_hex(16)
    if user_id is not None:
        session["uid"] = user_id


def end_session() -> None:
    """Logout: the session's row is deleted when the response is saved, so every copy of the cookie dies."""
    renew(session)


def csrf_token() -> str:
    """HMAC of this session's nonce: valid for this session only, nothing extra stored."""
    if "nonce" not in session:
        new_session(session.get("uid"))
    return hmac.new(config.SECRET_KEY.encode(), session["nonce"].encode(), hashlib.sha256).hexdigest()


def csrf_ok(submitted: str | None) -> bool:
    return "nonce" in session and bool(submitted) and hmac.compare_digest(submitted, csrf_token())
