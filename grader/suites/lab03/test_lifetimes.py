"""Lifetimes and limits from the environment"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import jwt
import pytest
from lab03_auth import (
    SHORT_ENV,
    new_session,
    password_grant,
    refresh_grant,
    register,
    session_header,
    tokens,
    wait_until,
)

from grader.checks import check, describe, expect, expect_status, fail
from grader.http import Api, Recorder
from grader.polling import TimedOut, eventually

LIFETIME = 1  # seconds: the short instance's ACCESS_TOKEN_TTL, REFRESH_TOKEN_TTL and SESSION_TTL
MARGIN = 1.2  # seconds past the lifetime before expecting the end


@dataclass
class Prepared:
    """What the module sets up at once on the short-lived instance, so that one wait serves every check."""

    access_token: str = ""
    expires_in: object = None
    fresh_refresh: int = 0  # status of a refresh made right after login
    fresh_session: int = 0  # status of GET /users/me right after the session login
    refresh_token: str = ""
    session_id: str = ""
    deadline: float = 0.0
    notes: list[str] = field(default_factory=list)


@pytest.fixture
def short(short_app, new_api):
    """A client on the short-lived instance, recorded like `api`."""
    return new_api(short_app)


@pytest.fixture(scope="module")
def prepared(short_app, lab) -> Iterator[Prepared]:
    done = Prepared()
    with Api(short_app.base_url, recorder=Recorder(), timeout=lab.limits.request) as short:
        _prepare(short, done)
        yield done


def _prepare(short: Api, done: Prepared) -> None:
    user = register(short)
    first = tokens(short, user)
    done.fresh_refresh = refresh_grant(short, first["refresh_token"]).status_code
    second = tokens(short, user)
    done.access_token, done.expires_in = second["access_token"], second.get("expires_in")
    done.refresh_token = second["refresh_token"]
    done.session_id = new_session(short, user)
    done.fresh_session = short.get("/users/me", headers=session_header(done.session_id)).status_code
    done.deadline = time.monotonic() + LIFETIME + MARGIN


@check(
    "ACCESS_TOKEN_TTL is read from the environment (an instance with 1 issues 1-second tokens)",
    points=2,
    rules=["R1.1", "R1.2", "R5.1"],
    hint="Read ACCESS_TOKEN_TTL with your settings class; never hard-code a lifetime.",
)
def test_access_ttl_from_env(prepared):
    claims = jwt.decode(prepared.access_token, options={"verify_signature": False})
    lifetime = claims.get("exp", 0) - claims.get("iat", 0)
    expect(
        lifetime == LIFETIME and prepared.expires_in == LIFETIME,
        f"with ACCESS_TOKEN_TTL={SHORT_ENV['ACCESS_TOKEN_TTL']}: exp - iat and expires_in should be 1.",
        expected="exp - iat = 1, expires_in = 1",
        actual=f"exp - iat = {lifetime}, expires_in = {prepared.expires_in}",
    )


@check(
    "Refresh tokens expire after REFRESH_TOKEN_TTL seconds",
    points=2,
    rules=["R6.2", "R1.1"],
    needs="refresh::refresh_rotates",
    hint="Store an expiry with each refresh token (issued at + REFRESH_TOKEN_TTL) and refuse it after.",
)
def test_refresh_expires(prepared, short):
    expect(
        prepared.fresh_refresh == 200,
        "on the instance with REFRESH_TOKEN_TTL=1, a refresh right after "
        f"login got {prepared.fresh_refresh}.",
        expected="200",
        actual=str(prepared.fresh_refresh),
    )
    wait_until(prepared.deadline, "the refresh token's lifetime")
    response = refresh_grant(short, prepared.refresh_token)
    expect(
        response.status_code == 400,
        f"{describe(response)} {LIFETIME + MARGIN:g} s after login with "
        f"REFRESH_TOKEN_TTL={LIFETIME}: expected 400 invalid_grant.",
        expected="400",
        actual=f"{response.status_code} {response.text[:80]}",
        response=response,
    )


@check(
    "Sessions expire after SESSION_TTL seconds on the server",
    points=2,
    rules=["R7.7", "R1.1"],
    needs="sessions::session_login_works",
    hint="Keep an expiry with each server-side session and compare it on every request; the cookie's "
    "Max-Age alone is only a request to the browser.",
)
def test_session_expires(prepared, short):
    expect(
        prepared.fresh_session == 200,
        f"on the instance with SESSION_TTL=1, the session right after login got {prepared.fresh_session}.",
        expected="200",
        actual=str(prepared.fresh_session),
    )
    wait_until(prepared.deadline, "the session's lifetime")
    response = short.get("/users/me", headers=session_header(prepared.session_id))
    expect(
        response.status_code == 401,
        f"{describe(response)} {LIFETIME + MARGIN:g} s after a login with "
        f"SESSION_TTL={LIFETIME}: expected 401.",
        expected="401",
        actual=str(response.status_code),
        response=response,
    )


@check(
    "LOGIN_MAX_FAILURES is read from the environment (5 on the second instance)",
    points=2,
    rules=["R1.1", "R10.3"],
    needs="bruteforce::lockout_after_max_failures",
    hint="Read the limit from LOGIN_MAX_FAILURES with your settings; with 5, three failures must not lock.",
)
def test_failure_limit_from_env(short):
    user = register(short)
    limit = int(SHORT_ENV["LOGIN_MAX_FAILURES"])
    for i in range(limit - 1):
        expect_status(password_grant(short, user.username, f"wrong guess {i}"), 400)
    expect_status(password_grant(short, user.username, user.password), 200)
    for i in range(limit):
        expect_status(password_grant(short, user.username, f"wrong guess {i}"), 400)
    expect_status(password_grant(short, user.username, user.password), 429)


@check(
    "The lockout ends after LOGIN_LOCKOUT_SECONDS (1 on the second instance)",
    points=2,
    rules=["R10.4", "R1.1"],
    needs="bruteforce::lockout_after_max_failures",
    hint="Store when the lockout ends (now + LOGIN_LOCKOUT_SECONDS) and let attempts through after it; "
    "attempts during the lockout must not extend it.",
)
def test_lockout_lifts(short):
    user = register(short)
    for i in range(int(SHORT_ENV["LOGIN_MAX_FAILURES"])):
        expect_status(password_grant(short, user.username, f"wrong guess {i}"), 400)
    expect_status(password_grant(short, user.username, user.password), 429)
    try:
        eventually(
            lambda: password_grant(short, user.username, user.password).status_code,
            timeout=4,
            interval=0.25,
            until=lambda status: status == 200,
            what="the end of the lockout",
        )
    except TimedOut as exc:
        fail(
            "with LOGIN_LOCKOUT_SECONDS=1 the right password is still refused 4 s after the lockout began.",
            expected="200 after about 1 s",
            actual=str(exc.last),
        )
