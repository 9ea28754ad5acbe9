"""Typed dependencies: the database session, settings, and who is calling."""

from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException
from fastapi.security import APIKeyCookie, APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.errors import unauthorized
from app.core.config import Settings, get_settings
from app.core.db import get_db
from app.core.security import decode_access_token, digest
from app.core.throttle import LoginThrottle
from app.models import ApiKey, User, WebSession

SESSION_COOKIE = "session"

SessionDep = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

# auto_error=False: each scheme is optional on its own; get_current_user decides.
bearer_scheme = OAuth2PasswordBearer(tokenUrl="auth/token", auto_error=False)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)
session_scheme = APIKeyCookie(name=SESSION_COOKIE, auto_error=False)


@lru_cache
def get_throttle() -> LoginThrottle:
    settings = get_settings()
    return LoginThrottle(settings.login_max_failures, settings.login_lockout_seconds)


ThrottleDep = Annotated[LoginThrottle, Depends(get_throttle)]


def _user_from_token(db: Session, settings: Settings, token: str) -> User:
    try:
        claims = decode_access_token(token, settings)
        user_id = int(claims["sub"])
    except (jwt.PyJWTError, ValueError, TypeError):
        raise unauthorized(invalid_token=True) from None
    user = db.get(User, user_id)
    if user is None:
        raise unauthorized(invalid_token=True)
    return user


def _user_from_api_key(db: Session, key: str) -> User:
    query = select(User).join(ApiKey, ApiKey.user_id == User.id).where(ApiKey.key_hash == digest(key))
    user = db.scalar(query)
    if user is None:
        raise unauthorized(invalid_token=True)
    return user


def _user_from_session(db: Session, session_id: str) -> User:
    user = db.scalar(
        select(User)
        .join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.id_hash == digest(session_id), WebSession.expires_at > datetime.now(UTC))
    )
    if user is None:
        raise unauthorized(invalid_token=True)
    return user


def get_current_user(
    db: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
    session_id: Annotated[str | None, Depends(session_scheme)],
) -> User:
    """Whoever the request proves to be, by bearer token, API key or session cookie; else 401."""
    if token:
        return _user_from_token(db, settings, token)
    if api_key:
        return _user_from_api_key(db, api_key)
    if session_id:
        return _user_from_session(db, session_id)
    raise unauthorized()


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_admin(user: CurrentUser) -> User:
    """Authenticated but not allowed is 403, not 401: logging in again would not help."""
    if user.role != "admin":
        raise HTTPException(status_code=403, detail="Administrators only")
    return user


AdminUser = Annotated[User, Depends(get_admin)]
