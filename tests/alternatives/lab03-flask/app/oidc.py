"""OpenID Connect login (extra credit): code flow + PKCE; the pending login is tied to a browser cookie."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from flask import Blueprint, jsonify, redirect, request

from app import db
from app.errors import detail
from app.identity import SESSION_COOKIE
from app.logins import start_session
from app.security import random_token, sha256

oidc = Blueprint("oidc", __name__)
BROWSER_COOKIE = "oidc_login"


def _config() -> dict[str, Any]:
    issuer = os.environ.get("OIDC_ISSUER")
    if not issuer:
        raise detail(404, "OpenID Connect is off")
    try:
        return httpx.get(f"{issuer.rstrip('/')}/.well-known/openid-configuration", timeout=5).json()
    except (httpx.HTTPError, ValueError):
        raise detail(502, "identity provider unreachable") from None


@oidc.get("/auth/oidc/login")
def login() -> Any:
    config = _config()
    browser, state, nonce, verifier = random_token(), random_token(), random_token(), random_token(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    db.run(
        "INSERT INTO oidc_pending (browser_sha256, state, nonce, verifier, expires_at)"
        " VALUES (%s, %s, %s, %s, now() + %s)",
        sha256(browser),
        state,
        nonce,
        verifier,
        timedelta(minutes=10),
    )
    params = {
        "response_type": "code",
        "client_id": os.environ["OIDC_CLIENT_ID"],
        "redirect_uri": os.environ["OIDC_REDIRECT_URI"],
        "scope": "openid",
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    response = redirect(f"{config['authorization_endpoint']}?{urlencode(params)}", code=303)
    response.set_cookie(BROWSER_COOKIE, browser, max_age=600, secure=True, httponly=True, samesite="Lax")
    return response


def _claims(id_token: str, config: dict[str, Any]) -> dict[str, Any]:
    jwks = jwt.PyJWKSet.from_dict(httpx.get(config["jwks_uri"], timeout=5).json())
    kid = jwt.get_unverified_header(id_token).get("kid")
    matching = [key for key in jwks.keys if key.key_id == kid]
    if not matching:
        raise jwt.InvalidKeyError("unknown kid")
    return jwt.decode(
        id_token,
        matching[0].key,
        algorithms=["RS256"],
        audience=os.environ["OIDC_CLIENT_ID"],
        issuer=os.environ["OIDC_ISSUER"],
        options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]},
    )


@oidc.get("/auth/oidc/callback")
def callback() -> Any:
    config = _config()
    browser = request.cookies.get(BROWSER_COOKIE, "")
    pending = db.one(
        "DELETE FROM oidc_pending WHERE browser_sha256 = %s AND expires_at > now()"
        " RETURNING state, nonce, verifier",
        sha256(browser),
    )
    db.conn().commit()
    state, code = request.args.get("state", ""), request.args.get("code", "")
    if pending is None or not code or not hmac.compare_digest(state, pending["state"]):
        raise detail(400, "this login was not started by this browser")
    try:
        answer = httpx.post(
            config["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": os.environ["OIDC_REDIRECT_URI"],
                "code_verifier": pending["verifier"],
            },
            auth=(os.environ["OIDC_CLIENT_ID"], os.environ["OIDC_CLIENT_SECRET"]),
            timeout=5,
        )
        answer.raise_for_status()
        claims = _claims(answer.json()["id_token"], config)
    except (httpx.HTTPError, ValueError, KeyError, jwt.PyJWTError):
        raise detail(401, "the identity provider's answer did not check out") from None
    if not hmac.compare_digest(str(claims["nonce"]), pending["nonce"]):
        raise detail(401, "nonce mismatch")
    external = f"{claims['iss']}|{claims['sub']}"
    user = db.one(
        "INSERT INTO users (username, external_id) VALUES (%s, %s)"
        " ON CONFLICT (external_id) DO UPDATE SET external_id = EXCLUDED.external_id"
        " RETURNING id, username, role",
        "sso_" + sha256(external)[:24],
        external,
    )
    assert user is not None
    response = jsonify({"id": user["id"], "username": user["username"], "role": user["role"]})
    start_session(response, user["id"], request.cookies.get(SESSION_COOKIE))
    response.delete_cookie(BROWSER_COOKIE)
    return response
