"""Password hashing, with the upgrade of legacy MD5 hashes (sessions are in app/core/sessions.py)."""

import contextlib
import hashlib
import hmac
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's minimum for Argon2id (19 MiB, 2 iterations, 1 lane): slow for an attacker, quick enough here.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_LEGACY_MD5 = re.compile(r"[0-9a-f]{32}")
# Verified against when the username is unknown, so that both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> tuple[bool, str | None]:
    """Return (matches, new hash to store or None)."""
    if _LEGACY_MD5.fullmatch(stored):
        legacy = hashlib.md5(password.encode()).hexdigest()  # noqa: S324 - reading the old hashes only
        if not hmac.compare_digest(legacy, stored):
            return False, None
        return True, hash_password(password)
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False, None
    return True, hash_password(password) if _hasher.check_needs_rehash(stored) else None


def burn_time(password: str) -> None:
    with contextlib.suppress(VerificationError):
        _hasher.verify(_DUMMY_HASH, password)
