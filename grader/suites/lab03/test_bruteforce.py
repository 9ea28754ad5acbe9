"""Brute-force protection"""

from __future__ import annotations

from lab03_auth import new_name, password_grant, register, session_login

from grader.checks import check, describe, expect, expect_header, expect_status

NEEDS = "bruteforce::lockout_after_max_failures"


def _fail(api, username: str, times: int, via=password_grant) -> None:
    for i in range(times):
        response = via(api, username, f"wrong guess number {i}")
        expect(
            response.status_code == 400,
            f"{describe(response)} (failed attempt {i + 1} of {times}): "
            f"expected 400, got {response.status_code}.",
            expected="400 invalid_grant",
            actual=f"{response.status_code} {response.text[:80]}",
            response=response,
        )


def _expect_locked(response) -> None:
    expect(
        response.status_code == 429,
        f"{describe(response)} with the right password after "
        "LOGIN_MAX_FAILURES failures: expected 429 Too Many Requests.",
        expected="429 with Retry-After",
        actual=f"{response.status_code} {response.text[:80]}",
        response=response,
    )
    value = expect_header(response, "Retry-After")
    expect(
        value.strip().isdigit() and int(value) >= 1,
        f"{describe(response)}: Retry-After should be a number of seconds.",
        expected="Retry-After: 60",
        actual=value,
        response=response,
    )


@check(
    "After LOGIN_MAX_FAILURES failures even the right password gets 429 with Retry-After",
    points=3,
    needs="registration::bad_credentials_invalid_grant",
    hint="Count failed logins per username; once the count reaches LOGIN_MAX_FAILURES, refuse every "
    "attempt for LOGIN_LOCKOUT_SECONDS with 429 and Retry-After, before checking the password.",
)
def test_lockout_after_max_failures(api, env):
    user = register(api)
    _fail(api, user.username, int(env["LOGIN_MAX_FAILURES"]))
    _expect_locked(password_grant(api, user.username, user.password))


@check(
    "One failure fewer than LOGIN_MAX_FAILURES does not lock the account",
    points=2,
    needs=NEEDS,
    hint="The limit is LOGIN_MAX_FAILURES failures: check your comparison (>= versus >) and that you "
    "read the limit from the environment.",
)
def test_threshold_exact(api, env):
    user = register(api)
    _fail(api, user.username, int(env["LOGIN_MAX_FAILURES"]) - 1)
    expect_status(password_grant(api, user.username, user.password), 200)


@check(
    "A successful login resets the failure count",
    points=1,
    needs="threshold_exact",
    hint="Count consecutive failures: forget the count when the right password comes.",
)
def test_success_resets_count(api, env):
    user = register(api)
    below = int(env["LOGIN_MAX_FAILURES"]) - 1
    _fail(api, user.username, below)
    expect_status(password_grant(api, user.username, user.password), 200)
    _fail(api, user.username, below)
    expect_status(password_grant(api, user.username, user.password), 200)


@check(
    "Failures on /auth/token and /auth/session count together, and both are locked",
    points=2,
    needs=NEEDS,
    hint="Put the throttle in the one function that checks a username and password, used by every "
    "login endpoint; otherwise the attacker simply switches endpoint.",
)
def test_lockout_covers_sessions(api, env):
    limit = int(env["LOGIN_MAX_FAILURES"])
    user = register(api)
    _fail(api, user.username, limit)
    _expect_locked(session_login(api, user.username, user.password))
    other = register(api)
    _fail(api, other.username, limit - 1, via=session_login)
    _fail(api, other.username, 1)
    _expect_locked(password_grant(api, other.username, other.password))


@check(
    "Unknown usernames are locked too (the lockout reveals nothing)",
    points=2,
    needs=NEEDS,
    hint="Count failures for the username as typed, whether or not it exists: if only real accounts get "
    "locked, an attacker learns which ones exist.",
)
def test_unknown_users_locked(api, env):
    ghost = new_name("ghost")
    _fail(api, ghost, int(env["LOGIN_MAX_FAILURES"]))
    response = password_grant(api, ghost, "one more guess please")
    expect(
        response.status_code == 429,
        f"{describe(response)} for an unknown username after "
        "LOGIN_MAX_FAILURES failures: expected 429 as for a real account.",
        expected="429",
        actual=f"{response.status_code} {response.text[:80]}",
        response=response,
    )


@check(
    "A locked username does not lock anyone else",
    points=2,
    needs=NEEDS,
    hint="Key the counter by username (not globally, and not by client address alone).",
)
def test_other_users_unaffected(api, env):
    victim, bystander = register(api), register(api)
    _fail(api, victim.username, int(env["LOGIN_MAX_FAILURES"]))
    expect_status(password_grant(api, bystander.username, bystander.password), 200)
