"""Log in with OpenID Connect: authorization code flow with PKCE, id_token checked against the JWKS."""

import base64
import hashlib
import hmac
import secrets
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

import httpx
import jwt
from fastapi import APIRouter, Cookie, Depends, HTTPException, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.api.deps import SESSION_COOKIE, SessionDep, SettingsDep
from app.api.routes.auth import start_session
from app.core.config import Settings
from app.core.security import digest
from app.models import OidcLogin, User
from app.schemas import UserOut

STATE_COOKIE = "oidc_state"

router = APIRouter(prefix="/auth/oidc", tags=["oidc"])


def _bad(reason: str) -> HTTPException:
    return HTTPException(status_code=400, detail=f"OpenID Connect login failed: {reason}")


def _configured(settings: SettingsDep) -> Settings:
    if not (settings.oidc_issuer and settings.oidc_client_id and settings.oidc_redirect_uri):
        raise HTTPException(status_code=404, detail="OpenID Connect is not configured")
    return settings


OidcSettings = Annotated[Settings, Depends(_configured)]


def _discover(issuer: str) -> dict[str, Any]:
    try:
        response = httpx.get(issuer.rstrip("/") + "/.well-known/openid-configuration", timeout=5)
        response.raise_for_status()
        return response.json()
    except (httpx.HTTPError, ValueError):
        raise HTTPException(status_code=502, detail="The identity provider cannot be reached") from None


@router.get("/login")
def oidc_login(settings: OidcSettings, db: SessionDep) -> RedirectResponse:
    config = _discover(settings.oidc_issuer or "")
    state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    db.add(OidcLogin(state_hash=digest(state), nonce=nonce, code_verifier=verifier))
    db.commit()
    query = urlencode({
        "response_type": "code",
        "client_id": settings.oidc_client_id,
        "redirect_uri": settings.oidc_redirect_uri,
        "scope": "openid profile",
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    })
    response = RedirectResponse(f"{config['authorization_endpoint']}?{query}", status_code=302)
    # The state is bound to this browser: a callback carrying someone else's state is refused (CSRF).
    callback_path = urlsplit(settings.oidc_redirect_uri or "").path or "/"
    response.set_cookie(STATE_COOKIE, state, max_age=600, path=callback_path,
                        secure=True, httponly=True, samesite="lax")
    return response


def _verify_id_token(id_token: str, config: dict[str, Any], settings: Settings) -> dict[str, Any]:
    try:
        jwks = httpx.get(config["jwks_uri"], timeout=5).json()
        kid = jwt.get_unverified_header(id_token).get("kid")
        key = next(k for k in jwt.PyJWKSet.from_dict(jwks).keys if k.key_id == kid)
        return jwt.decode(
            id_token,
            key.key,
            algorithms=["RS256"],
            audience=settings.oidc_client_id,
            issuer=settings.oidc_issuer,
            options={"require": ["exp", "iat", "sub", "iss", "aud", "nonce"]},
        )
    except (httpx.HTTPError, ValueError, StopIteration, KeyError, jwt.PyJWTError):
        raise _bad("the id_token is not valid") from None


def _local_user(db: SessionDep, issuer: str, subject: str) -> User:
    """The account linked to (iss, sub), created on first login: never matched by name or email."""
    query = select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject)
    user = db.scalar(query)
    if user is None:
        name = "oidc_" + hashlib.sha256(f"{issuer} {subject}".encode()).hexdigest()[:20]
        user = User(username=name, password_hash=None, role="user", oidc_issuer=issuer, oidc_subject=subject)
        db.add(user)
        try:
            db.commit()
        except IntegrityError:  # the same person logging in twice at the same moment
            db.rollback()
            user = db.scalars(query).one()
    return user


@router.get("/callback", response_model=UserOut)
def oidc_callback(
    response: Response,
    settings: OidcSettings,
    db: SessionDep,
    code: str | None = None,
    state: str | None = None,
    state_cookie: Annotated[str | None, Cookie(alias=STATE_COOKIE)] = None,
    session: Annotated[str | None, Cookie(alias=SESSION_COOKIE)] = None,
) -> User:
    if not code or not state or not state_cookie or not hmac.compare_digest(state, state_cookie):
        raise _bad("the state does not match this browser")
    login = db.scalar(delete(OidcLogin).where(OidcLogin.state_hash == digest(state)).returning(OidcLogin))
    db.commit()
    if login is None:
        raise _bad("unknown or already used state")
    config = _discover(settings.oidc_issuer or "")
    try:
        answer = httpx.post(
            config["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": settings.oidc_redirect_uri,
                "code_verifier": login.code_verifier,
                "client_id": settings.oidc_client_id,
                "client_secret": settings.oidc_client_secret,
            },
            timeout=5,
        )
        id_token = answer.json()["id_token"] if answer.status_code == 200 else None
    except (httpx.HTTPError, ValueError, KeyError):
        id_token = None
    if not isinstance(id_token, str):
        raise _bad("the code was not accepted")
    claims = _verify_id_token(id_token, config, settings)
    if not hmac.compare_digest(str(claims["nonce"]), login.nonce):
        raise _bad("the nonce does not match")
    user = _local_user(db, str(claims["iss"]), str(claims["sub"]))
    start_session(db, settings, response, user, session)
    response.delete_cookie(STATE_COOKIE, path=urlsplit(settings.oidc_redirect_uri or "").path or "/")
    return user
