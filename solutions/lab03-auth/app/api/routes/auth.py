"""Registration, the OAuth2 token endpoint (password and refresh_token grants), cookie sessions."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Cookie, Form, HTTPException, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.api.deps import SESSION_COOKIE, SessionDep, SettingsDep, ThrottleDep
from app.api.errors import LockedOut, OAuthError, invalid_grant
from app.core.config import Settings
from app.core.passwords import password_problem
from app.core.security import create_access_token, digest, hash_password, new_secret, verify_password
from app.core.throttle import LoginThrottle
from app.models import RefreshToken, User, WebSession
from app.schemas import LogoutIn, TokenOut, UserCreate, UserOut

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserOut)
def register(body: UserCreate, db: SessionDep) -> User:
    problem = password_problem(body.username, body.password)
    if problem:
        raise HTTPException(status_code=422, detail=problem)
    user = User(username=body.username, password_hash=hash_password(body.password), role="user")
    db.add(user)
    try:
        db.commit()  # the unique constraint decides between concurrent registrations
    except IntegrityError:
        db.rollback()
        raise HTTPException(status_code=409, detail="This username is taken") from None
    return user


def authenticate(db: Session, throttle: LoginThrottle, username: str, password: str) -> User:
    """The user these credentials prove, upgrading an outdated hash; shared by every login."""
    # Counted before the password is checked, atomically and for every instance (see throttle.py).
    retry_after = throttle.attempt(db, username)
    if retry_after is not None:
        raise LockedOut(retry_after)
    user = db.scalar(select(User).where(User.username == username))
    ok, new_hash = verify_password(password, user.password_hash if user else None)  # None: a dummy check
    if not ok or user is None:
        raise invalid_grant()  # the attempt stays counted: it was a failure
    throttle.succeeded(db, username)
    if new_hash:
        user.password_hash = new_hash
        db.commit()
    return user


def _new_refresh_token(db: Session, settings: Settings, user_id: int, family_id: str) -> str:
    token = new_secret()
    expires_at = datetime.now(UTC) + timedelta(seconds=settings.refresh_token_ttl)
    row = RefreshToken(token_hash=digest(token), family_id=family_id, user_id=user_id, expires_at=expires_at)
    db.add(row)
    return token


def _token_response(user_id: int, refresh_token: str, settings: Settings) -> JSONResponse:
    body = TokenOut(
        access_token=create_access_token(str(user_id), settings),
        expires_in=settings.access_token_ttl,
        refresh_token=refresh_token,
    )
    # Tokens are credentials: no cache may keep them (RFC 6749 5.1).
    return JSONResponse(body.model_dump(), headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _rotate(db: Session, settings: Settings, presented: str) -> JSONResponse:
    now = datetime.now(UTC)
    # FOR UPDATE: of two requests racing with the same token, the second waits and then sees it used.
    query = select(RefreshToken).where(RefreshToken.token_hash == digest(presented))
    row = db.scalar(query.with_for_update())
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise OAuthError("invalid_grant", "Invalid refresh token")
    if row.used_at is not None:
        # A rotated token came back: someone holds a copy. Revoke the whole family (RFC 9700 4.14.2).
        db.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == row.family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        db.commit()
        raise OAuthError("invalid_grant", "Invalid refresh token")
    row.used_at = now
    token = _new_refresh_token(db, settings, row.user_id, row.family_id)
    db.commit()
    return _token_response(row.user_id, token, settings)


@router.post("/token", response_model=TokenOut)
def token(
    db: SessionDep,
    settings: SettingsDep,
    throttle: ThrottleDep,
    grant_type: Annotated[str, Form()],
    username: Annotated[str | None, Form()] = None,
    password: Annotated[str | None, Form()] = None,
    refresh_token: Annotated[str | None, Form()] = None,
) -> JSONResponse:
    """OAuth2 token endpoint (RFC 6749 4.3 and 6), form-encoded as OAuth2PasswordBearer expects."""
    if grant_type == "password":
        if not username or password is None:
            raise OAuthError("invalid_request", "username and password are required")
        user = authenticate(db, throttle, username, password)
        token = _new_refresh_token(db, settings, user.id, uuid.uuid4().hex)
        db.commit()
        return _token_response(user.id, token, settings)
    if grant_type == "refresh_token":
        if not refresh_token:
            raise OAuthError("invalid_request", "refresh_token is required")
        return _rotate(db, settings, refresh_token)
    raise OAuthError("unsupported_grant_type", "Use grant_type=password or grant_type=refresh_token")


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(body: LogoutIn, db: SessionDep) -> None:
    """Revoke the refresh token's family. Unknown tokens answer the same (RFC 7009 2.2)."""
    row = db.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest(body.refresh_token)))
    if row is not None:
        db.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == row.family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
        db.commit()


def _set_session_cookie(response: Response, value: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=settings.session_ttl,
        path="/",
        secure=True,  # never sent over plain http
        httponly=True,  # out of reach of JavaScript, so of XSS
        samesite="lax",  # not sent on cross-site POSTs: the first line against CSRF
    )


@router.post("/session", response_model=UserOut)
def session_login(
    response: Response,
    db: SessionDep,
    settings: SettingsDep,
    throttle: ThrottleDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    session: Annotated[str | None, Cookie(alias=SESSION_COOKIE)] = None,
) -> User:
    user = authenticate(db, throttle, username, password)
    start_session(db, settings, response, user, session)
    return user


def start_session(
    db: Session, settings: Settings, response: Response, user: User, old_id: str | None
) -> None:
    if old_id:
        # Whatever id the browser brought (an old session, or one an attacker planted) ends here:
        # a login always starts a session under a new id (session fixation).
        db.execute(delete(WebSession).where(WebSession.id_hash == digest(old_id)))
    session_id = new_secret()
    expires_at = datetime.now(UTC) + timedelta(seconds=settings.session_ttl)
    db.add(WebSession(id_hash=digest(session_id), user_id=user.id, expires_at=expires_at))
    db.commit()
    _set_session_cookie(response, session_id, settings)


@router.post("/session/logout", status_code=status.HTTP_204_NO_CONTENT)
def session_logout(
    response: Response,
    db: SessionDep,
    session: Annotated[str | None, Cookie(alias=SESSION_COOKIE)] = None,
) -> None:
    if session:
        db.execute(delete(WebSession).where(WebSession.id_hash == digest(session)))
        db.commit()
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
