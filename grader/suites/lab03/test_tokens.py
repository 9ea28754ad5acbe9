"""JWT access tokens"""

from __future__ import annotations

import base64
import json
import time

import jwt
from lab03_auth import b64url, bearer, expect_rejected_token, mint, register, tokens, unsigned

from grader.checks import check, describe, expect, expect_header, fail, json_body

NEEDS = "tokens::minted_token_accepted"


@check(
    "Issued access tokens: HS256, sub = user id, iss, aud, iat, and exp = iat + ACCESS_TOKEN_TTL",
    points=3,
    rules=["R5.1"],
    hint="Build the claims from the settings (JWT_ISSUER, JWT_AUDIENCE, ACCESS_TOKEN_TTL) and sign with "
    'jwt.encode(claims, JWT_SECRET, algorithm="HS256"); sub is the user\'s id as a string.',
)
def test_issued_token_claims(api, env):
    user = register(api)
    token = tokens(api, user)["access_token"]
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(
            token,
            env["JWT_SECRET"],
            algorithms=["HS256"],
            audience=env["JWT_AUDIENCE"],
            issuer=env["JWT_ISSUER"],
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.PyJWTError as exc:
        fail(
            f"the access token does not verify with JWT_SECRET, HS256, JWT_ISSUER and JWT_AUDIENCE: {exc}.",
            expected="a valid HS256 token with sub, iss, aud, iat, exp",
            actual=token[:60] + "…",
        )
    expect(
        header.get("alg") == "HS256",
        "the token's header should say alg HS256.",
        expected="HS256",
        actual=str(header.get("alg")),
    )
    expect(
        claims["sub"] == str(user.id),
        "sub should be the user's id as a string.",
        expected=repr(str(user.id)),
        actual=repr(claims["sub"]),
    )
    lifetime = claims["exp"] - claims["iat"]
    expect(
        abs(lifetime - int(env["ACCESS_TOKEN_TTL"])) <= 1,
        "exp - iat should be ACCESS_TOKEN_TTL.",
        expected=env["ACCESS_TOKEN_TTL"],
        actual=str(lifetime),
    )


@check(
    "A token minted with the contract's claims and JWT_SECRET is accepted (the grader's own tokens)",
    points=2,
    rules=["R5.8", "R5.6", "R2.2", "R8.1"],
    hint="Accept any HS256 token signed with JWT_SECRET that has sub, iss, aud, iat and exp right: "
    "read the user from the database by sub, keep no list of issued tokens.",
)
def test_minted_token_accepted(api, env):
    user = register(api)
    # aud "is (or contains)" JWT_AUDIENCE: a list naming this API and another is for this API too
    for aud in (env["JWT_AUDIENCE"], ["billing-api", env["JWT_AUDIENCE"]]):
        response = api.get("/users/me", headers=bearer(mint(env, user.id, aud=aud)))
        expect(
            response.status_code == 200,
            f"{describe(response)} with a valid token whose aud is {aud!r}: expected 200, got "
            f"{response.status_code}.",
            expected="200",
            actual=f"{response.status_code} {response.text[:100]}",
            response=response,
        )
        expect(
            json_body(response).get("username") == user.username,
            f"{describe(response)}: expected the token's user.",
            expected=user.username,
            actual=response.text[:100],
            response=response,
        )


@check(
    'A token with alg "none" and no signature is refused with 401',
    points=3,
    rules=["R5.2", "R5.9"],
    needs=NEEDS,
    hint='Never let the token choose how it is verified: pass algorithms=["HS256"] to jwt.decode and '
    "never disable signature verification (RFC 8725 3.1).",
)
def test_alg_none_rejected(api, env):
    user = register(api)
    expect_rejected_token(api.get("/users/me", headers=bearer(unsigned(env, user.id))), "an alg none token")


@check(
    "A token signed with another key is refused with 401",
    points=3,
    rules=["R5.2", "R5.9"],
    needs=NEEDS,
    hint="Verify the signature with JWT_SECRET on every request; a decoded payload proves nothing.",
)
def test_other_key_rejected(api, env):
    user = register(api)
    token = mint(env, user.id, key="some-other-secret-that-is-long-enough-0123")
    expect_rejected_token(api.get("/users/me", headers=bearer(token)), "a token signed with another key")


@check(
    "A token signed with JWT_SECRET but with HS512 is refused: the algorithm is pinned",
    points=2,
    rules=["R5.2"],
    needs=NEEDS,
    hint='algorithms=["HS256"], fixed in your code: taking the list from the token\'s header, or '
    "allowing every algorithm the library knows, is how algorithm-confusion attacks start.",
)
def test_other_algorithm_rejected(api, env):
    user = register(api)
    token = mint(env, user.id, algorithm="HS512")
    expect_rejected_token(api.get("/users/me", headers=bearer(token)), "an HS512 token")


@check(
    "A token whose payload was changed after signing is refused with 401",
    points=3,
    rules=["R5.2", "R5.9"],
    needs=NEEDS,
    hint="The signature covers header and payload: verify it, and never read claims from a token you "
    "decoded without verification.",
)
def test_tampered_payload_rejected(api, env):
    victim, attacker = register(api), register(api)
    header, payload, signature = tokens(api, attacker)["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(victim.id)
    forged = f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"
    expect_rejected_token(api.get("/users/me", headers=bearer(forged)), "a token whose sub was changed")


@check(
    "An expired token is refused with 401",
    points=3,
    rules=["R5.4", "R5.9"],
    needs=NEEDS,
    hint="PyJWT checks exp when it is present; make sure you do not turn that off (verify_exp) or give a "
    "huge leeway.",
)
def test_expired_rejected(api, env):
    user = register(api)
    now = int(time.time())
    token = mint(env, user.id, iat=now - 600, exp=now - 300)
    expect_rejected_token(api.get("/users/me", headers=bearer(token)), "a token that expired 5 minutes ago")


@check(
    "A token without exp is refused with 401",
    points=2,
    rules=["R5.3"],
    needs=NEEDS,
    hint='PyJWT only checks the claims present in the token: options={"require": ["exp", "iat", '
    '"sub", "iss", "aud"]} makes a token without expiry invalid instead of eternal.',
)
def test_missing_exp_rejected(api, env):
    user = register(api)
    token = mint(env, user.id, exp=None)
    expect_rejected_token(api.get("/users/me", headers=bearer(token)), "a token without exp")


@check(
    "A token that expired 40 seconds ago is refused: the leeway is 30 seconds at most",
    points=2,
    rules=["R5.4"],
    needs=NEEDS,
    hint="A leeway absorbs clock skew between servers, a few seconds: leeway=30 at most (the contract's "
    "limit), not minutes.",
)
def test_expiry_leeway_at_most_30s(api, env):
    user = register(api)
    now = int(time.time())
    # 40 s, not 31: a slow request must not push a correct app over the edge
    token = mint(env, user.id, iat=now - 340, exp=now - 40)
    expect_rejected_token(api.get("/users/me", headers=bearer(token)), "a token that expired 40 seconds ago")


@check(
    "Tokens without iat, sub, iss or aud are refused with 401 (each claim is required)",
    points=2,
    rules=["R5.3"],
    needs=NEEDS,
    hint='PyJWT checks iss and aud only when they are present: options={"require": ["exp", "iat", "sub", '
    '"iss", "aud"]} refuses a token that simply leaves them out.',
)
def test_missing_claims_rejected(api, env):
    user = register(api)
    for claim in ("iat", "sub", "iss", "aud"):
        token = mint(env, user.id, **{claim: None})
        expect_rejected_token(api.get("/users/me", headers=bearer(token)), f"a token without {claim}")


@check(
    "A token for another audience is refused with 401",
    points=2,
    rules=["R5.6"],
    needs=NEEDS,
    hint="Pass audience=JWT_AUDIENCE to jwt.decode: a token issued for another service is not for you "
    "(RFC 8725 3.9).",
)
def test_wrong_audience_rejected(api, env):
    user = register(api)
    token = mint(env, user.id, aud="billing-api")
    expect_rejected_token(api.get("/users/me", headers=bearer(token)), 'aud "billing-api"')


@check(
    "A token from another issuer is refused with 401",
    points=2,
    rules=["R5.5"],
    needs=NEEDS,
    hint="Pass issuer=JWT_ISSUER to jwt.decode (RFC 8725 3.8).",
)
def test_wrong_issuer_rejected(api, env):
    user = register(api)
    token = mint(env, user.id, iss="https://issuer.invalid")
    expect_rejected_token(api.get("/users/me", headers=bearer(token)), "another iss")


@check(
    "A valid token for a user that does not exist is refused with 401",
    points=1,
    rules=["R5.7"],
    needs=NEEDS,
    hint="After verifying the token, load the user by sub; no user means 401, not 500 or 404.",
)
def test_unknown_subject_rejected(api, env):
    expect_rejected_token(api.get("/users/me", headers=bearer(mint(env, 987654321))), "sub of no user")


@check(
    "Malformed bearer tokens are refused with 401 (not 500)",
    points=1,
    rules=["R5.9", "R2.4"],
    needs=NEEDS,
    hint="Catch jwt.InvalidTokenError (the base of every PyJWT error) and answer 401 with the challenge.",
)
def test_malformed_rejected(api):
    for token in ("not-a-jwt", "a.b.c", "eyJhbGciOiJIUzI1NiJ9..."):
        response = api.get("/users/me", headers=bearer(token))
        expect_rejected_token(response, f"the token {token!r}")


@check(
    "No credentials at all: 401 with WWW-Authenticate: Bearer",
    points=2,
    rules=["R2.3", "R2.4", "R8.3"],
    hint="RFC 6750 3.1: a protected resource answers 401 with a challenge saying how to authenticate.",
)
def test_missing_credentials_401(api):
    for path in ("/users/me", "/notes", "/admin/users", "/api-keys"):
        response = api.get(path)
        expect(
            response.status_code == 401,
            f"{describe(response)} without credentials: expected 401, got {response.status_code}.",
            expected="401",
            actual=str(response.status_code),
            response=response,
        )
        expect_header(response, "WWW-Authenticate", contains="Bearer")
