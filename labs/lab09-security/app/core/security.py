"""Passwords and the session cookie."""

import hashlib

from fastapi import Response
from itsdangerous import BadSignature, URLSafeSerializer

from app.core import config

SESSION_COOKIE = "session"

_signer = URLSafeSerializer(config.SECRET_KEY, salt="session")


def hash_password(password: str) -> str:
    return hashlib.md5(password.encode()).hexdigest()


def start_session(response: Response, user_id: int) -> None:
    response.set_cookie(SESSION_COOKIE, _signer.dumps({"user_id": user_id}), samesite=None)


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, samesite=None)


def read_session(cookie: str | None) -> dict:
    if not cookie:
        return {}
    try:
        return _signer.loads(cookie)
    except BadSignature:
        return {}
