"""Refresh tokens and logout"""

from __future__ import annotations

import secrets

from lab03_auth import bearer, expect_not_stored, refresh_grant, register, tokens

from grader.checks import check, describe, expect, expect_header, expect_status, json_body
from grader.concurrency import burst, statuses


def expect_invalid_grant(response, what: str) -> None:
    expect(
        response.status_code == 400 and "invalid_grant" in response.text,
        f'{describe(response)} with {what}: expected 400 {{"error": "invalid_grant"}}, got '
        f"{response.status_code}.",
        expected="400 invalid_grant",
        actual=f"{response.status_code} {response.text[:100]}",
        response=response,
    )


@check(
    "grant_type=refresh_token returns a new access token and a new random refresh token, not cacheable",
    points=3,
    rules=["R6.4", "R4.2", "R6.1"],
    hint="RFC 6749 6: the same token endpoint, form-encoded; answer like a login, with a NEW refresh "
    "token each time (rotation), and Cache-Control: no-store.",
)
def test_refresh_rotates(api):
    user = register(api)
    first = tokens(api, user)
    response = refresh_grant(api, first["refresh_token"])
    expect_status(response, 200)
    expect_header(response, "Cache-Control", contains="no-store")
    body = json_body(response)
    expect(
        isinstance(body.get("refresh_token"), str) and body["refresh_token"] != first["refresh_token"],
        f"{describe(response)}: the answer should carry a new refresh token.",
        expected="a refresh_token different from the one sent",
        actual=response.text[:120],
        response=response,
    )
    for token in (first["refresh_token"], body["refresh_token"]):
        expect(
            len(token) >= 22,
            f"{describe(response)}: a refresh token of {len(token)} characters cannot hold 128 bits of "
            "randomness.",
            expected="22 or more characters (secrets.token_urlsafe(32))",
            actual=repr(token),
            response=response,
        )
    me = api.get("/users/me", headers=bearer(body.get("access_token", "")))
    expect_status(me, 200)


@check(
    "A refresh token that was used once is refused the second time",
    points=3,
    rules=["R6.4", "R4.3"],
    needs="refresh_rotates",
    hint="Mark a refresh token as used when you rotate it; a used token answers 400 invalid_grant.",
)
def test_used_refresh_rejected(api):
    user = register(api)
    first = tokens(api, user)
    expect_status(refresh_grant(api, first["refresh_token"]), 200)
    expect_invalid_grant(refresh_grant(api, first["refresh_token"]), "a refresh token already used")


@check(
    "Reusing an old refresh token revokes the whole family, including the newest token",
    points=3,
    rules=["R6.5"],
    needs="used_refresh_rejected",
    hint="A used token coming back means two parties hold it. Give every token of one login a family "
    "id and revoke the family when a used token shows up (RFC 9700 4.14.2).",
)
def test_reuse_revokes_family(api):
    user = register(api)
    first = tokens(api, user)
    second = json_body(expect_status(refresh_grant(api, first["refresh_token"]), 200))
    expect_invalid_grant(refresh_grant(api, first["refresh_token"]), "a refresh token already used")
    expect_invalid_grant(
        refresh_grant(api, second["refresh_token"]),
        "the newest refresh token of a family after a reuse was detected",
    )


@check(
    "Eight simultaneous refreshes with one token: at most one succeeds",
    points=2,
    rules=["R6.6"],
    needs="used_refresh_rejected",
    hint='Reading "is it unused?" and then marking it used is a race. Lock the row (SELECT ... FOR '
    "UPDATE) or mark it in one conditional UPDATE ... WHERE used_at IS NULL.",
)
def test_refresh_race(api):
    user = register(api)
    # A race shows up only when requests interleave: several rounds, each with a new token, make an
    # unlocked read-then-update fail every time, while a row lock or conditional UPDATE passes them all.
    for _ in range(8):
        first = tokens(api, user)
        results = burst(8, lambda i, token=first["refresh_token"]: refresh_grant(api, token))
        outcomes = statuses(results)
        expect(
            outcomes.count(200) <= 1 and all(s in (200, 400) for s in outcomes),
            "8 refreshes with one refresh token at the same moment: expected at most one 200, the rest 400.",
            expected="one 200 and seven 400 (or eight 400)",
            actual=str(sorted(map(str, outcomes))),
        )


@check(
    "POST /auth/logout revokes the refresh token",
    points=3,
    rules=["R6.7"],
    needs="refresh_rotates",
    hint="Logout marks the token's family revoked on the server (answer 204); a revoked refresh token "
    "answers 400 invalid_grant.",
)
def test_logout_revokes(api):
    user = register(api)
    first = tokens(api, user)
    expect_status(api.post("/auth/logout", json={"refresh_token": first["refresh_token"]}), 204)
    expect_invalid_grant(refresh_grant(api, first["refresh_token"]), "a refresh token after logout")


@check(
    "An unknown refresh token answers 400 invalid_grant (also at logout: 204)",
    points=1,
    rules=["R4.3", "R6.7"],
    needs="refresh_rotates",
    hint="Look the token up by its hash; not found is invalid_grant, not a crash.",
)
def test_unknown_refresh_token(api):
    token = secrets.token_urlsafe(32)
    expect_invalid_grant(refresh_grant(api, token), "a refresh token never issued")
    expect_status(api.post("/auth/logout", json={"refresh_token": token}), 204)


@check(
    "Refresh tokens are stored only as hashes",
    points=2,
    rules=["R6.3"],
    needs="refresh_rotates",
    hint="Whoever reads the table should not be able to use what is in it: store sha256(token) and look "
    "tokens up by that digest.",
)
def test_refresh_stored_hashed(api, db):
    user = register(api)
    first = tokens(api, user)
    second = json_body(expect_status(refresh_grant(api, first["refresh_token"]), 200))
    expect_not_stored(db, second["refresh_token"], "refresh token")
