"""Rate limiting"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from lab02_support import expect_problem, new_client_id

from grader.checks import check, describe, expect, expect_header, expect_status, fail, setup_failed
from grader.concurrency import burst
from grader.http import Api
from grader.manifest import Manifest
from grader.polling import TimedOut, eventually

ATTEMPTS = 3  # a budget spent too slowly to prove anything is spent again by a fresh client


def limits(lab: Manifest) -> tuple[int, float]:
    return int(lab.app.env["RATE_LIMIT"]), float(lab.app.env["RATE_WINDOW_SECONDS"])


def spend(api: Api, count: int, headers: dict[str, str]) -> list[httpx.Response]:
    """`count` requests as one client, across routes and answers (200, 404, 422), sent together: on a
    busy machine one after the other could take longer than the window."""
    paths = [("GET", "/v1/authors"), ("GET", "/v1/books/987654321"), ("POST", "/v1/authors")]

    def one(n: int) -> httpx.Response:
        method, path = paths[n % len(paths)]
        return api.request(method, path, headers=headers, json={} if method == "POST" else None)

    served: list[httpx.Response] = []
    for answer in burst(count, one, timeout=10):
        if isinstance(answer, BaseException):
            fail(
                f"{count} requests sent together as one client: one got no answer ({answer!r}).",
                expected="an answer to every request",
                actual=repr(answer),
            )
        served.append(answer)
    return served


def expect_all_served(answers: list[httpx.Response], limit: int) -> None:
    for response in answers:
        expect(
            response.status_code != 429,
            f"{describe(response)} was refused among {limit} requests of one client: the limit is {limit} "
            "per window.",
            expected="served (not 429)",
            actual=response.status_code,
            response=response,
        )


@dataclass
class Exhausted:
    headers: dict[str, str]  # the client that spent its budget
    over: httpx.Response  # the answer to the request over the limit


def exhaust(api: Api, lab: Manifest, purpose: str) -> Exhausted:
    """A fresh client spends its whole budget, then asks once more. Only a run that fits in one window
    proves anything (a sliding window may let a slow run's first requests go), so a slower run is
    repeated with another fresh client."""
    limit, window = limits(lab)
    for _ in range(ATTEMPTS):
        me = {"X-Client-Id": new_client_id(purpose)}
        started = time.monotonic()
        expect_all_served(spend(api, limit, me), limit)
        over = api.get("/v1/authors", headers=me)
        if over.status_code == 429 or time.monotonic() - started < window:
            return Exhausted(me, over)
    setup_failed(
        f"{ATTEMPTS} times, {limit + 1} requests of one client took longer than RATE_WINDOW_SECONDS="
        f"{window:g}: the app answers too slowly to test its limit.",
        cause="the app answers too slowly to test the rate limit",
        hint="Every request should answer in a few milliseconds; look for slow work in a middleware.",
        expected=f"{limit + 1} answers within {window:g} s",
    )


@check(
    "A client is served up to RATE_LIMIT requests per window",
    points=2,
    hint="Count per client (X-Client-Id); every request counts, whatever its route or answer.",
    rules=["R10.1", "R10.2"],
)
def test_under_limit_served(api: Api, lab: Manifest) -> None:
    limit, _ = limits(lab)
    me = {"X-Client-Id": new_client_id("rate")}
    for _ in range(3):  # GET /health is outside the budget: it must not spend any of it
        expect_status(api.get("/health", headers=me), 200)
    expect_all_served(spend(api, limit, me), limit)


@check(
    "The request over the limit answers 429 with Retry-After",
    points=3,
    hint="Refuse with 429 Too Many Requests, a problem body and Retry-After: whole seconds until the "
    "client may try again (RFC 6585 §4).",
    rules=["R10.1", "R10.2", "R10.3", "R11.1"],
)
def test_over_limit_429(api: Api, lab: Manifest) -> None:
    _, window = limits(lab)
    response = exhaust(api, lab, "rate").over
    expect_problem(response, 429)
    value = expect_header(response, "Retry-After", matches=r"^\s*\d+\s*$")
    expect(
        1 <= int(value) <= max(1, int(-(-window // 1))),
        f"{describe(response)}: Retry-After should be whole seconds from 1 to RATE_WINDOW_SECONDS.",
        expected=f"1..{window:g}",
        actual=value,
        response=response,
    )


@check(
    "The limit is per client: another X-Client-Id is still served",
    points=2,
    hint="Keep one counter per client identity, not one for everybody.",
    rules=["R1.2", "R10.1"],
)
def test_limit_is_per_client(api: Api, lab: Manifest) -> None:
    expect_problem(exhaust(api, lab, "alice").over, 429)
    response = api.get("/v1/authors", headers={"X-Client-Id": new_client_id("bob")})
    expect(
        response.status_code == 200,
        f"{describe(response)}: another client should not be limited.",
        expected=200,
        actual=response.status_code,
        response=response,
    )


@check(
    "After Retry-After seconds the client is served again",
    points=2,
    hint="The window moves on; refused requests do not count, so waiting is enough.",
    rules=["R10.4", "R10.2"],
)
def test_recovers(api: Api, lab: Manifest) -> None:
    limit, window = limits(lab)
    run = exhaust(api, lab, "rate")
    me, refused = run.headers, run.over
    expect_problem(refused, 429)
    retry_after = refused.headers.get("retry-after", "").strip()
    wait = float(retry_after) if retry_after.isdigit() else window

    def served() -> bool:
        # Each poll is a burst of RATE_LIMIT requests, so a client that keeps asking makes more than
        # RATE_LIMIT refused requests per window: if refused requests counted, it would never be served
        # again. (A few requests one after the other can fall below the limit's rate on a busy machine
        # and then prove nothing.)
        return any(response.status_code != 429 for response in spend(api, limit, me))

    try:
        eventually(served, timeout=wait + 1.5, interval=0.1, what="being served again")
    except TimedOut:
        fail(
            f"still 429 {wait + 1.5:g} s after Retry-After said {wait:g} s "
            f"(asking in bursts of {limit} requests).",
            expected="served again",
            actual="429",
            response=api.get("/v1/authors", headers=me),
        )


@check(
    "Requests without X-Client-Id are limited per address; /health never is",
    points=1,
    hint="Fall back to the client's address when there is no X-Client-Id; keep /health out of the limit.",
    rules=["R1.3", "R10.5", "R1.1"],
)
def test_fallback_to_address(new_api: Callable[..., Api], lab: Manifest) -> None:
    limit, _ = limits(lab)
    anonymous = new_api()  # a client that never sends X-Client-Id
    # Every anonymous request of the grader comes from one address: there is no fresh client to try
    # again with, so a burst one over the budget is simply repeated until some request is refused.
    refused = None
    for _ in range(ATTEMPTS):
        refused = next((r for r in spend(anonymous, limit + 1, {}) if r.status_code == 429), None)
        if refused is not None:
            break
    if refused is None:
        fail(
            f"{ATTEMPTS} bursts of {limit + 1} requests without X-Client-Id were all served: requests "
            "without the header should be limited per address.",
            expected=f"429 after {limit} requests",
            actual="never 429",
        )
    expect_problem(refused, 429)
    health = anonymous.get("/health")
    expect(
        health.status_code == 200,
        f"{describe(health)}: the health probe must never be limited.",
        expected=200,
        actual=health.status_code,
        response=health,
    )
