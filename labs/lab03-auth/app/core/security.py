"""Password hashing, access tokens and random secrets. Everything crypto lives here.

README sections: "Users and passwords", "Access tokens (JWT)", "Refresh tokens and logout".
"""

from typing import Any

from app.core.config import Settings

# TODO: a passlib CryptContext whose first (current) scheme is argon2 with at least OWASP's minimum
#       parameters, and which still understands the legacy md5_crypt hashes (and marks them as due for
#       an upgrade). Read passlib's CryptContext tutorial: `deprecated=` and `verify_and_update()`.


def hash_password(password: str) -> str:
    raise NotImplementedError("TODO: hash with the CryptContext")


def verify_password(password: str, stored_hash: str | None) -> tuple[bool, str | None]:
    """(matches, new hash to store or None). TODO: what should an unknown user (no hash) cost?"""
    raise NotImplementedError("TODO")


def create_access_token(subject: str, settings: Settings) -> str:
    """TODO: a PyJWT HS256 token with the claims the contract lists."""
    raise NotImplementedError("TODO")


def decode_access_token(token: str, settings: Settings) -> dict[str, Any]:
    """TODO: verify the token. Which algorithms do you accept? Which claims must be present?"""
    raise NotImplementedError("TODO")
