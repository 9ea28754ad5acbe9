"""Password hashing, access tokens and random secrets: the only module that touches crypto."""

import hashlib
import secrets
import time
from typing import Any

import jwt
from passlib.context import CryptContext  # type: ignore[import-untyped]  # passlib ships no type hints

from app.core.config import Settings

# argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane). md5_crypt is listed only so that old
# hashes still verify; deprecated="auto" marks every scheme but the first as due for an upgrade.
pwd_context = CryptContext(
    schemes=["argon2", "md5_crypt"],
    deprecated="auto",
    argon2__memory_cost=19456,
    argon2__time_cost=2,
    argon2__parallelism=1,
)

# Verified when the username is unknown, so that a miss costs as much time as a wrong password.
DUMMY_HASH = pwd_context.hash(secrets.token_urlsafe(16))

ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return pwd_context.hash(password)


def verify_password(password: str, stored_hash: str | None) -> tuple[bool, str | None]:
    """(matches, new hash to store or None): the new hash is set when the stored one is outdated."""
    if stored_hash is None:
        pwd_context.verify(password, DUMMY_HASH)
        return False, None
    return pwd_context.verify_and_update(password, stored_hash)


def create_access_token(subject: str, settings: Settings) -> str:
    now = int(time.time())
    claims = {
        "sub": subject,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + settings.access_token_ttl,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


def decode_access_token(token: str, settings: Settings) -> dict[str, Any]:
    """The verified claims; raises jwt.InvalidTokenError on any problem.

    The algorithm list is fixed here, never read from the token (RFC 8725 3.1), and every claim
    the app relies on must be present, not merely valid when present.
    """
    return jwt.decode(
        token,
        settings.jwt_secret,
        algorithms=[ALGORITHM],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
        options={"require": ["exp", "iat", "sub", "iss", "aud"]},
    )


def new_secret(prefix: str = "") -> str:
    """A random credential (256 bits) for refresh tokens, session ids and API keys."""
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """How random credentials are stored: they have full entropy, so a fast hash is enough."""
    return hashlib.sha256(secret.encode()).hexdigest()
