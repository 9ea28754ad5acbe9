"""Crypto: argon2-cffi directly (not passlib's CryptContext), PyJWT, random credentials."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from passlib.hash import md5_crypt

# OWASP's third argon2id option: 12 MiB, 3 passes.
hasher = PasswordHasher(time_cost=3, memory_cost=12288, parallelism=1)
_DUMMY = hasher.hash(secrets.token_hex(16))
_COMMON = {
    line.strip().lower()
    for line in (Path(__file__).parent / "common_passwords.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
}


def env(name: str) -> str:
    return os.environ[name]


def env_int(name: str) -> int:
    return int(os.environ[name])


def check_password(password: str, stored: str | None) -> tuple[bool, str | None]:
    """(ok, replacement hash): legacy md5-crypt and outdated argon2 parameters get a new hash."""
    if stored is None:
        with contextlib.suppress(VerificationError):  # same cost as a real check: no timing oracle
            hasher.verify(_DUMMY, password)
        return False, None
    if stored.startswith("$1$"):
        return (True, hasher.hash(password)) if md5_crypt.verify(password, stored) else (False, None)
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False, None
    return True, hasher.hash(password) if hasher.check_needs_rehash(stored) else None


def password_error(username: str, password: str) -> str | None:
    if not 10 <= len(password) <= 128:
        return "passwords have 10 to 128 characters"
    if password.lower() in _COMMON:
        return "this password is on the list of common passwords"
    if username.lower() in password.lower():
        return "the password contains the username"
    return None


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def random_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def access_token(user_id: int) -> str:
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "iss": env("JWT_ISSUER"),
        "aud": [env("JWT_AUDIENCE")],
        "iat": now,
        "nbf": now,
        "exp": now + env_int("ACCESS_TOKEN_TTL"),
        "jti": uuid.uuid4().hex,
        "typ": "access",
    }
    return jwt.encode(claims, env("JWT_SECRET"), algorithm="HS256", headers={"typ": "at+jwt"})


def read_access_token(token: str) -> dict[str, Any]:
    return jwt.decode(
        token,
        env("JWT_SECRET"),
        algorithms=["HS256"],
        audience=env("JWT_AUDIENCE"),
        issuer=env("JWT_ISSUER"),
        leeway=5,
        options={"require": ["exp", "iat", "sub", "iss", "aud"]},
    )
