"""Stampede protection"""

from __future__ import annotations

import httpx
from lab05_support import product_path, results_summary, timed

from grader.checks import check, expect
from grader.concurrency import burst

BURST = 20


def _overlap(cfg):
    """How slow the catalog is in a burst: long enough for the requests to overlap, well within the timeout
    (a loaded machine slows the catalog down too)."""
    return min(0.3, cfg.timeout / 3)


def _fire(api, path, n, cfg):
    """n concurrent GETs of `path`; each result is (response or exception, seconds it took)."""
    return burst(n, lambda i: timed(lambda: api.get(path)), timeout=cfg.bound + 5)


def _responses(results):
    return [r[0] if isinstance(r, tuple) else r for r in results]


def _all_ok(responses, product):
    def good(response):
        if not isinstance(response, httpx.Response) or response.status_code != 200:
            return False
        try:
            return response.json() == product
        except ValueError:
            return False

    return all(good(r) for r in responses)


@check(
    f"{BURST} concurrent reads of a cold product make one catalog call",
    points=4,
    rules=["R5.1"],
    needs="cache_aside::repeated_reads_call_upstream_once",
    hint="When a key is missing, let one request fetch it and make the others wait for its result "
    "(a lock per key: SET lock:{name} <token> NX PX ..., or one shared future per key), instead of "
    "every request calling the catalog at once.",
)
def test_cold_key_burst(api, catalog, cfg):
    product = catalog.add()
    path = product_path(product)
    catalog.slow(path, delay=_overlap(cfg))
    responses = _responses(_fire(api, path, BURST, cfg))
    expect(
        _all_ok(responses, product),
        f"{BURST} concurrent GET {path}: each should answer 200 with the "
        "product (the waiting requests answer with the fetcher's result).",
        expected=f"200 x{BURST}",
        actual=results_summary(responses),
    )
    calls = catalog.reads(path)
    expect(
        calls <= 2,
        f"{BURST} concurrent GET {path} of a cold entry made {calls} calls to the catalog.",
        expected="1 call (2 at most)",
        actual=f"{calls} calls",
    )


@check(
    "Stampede protection still works after the catalog failed",
    points=3,
    rules=["R5.2", "R7.5"],
    needs="cold_key_burst",
    hint="A lock must be released when the fetch fails (try/finally), and waiters must stop waiting "
    "when the fetcher is gone; otherwise the key stays locked and every later miss waits and "
    "then calls the catalog on its own.",
)
def test_protection_survives_failure(api, catalog, cfg):
    product = catalog.add()
    path = product_path(product)
    catalog.fail(path, status=500, delay=cfg.timeout / 4)
    results = _fire(api, path, 10, cfg)
    responses = _responses(results)
    expect(
        all(isinstance(r, httpx.Response) and r.status_code in (503, 504) for r in responses),
        f"10 concurrent GET {path} while the catalog answers 500 (no stale copy): each should answer 503 "
        "(or 504 if its own call timed out).",
        expected="503 x10",
        actual=results_summary(responses),
    )
    slowest = max(r[1] for r in results if isinstance(r, tuple))
    expect(
        slowest <= cfg.bound,
        f"while the catalog failed, one GET {path} took {slowest:.1f} s.",
        expected=f"every answer within {cfg.bound:g} s",
        actual=f"{slowest:.1f} s",
    )
    catalog.slow(path, delay=_overlap(cfg))  # healthy again
    before = catalog.reads(path)
    responses = _responses(_fire(api, path, 10, cfg))
    expect(
        _all_ok(responses, product),
        f"once the catalog recovered, 10 concurrent GET {path} should all answer 200 with the product.",
        expected="200 x10",
        actual=results_summary(responses),
    )
    calls = catalog.reads(path) - before
    expect(
        calls <= 2,
        f"after a failure, a new burst of 10 GET {path} made {calls} catalog calls: the key "
        "is no longer protected.",
        expected="1 call (2 at most)",
        actual=f"{calls} calls",
    )
