"""Rate limiting"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
from lab05_support import list_path, new_id, product_path, results_summary

from grader.checks import check, describe, expect, expect_header, expect_status, fail, json_body
from grader.concurrency import burst
from grader.polling import TimedOut, eventually


def _as(client, path, who):
    return client.get(path, headers={"X-Client-Id": who})


ROUNDS = 10  # bursts per concurrency check: a race must show in one of them even on a busy machine


def _within_window(cfg, attempt):
    """Run `attempt()` (which spends one client's whole budget) until it ran well inside one window.

    A run slower than half a window proves nothing about a sliding window (early requests may have
    left it), so it is repeated with a fresh client, at most three times.
    """
    for _ in range(3):
        started = time.monotonic()
        result = attempt()
        if time.monotonic() - started < cfg.window / 2:
            return result
    fail(
        f"could not send {cfg.limit + 1} requests within half of RATE_WINDOW_SECONDS={cfg.window}: "
        "the app answers too slowly to test its limit.",
        expected=f"answers within {cfg.window / 2:g} s",
    )


@dataclass
class Exhausted:
    """A fresh client that used its whole budget."""

    who: str
    path: str
    accepted: list[httpx.Response]
    over: httpx.Response  # the answer to the request over the limit


def _exhaust(api, catalog, cfg) -> Exhausted:
    product = catalog.add()
    path = product_path(product)

    def attempt():
        who = new_id("grader-rl")
        answers = [_as(api, path, who) for _ in range(cfg.limit + 1)]
        return Exhausted(who, path, answers[:-1], answers[-1])

    return _within_window(cfg, attempt)


@check(
    "The request over RATE_LIMIT answers 429 with a JSON detail",
    points=4,
    rules=["R9.5", "R9.9"],
    hint="Count each client's requests (X-Client-Id) in Redis; over RATE_LIMIT in the window, answer "
    '429 {"detail": ...} before doing any work.',
)
def test_limit_then_429(api, catalog, cfg):
    run = _exhaust(api, catalog, cfg)
    statuses = [response.status_code for response in run.accepted]
    expect(
        statuses == [200] * cfg.limit,
        f"the first {cfg.limit} GET {run.path} of one client should be accepted.",
        expected=f"200 x{cfg.limit}",
        actual=", ".join(map(str, statuses)),
    )
    expect_status(run.over, 429)
    body = json_body(run.over)
    expect(
        isinstance(body, dict) and isinstance(body.get("detail"), str),
        f'{describe(run.over)}: the 429 body is {{"detail": "..."}}.',
        actual=run.over.text[:120],
        response=run.over,
    )


@check(
    "RateLimit-Limit and RateLimit-Remaining count down",
    points=2,
    rules=["R9.8", "R9.9"],
    hint="Send RateLimit-Limit: <RATE_LIMIT> and RateLimit-Remaining: how many more requests the client "
    "may make now (4 after the first of 5, 0 after the fifth, 0 on a 429).",
)
def test_ratelimit_headers(api, catalog, cfg):
    run = _exhaust(api, catalog, cfg)
    for index, response in enumerate([*run.accepted, run.over]):
        expect_header(response, "RateLimit-Limit", equals=str(cfg.limit))
        left = max(cfg.limit - index - 1, 0)
        expect_header(response, "RateLimit-Remaining", equals=str(left))


@check(
    "A 429 says Retry-After, in whole seconds within the window",
    points=2,
    rules=["R9.9"],
    hint="Retry-After is the number of seconds until the oldest counted request leaves the window "
    "(at least 1, at most RATE_WINDOW_SECONDS).",
)
def test_retry_after(api, catalog, cfg):
    run = _exhaust(api, catalog, cfg)
    value = expect_header(run.over, "Retry-After", matches=r"^\d+$")
    expect(
        1 <= int(value) <= cfg.window,
        f"{describe(run.over)}: Retry-After: {value} is out of range.",
        expected=f"1 to {cfg.window}",
        actual=value,
        response=run.over,
    )


@check(
    "Each client has its own budget",
    points=2,
    rules=["R9.3"],
    hint="Key the counter by the client (X-Client-Id), not one counter for everybody.",
)
def test_per_client(api, catalog, cfg):
    run = _exhaust(api, catalog, cfg)
    expect_status(run.over, 429)
    other = _as(api, run.path, new_id("grader-rl-other"))
    expect(
        other.status_code == 200,
        f"while one client is limited, another client's GET {run.path} should pass.",
        expected="200",
        actual=str(other.status_code),
        response=other,
    )


@check(
    "Two instances share one limit",
    points=4,
    rules=["R9.6"],
    hint="A counter in process memory lets a client through once per instance. Keep the window in Redis, "
    "which every instance shares.",
)
def test_shared_between_instances(api, other_api, catalog, cfg):
    product = catalog.add()
    path = product_path(product)

    def attempt():
        who = new_id("grader-rl-shared")
        return [_as(api if i % 2 == 0 else other_api, path, who) for i in range(cfg.limit + 2)]

    answers = _within_window(cfg, attempt)
    statuses = [response.status_code for response in answers]
    expected = [200] * cfg.limit + [429, 429]
    expect(
        statuses == expected,
        f"{cfg.limit + 2} GET {path} of one client, alternating between the two "
        "instances: the limit applies to both together.",
        expected=", ".join(map(str, expected)),
        actual=", ".join(map(str, statuses)),
    )


@check(
    "Concurrent requests cannot overrun the limit",
    points=3,
    rules=["R9.7"],
    needs="shared_between_instances",
    hint="Reading the count and adding to it must be one atomic step (a Lua script, or MULTI/EXEC with "
    "WATCH): otherwise concurrent requests all see room for one more.",
)
def test_concurrent_burst(api, other_api, catalog, cfg):
    product = catalog.add()
    path = product_path(product)
    size = cfg.limit * 3

    def attempt():
        who = new_id("grader-rl-burst")
        return burst(size, lambda i: _as(api if i % 2 == 0 else other_api, path, who), timeout=10)

    # A race shows up only when requests interleave: several rounds (a fresh client each) make an
    # unprotected read-then-write fail this check every time, while an atomic limiter passes them all.
    for _ in range(ROUNDS):
        results = _within_window(cfg, attempt)
        accepted = sum(1 for r in results if isinstance(r, httpx.Response) and r.status_code == 200)
        rejected = sum(1 for r in results if isinstance(r, httpx.Response) and r.status_code == 429)
        expect(
            accepted == cfg.limit and rejected == size - cfg.limit,
            f"{size} concurrent GET {path} of one client on two instances.",
            expected=f"200 x{cfg.limit}, 429 x{size - cfg.limit}",
            actual=results_summary(results),
        )


@check(
    "A limited client gets back in after Retry-After",
    points=2,
    rules=["R9.10", "R9.1"],
    needs="retry_after",
    hint="Old requests must leave the window (ZREMRANGEBYSCORE, or an expiring counter), and rejected "
    "requests must not count, or a client that keeps retrying is locked out forever.",
)
def test_client_gets_back_in(api, catalog, cfg):
    run = _exhaust(api, catalog, cfg)
    told = time.monotonic()  # the 429 has arrived: Retry-After counts from here
    wait = int(expect_header(run.over, "Retry-After", matches=r"^\d+$"))
    # Time passing is the behaviour under test: the client keeps retrying (rejected retries must not
    # count) until Retry-After has passed, and the first retry at that moment must be accepted.
    while time.monotonic() - told < wait:
        if _as(api, run.path, run.who).status_code == 200:
            return  # a slot freed up early: allowed (Retry-After is an upper bound for the client)
        time.sleep(min(0.1, max(0.0, wait - (time.monotonic() - told))))
    response = _as(api, run.path, run.who)
    expect(
        response.status_code == 200,
        f"the client was told Retry-After: {wait}, retried every 0.1 s, and {wait} s after the 429 "
        f"GET {run.path} still answers {response.status_code}.",
        expected="200 once Retry-After seconds have passed",
        actual=f"{response.status_code} (Retry-After: {response.headers.get('Retry-After', '-')})",
        response=response,
    )


@check(
    "The window slides: old requests leave it one by one",
    points=3,
    rules=["R9.5", "R9.1"],
    hint="A fixed window (a counter reset every RATE_WINDOW_SECONDS) lets a client send twice the limit "
    "around the reset. Count the requests of the last RATE_WINDOW_SECONDS (a sorted set of "
    "timestamps) instead.",
)
def test_window_slides(api, catalog, cfg):
    product = catalog.add()
    path = product_path(product)
    for _ in range(2):
        who = new_id("grader-rl-slide")
        expect_status(_as(api, path, who), 200)
        # Time passing is the behaviour under test here, not a synchronisation: the first request must be
        # half a window older than the others.
        time.sleep(cfg.window / 2)
        later = time.monotonic()
        statuses = [_as(api, path, who).status_code for _ in range(cfg.limit)]
        expect(
            statuses == [200] * (cfg.limit - 1) + [429],
            f"one request, then {cfg.limit} more half a window later: the last one is over the limit.",
            expected=", ".join(["200"] * (cfg.limit - 1) + ["429"]),
            actual=", ".join(map(str, statuses)),
        )
        try:  # the first request leaves the window: exactly one slot frees up
            eventually(
                lambda who=who: _as(api, path, who).status_code,
                timeout=cfg.window + 1.5,
                interval=0.05,
                until=lambda status: status == 200,
                what="a free slot",
            )
        except TimedOut as exc:
            fail(
                f"GET {path} was never accepted again once the first request left the window.",
                expected="200",
                actual=str(exc.last),
            )
        if time.monotonic() > later + cfg.window - 0.4:
            continue  # too slow to tell: the later requests may be leaving the window too; once more
        response = _as(api, path, who)
        expect(
            response.status_code == 429,
            f"{describe(response)}: only the oldest request left the window, "
            f"the {cfg.limit - 1} later ones are still in it, so this request is over the limit.",
            expected="429",
            actual=str(response.status_code),
            response=response,
        )
        return
    fail(
        "the app answered too slowly to test the sliding window.",
        expected=f"answers within {cfg.window / 4:g} s",
    )


@check(
    "Requests without X-Client-Id are limited by client address",
    points=1,
    rules=["R9.4"],
    hint="A missing header is no way around the limit: fall back to the client's IP address.",
)
def test_no_client_id_uses_address(new_api, catalog, cfg):
    product = catalog.add()
    path = product_path(product)
    anonymous = new_api()  # a plain client: it sends no X-Client-Id

    def attempt():
        return [anonymous.get(path) for _ in range(cfg.limit + 1)]

    answers = _within_window(cfg, attempt)
    last = answers[-1]
    expect(
        last.status_code == 429,
        f"{cfg.limit + 1} GET {path} without X-Client-Id from one address: the "
        "last one should be over the limit.",
        expected="429",
        actual=str(last.status_code),
        response=last,
    )


@check(
    "/health is not rate limited",
    points=1,
    rules=["R9.2"],
    hint="Health probes must always get through: only /products and /categories count.",
)
def test_health_not_limited(api, catalog, cfg):
    who = new_id("grader-rl-health")
    statuses = [_as(api, "/health", who).status_code for _ in range(cfg.limit * 2)]
    expect(
        all(status == 200 for status in statuses),
        f"{cfg.limit * 2} GET /health of one client.",
        expected="200 every time",
        actual=", ".join(map(str, statuses)),
    )
    # ...and they did not count: the client's budget is whole.
    response = expect_status(_as(api, product_path(catalog.add()), who), 200)
    expect_header(response, "RateLimit-Remaining", equals=str(cfg.limit - 1))


@check(
    "One budget per client, whatever the path, method or outcome",
    points=2,
    rules=["R9.1", "R9.8"],
    hint="Key the window by the client only: not by client and path, and not only GETs or only 200s. "
    "Reads of products and lists, writes and 404s all spend the same budget, and every accepted answer "
    "(a 404 too) carries RateLimit-Limit and RateLimit-Remaining.",
)
def test_budget_spans_paths_and_methods(api, catalog, cfg):
    product, other = catalog.add(), catalog.add()
    requests = [  # each a different path, method or outcome; the one after them is over the limit
        ("GET", product_path(product), None),
        ("GET", list_path(product["category"]), None),
        ("PUT", product_path(product), {"name": "Counted too", "price": 3.5}),
        ("GET", "/products/p-not-in-the-catalog", None),
        ("GET", product_path(other), None),
    ]
    requests = (requests * (cfg.limit // len(requests) + 1))[: cfg.limit]

    def attempt():
        who = new_id("grader-rl-mixed")
        headers = {"X-Client-Id": who}
        answers = [api.request(method, path, json=body, headers=headers) for method, path, body in requests]
        return answers, api.get(product_path(catalog.add()), headers=headers)

    answers, over = _within_window(cfg, attempt)
    seen = [f"{a.request.method} {a.request.url.path} {a.status_code}" for a in answers]
    expect(
        all(a.status_code != 429 for a in answers),
        f"the first {cfg.limit} requests of one client should be accepted.",
        expected=f"no 429 in the first {cfg.limit}",
        actual="; ".join(seen),
    )
    for index, answer in enumerate(answers):  # whatever the outcome, an accepted answer says what is left
        expect_header(answer, "RateLimit-Limit", equals=str(cfg.limit))
        expect_header(answer, "RateLimit-Remaining", equals=str(cfg.limit - index - 1))
    expect(
        over.status_code == 429,
        f"{cfg.limit} requests of one client to different paths ({'; '.join(seen)}), then GET of yet "
        "another product: that request is over the client's one budget.",
        expected="429",
        actual=str(over.status_code),
        response=over,
    )
