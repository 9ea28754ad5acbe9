"""A small OpenID Connect provider for the extra-credit checks, on grader.stub.StubServer.

The suite plays the browser: it reads the app's redirect to /authorize, "logs the user in" by
issuing a code with `issue_code`, and calls the app's callback. The app then calls /token (checked
here: code, redirect_uri, client authentication, PKCE S256) and /jwks.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from grader.stub import StubRequest, StubResponse, StubServer

CLIENT_ID_KEY = "OIDC_CLIENT_ID"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Grant:
    params: dict[str, str]  # the authorization request's query (client_id, redirect_uri, code_challenge, ...)
    claims: dict[str, Any]  # what the id_token will say (changes applied)
    key: Any  # the private key that signs the id_token
    kid: str


@dataclass
class Provider:
    stub: StubServer
    issuer: str  # as the app sees it (through `expose`)
    client_id: str
    client_secret: str
    key: Any = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
    kid: str = field(default_factory=lambda: secrets.token_hex(4))
    grants: dict[str, Grant] = field(default_factory=dict)
    token_errors: list[str] = field(default_factory=list)  # why /token refused a request
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self) -> Provider:
        self.stub.route(
            "GET",
            "/.well-known/openid-configuration",
            lambda req: StubResponse.json(
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token",
                    "jwks_uri": f"{self.issuer}/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                }
            ),
        )
        self.stub.route("GET", "/jwks", lambda req: StubResponse.json({"keys": [self._jwk()]}))
        self.stub.route("POST", "/token", self._token)
        return self

    def _jwk(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": _b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": _b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
        }

    def issue_code(
        self, params: dict[str, str], *, sub: str | None = None, key: Any = None, **changes: Any
    ) -> str:
        """The user approved the request: a code whose id_token carries these claims (None drops one)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub or "idp-" + secrets.token_hex(6),
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": params.get("nonce"),
            "preferred_username": "grader-" + secrets.token_hex(3),
        }
        claims.update(changes)
        claims = {name: value for name, value in claims.items() if value is not None}
        code = secrets.token_urlsafe(16)
        with self._lock:
            self.grants[code] = Grant(dict(params), claims, key or self.key, self.kid)
        return code

    def _refuse(self, why: str) -> StubResponse:
        with self._lock:
            self.token_errors.append(why)
        return StubResponse.json({"error": "invalid_grant", "error_description": why}, status=400)

    def _token(self, request: StubRequest) -> StubResponse:
        form = {name: values[0] for name, values in parse_qs(request.body.decode()).items()}
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                return self._refuse("the Basic authorization header is not valid")
        if client_id != self.client_id or secret != self.client_secret:
            return StubResponse.json({"error": "invalid_client"}, status=401)
        if form.get("grant_type") != "authorization_code":
            return self._refuse("grant_type must be authorization_code")
        with self._lock:
            grant = self.grants.pop(form.get("code", ""), None)
        if grant is None:
            return self._refuse("unknown or already used code")
        if form.get("redirect_uri") != grant.params.get("redirect_uri"):
            return self._refuse("redirect_uri differs from the authorization request's")
        verifier = form.get("code_verifier", "")
        challenge = _b64url(hashlib.sha256(verifier.encode()).digest())
        if not verifier or challenge != grant.params.get("code_challenge"):
            return self._refuse("PKCE: the code_verifier does not match the code_challenge (S256)")
        id_token = jwt.encode(grant.claims, grant.key, algorithm="RS256", headers={"kid": grant.kid})
        return StubResponse.json(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            }
        )


def other_key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)
