"""Rate limiting"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from lab02_support import expect_problem, new_client_id

from grader.checks import check, describe, expect, expect_header, fail
from grader.http import Api
from grader.manifest import Manifest
from grader.polling import TimedOut, eventually


def limits(lab: Manifest) -> tuple[int, float]:
    return int(lab.app.env["RATE_LIMIT"]), float(lab.app.env["RATE_WINDOW_SECONDS"])


def spend(api: Api, count: int, headers: dict[str, str]) -> list[httpx.Response]:
    """`count` quick requests as one client, across routes and answers (200, 404, 422)."""
    paths = [("GET", "/v1/authors"), ("GET", "/v1/books/987654321"), ("POST", "/v1/authors")]
    answers = []
    for n in range(count):
        method, path = paths[n % len(paths)]
        answers.append(api.request(method, path, headers=headers, json={} if method == "POST" else None))
    return answers


def expect_all_served(answers: list[httpx.Response], limit: int) -> None:
    for n, response in enumerate(answers, start=1):
        expect(
            response.status_code != 429,
            f"{describe(response)} was refused as request {n} of {limit}: the limit is {limit} per window.",
            expected="served (not 429)",
            actual=response.status_code,
            response=response,
        )


def exhaust(api: Api, lab: Manifest, headers: dict[str, str]) -> httpx.Response:
    """Spend the whole budget, then return the answer to one request more."""
    limit, _ = limits(lab)
    expect_all_served(spend(api, limit, headers), limit)
    return api.get("/v1/authors", headers=headers)


@check(
    "A client is served up to RATE_LIMIT requests per window",
    points=2,
    hint="Count per client (X-Client-Id); every request counts, whatever its route or answer.",
)
def test_under_limit_served(api: Api, lab: Manifest) -> None:
    limit, _ = limits(lab)
    expect_all_served(spend(api, limit, {"X-Client-Id": new_client_id("rate")}), limit)


@check(
    "The request over the limit answers 429 with Retry-After",
    points=3,
    hint="Refuse with 429 Too Many Requests, a problem body and Retry-After: whole seconds until the "
    "client may try again (RFC 6585 §4).",
)
def test_over_limit_429(api: Api, lab: Manifest) -> None:
    _, window = limits(lab)
    response = exhaust(api, lab, {"X-Client-Id": new_client_id("rate")})
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
)
def test_limit_is_per_client(api: Api, lab: Manifest) -> None:
    alice = {"X-Client-Id": new_client_id("alice")}
    expect_problem(exhaust(api, lab, alice), 429)
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
)
def test_recovers(api: Api, lab: Manifest) -> None:
    _, window = limits(lab)
    me = {"X-Client-Id": new_client_id("rate")}
    refused = exhaust(api, lab, me)
    expect_problem(refused, 429)
    retry_after = refused.headers.get("retry-after", "").strip()
    wait = float(retry_after) if retry_after.isdigit() else window

    def served() -> bool:
        # A few requests per poll, so a client that keeps asking makes more than RATE_LIMIT refused
        # requests per window: if refused requests counted, it would never be served again.
        return any(api.get("/v1/authors", headers=me).status_code != 429 for _ in range(4))

    try:
        eventually(served, timeout=wait + 1.5, interval=0.1, what="being served again")
    except TimedOut:
        fail(
            f"still 429 {wait + 1.5:g} s after Retry-After said {wait:g} s (polling a few times a second).",
            expected="served again",
            actual="429",
            response=api.get("/v1/authors", headers=me),
        )


@check(
    "Requests without X-Client-Id are limited per address; /health never is",
    points=1,
    hint="Fall back to the client's address when there is no X-Client-Id; keep /health out of the limit.",
)
def test_fallback_to_address(new_api: Callable[..., Api], lab: Manifest) -> None:
    anonymous = new_api()  # a client that never sends X-Client-Id
    expect_problem(exhaust(anonymous, lab, {}), 429)
    health = anonymous.get("/health")
    expect(
        health.status_code == 200,
        f"{describe(health)}: the health probe must never be limited.",
        expected=200,
        actual=health.status_code,
        response=health,
    )
