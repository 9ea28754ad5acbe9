"""When the catalog fails"""

from __future__ import annotations

from lab05_support import expect_body, new_id, product_path, timed

from grader.checks import check, describe, expect, expect_header, expect_status, json_body

SLOW = 4.5  # seconds the catalog takes when it "hangs": far beyond UPSTREAM_TIMEOUT_SECONDS


def _expect_error(response, status, elapsed, cfg, why):
    expect(
        elapsed <= cfg.bound,
        f"{describe(response)} {why}: the answer ({response.status_code}) took {elapsed:.1f} s.",
        expected=f"{status} within {cfg.bound:g} s",
        actual=f"{response.status_code} after {elapsed:.1f} s",
        response=response,
    )
    expect_status(response, status)
    body = json_body(response)
    expect(
        isinstance(body, dict) and isinstance(body.get("detail"), str),
        f'{describe(response)}: the error body is {{"detail": "..."}}.',
        actual=response.text[:120],
        response=response,
    )


def _cached_then_expired(api, catalog, redis):
    """A product whose stale copy exists but whose fresh copy is gone (deleted: as if it expired)."""
    product = catalog.add()
    expect_body(api.get(product_path(product)), product)
    redis.delete(f"cache:product:{product['id']}")
    return product


@check(
    "A failing catalog (500) and no stale copy: 503 with a JSON detail",
    points=3,
    needs="cache_aside::read_returns_upstream_data",
    hint='Catch the catalog\'s errors (5xx, refused connections) and answer 503 {"detail": ...} '
    "instead of a 500 or a copy of the catalog's error.",
)
def test_error_503(api, catalog, cfg):
    product = catalog.add()
    catalog.fail(product_path(product), status=500)
    response, elapsed = timed(lambda: api.get(product_path(product)))
    _expect_error(response, 503, elapsed, cfg, "while the catalog answers 500")


@check(
    "A hanging catalog and no stale copy: 504 within the time bound",
    points=4,
    needs="cache_aside::read_returns_upstream_data",
    hint="Every outbound call needs a timeout: UPSTREAM_TIMEOUT_SECONDS. When it fires, answer "
    '504 {"detail": ...} rather than keeping the client (and a worker) waiting.',
)
def test_timeout_504(api, catalog, cfg):
    product = catalog.add()
    catalog.slow(product_path(product), delay=SLOW)
    response, elapsed = timed(lambda: api.get(product_path(product)))
    _expect_error(response, 504, elapsed, cfg, f"while the catalog takes {SLOW:g} s")


@check(
    "An unreachable catalog: 503 at once",
    points=1,
    needs="error_503",
    hint="A refused connection is a failure too: catch the HTTP client's connection errors, not only "
    "timeouts and error statuses.",
)
def test_unreachable_503(no_upstream_api, cfg):
    path = f"/products/{new_id('p')}"
    response, elapsed = timed(lambda: no_upstream_api.get(path))
    _expect_error(response, 503, elapsed, cfg, "while nothing listens at UPSTREAM_URL")


@check(
    "The catalog fails: the stale copy is served, marked X-Cache: STALE",
    points=4,
    needs=["cache_aside::stale_copy_in_redis", "cache_aside::deleted_key_means_miss", "error_503"],
    hint="stale-if-error: when the fresh copy is gone and the catalog fails, answer 200 with "
    "stale:{name} and X-Cache: STALE instead of an error.",
)
def test_stale_on_error(api, catalog, redis, cfg):
    product = _cached_then_expired(api, catalog, redis)
    catalog.fail(product_path(product), status=500)
    response, elapsed = timed(lambda: api.get(product_path(product)))
    expect_body(response, product, "the stale copy of the product")
    expect_header(response, "X-Cache", equals="STALE")
    expect(
        elapsed <= cfg.bound,
        f"the stale answer took {elapsed:.1f} s.",
        expected=f"within {cfg.bound:g} s",
        actual=f"{elapsed:.1f} s",
    )


@check(
    "The catalog hangs: the stale copy is served within the time bound",
    points=3,
    needs=["stale_on_error", "timeout_504"],
    hint="A timeout is a failure too: after UPSTREAM_TIMEOUT_SECONDS, fall back to the stale copy.",
)
def test_stale_on_timeout(api, catalog, redis, cfg):
    product = _cached_then_expired(api, catalog, redis)
    catalog.slow(product_path(product), delay=SLOW)
    response, elapsed = timed(lambda: api.get(product_path(product)))
    expect_body(response, product, "the stale copy of the product")
    expect_header(response, "X-Cache", equals="STALE")
    expect(
        elapsed <= cfg.bound,
        f"with the catalog taking {SLOW:g} s, the stale answer took {elapsed:.1f} s.",
        expected=f"within {cfg.bound:g} s",
        actual=f"{elapsed:.1f} s",
    )


@check(
    "A failure is not cached: once the catalog recovers, reads answer 200",
    points=2,
    needs="error_503",
    hint="Only store what the catalog answered with 200. An error (or its body) must never end up in "
    "cache:{name}.",
)
def test_recovers_after_error(api, catalog):
    product = catalog.add()
    catalog.fail(product_path(product), status=500)
    expect_status(api.get(product_path(product)), 503)
    catalog.heal(product_path(product))
    expect_body(api.get(product_path(product)), product, "the product, now that the catalog works again")
