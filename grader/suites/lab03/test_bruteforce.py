"""Brute-force protection"""

from __future__ import annotations

import threading

from lab03_auth import SHORT_ENV, new_name, password_grant, register, session_login

from grader.checks import check, describe, expect, expect_header, expect_status
from grader.concurrency import burst, statuses, tally
from grader.pglock import while_locked

NEEDS = "bruteforce::lockout_after_max_failures"
BURST = 20  # simultaneous wrong guesses: well above the limit, within the app's usual pool sizes


def _fail(api, username: str, times: int, via=password_grant) -> None:
    for i in range(times):
        response = via(api, username, f"wrong guess number {i}")
        # the session login answers bad credentials exactly as the token endpoint does
        expect(
            response.status_code == 400 and "invalid_grant" in response.text,
            f"{describe(response)} (failed attempt {i + 1} of {times}): "
            f'expected 400 {{"error": "invalid_grant"}}, got {response.status_code}.',
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
    rules=["R10.3"],
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
    rules=["R10.3"],
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
    rules=["R10.5"],
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
    rules=["R10.1", "R7.5"],
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
    rules=["R10.2"],
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
    rules=["R10.6"],
    hint="Key the counter by username (not globally, and not by client address alone).",
)
def test_other_users_unaffected(api, env):
    victim, bystander = register(api), register(api)
    _fail(api, victim.username, int(env["LOGIN_MAX_FAILURES"]))
    expect_status(password_grant(api, bystander.username, bystander.password), 200)


@check(
    f"{BURST} wrong passwords for one username at the same moment: at most LOGIN_MAX_FAILURES are checked, "
    "the others get 429",
    points=3,
    rules=["R10.7"],
    needs=NEEDS,
    alone=True,  # it holds a lock on `users` for a moment: other checks' requests would wait on it
    hint='"Is it locked? Check the password. Count the failure." lets a whole burst pass the question '
    "before the first failure is counted (password hashing is slow). Count the attempt before checking "
    "the password, in one atomic statement on a shared row (INSERT ... ON CONFLICT DO UPDATE ... "
    "RETURNING), and check the password only when the count it returns is within the limit.",
)
def test_concurrent_attempts_limited(api, env, db):
    limit = int(env["LOGIN_MAX_FAILURES"])
    user = register(api)
    answered = _Counter()

    def guess(i: int):
        try:
            return password_grant(api, user.username, f"simultaneous wrong guess {i}")
        finally:
            answered.add()

    # ACCESS EXCLUSIVE on `users` (R3.11) parks every login at its user lookup, before any password is
    # checked: released once all have answered or wait there, a check-then-act lets the whole burst past
    # "is it locked?"; an atomic count has answered 429 to all but LOGIN_MAX_FAILURES by then.
    results = while_locked(
        db,
        "users",
        "ACCESS EXCLUSIVE",
        lambda: burst(BURST, guess),
        ready=lambda waiting: waiting + answered.value >= BURST,
        what="the logins to answer or reach their user lookup",
    )
    outcomes = statuses(results)
    checked = outcomes.count(400)
    expect(
        checked <= limit and outcomes.count(429) == BURST - checked,
        f"{BURST} × POST /auth/token with wrong passwords for {user.username!r} at the same moment: "
        f"expected at most {limit} answered 400 (passwords checked) and the others 429; "
        f"{checked} passwords were checked.",
        expected=f"at most {limit} × 400, the others 429",
        actual=tally(outcomes),
    )
    _expect_locked(password_grant(api, user.username, user.password))


@check(
    "Failures on one instance of the app count on the other (the count is shared through the database)",
    points=2,
    rules=["R10.8"],
    needs=NEEDS,
    hint="Keep the failure count where every instance sees it (a table in PostgreSQL), not in the memory "
    "of one process: behind a load balancer each process would allow LOGIN_MAX_FAILURES guesses of its own.",
)
def test_count_shared_by_instances(api, env, short_app, new_api):
    limit = int(env["LOGIN_MAX_FAILURES"])
    user = register(api)
    # limit - 1 (2) failures stay below the second instance's own limit (SHORT_ENV: 5): it locks nothing
    # itself, so only a count shared with it locks this instance after one more failure.
    _fail(new_api(short_app), user.username, min(limit, int(SHORT_ENV["LOGIN_MAX_FAILURES"])) - 1)
    _fail(api, user.username, 1)
    response = password_grant(api, user.username, user.password)
    expect(
        response.status_code == 429,
        f"{describe(response)} with the right password, after {limit - 1} failures on the second instance "
        f"of the app (same database) and 1 on this one: expected 429, the {limit} failures counted together.",
        expected="429 with Retry-After",
        actual=f"{response.status_code} {response.text[:80]}",
        response=response,
    )


class _Counter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self) -> None:
        with self._lock:
            self.value += 1
