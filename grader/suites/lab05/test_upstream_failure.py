"""When the catalog fails"""

from __future__ import annotations

from lab05_support import directives, expect_body, list_path, new_id, product_path, timed

from grader.checks import check, describe, expect, expect_header, expect_status, json_body

SLOW = 4.5  # seconds the catalog takes when it "hangs": far beyond UPSTREAM_TIMEOUT_SECONDS
# What an error body shows when it passes on an exception's text or the catalog's own answer.
INTERNALS = (
    "Error(",
    "Exception",
    "Traceback",
    "Errno",
    "Expecting value",
    "127.0.0.1",
    "localhost",
    "http://",
    "catalog failure",  # the catalog's own error body
    "proxy error page",  # the catalog's garbage, below
)


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
    leaked = [marker for marker in INTERNALS if marker in response.text]
    expect(
        not leaked,
        f"{describe(response)} {why}: the error body passes on internals ({', '.join(leaked)}): what "
        "went wrong inside is for the log.",
        expected='a detail of your own, such as {"detail": "the catalog is unavailable"}',
        actual=response.text[:160],
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
    rules=["R7.3", "R3.7", "R3.8"],
    hint='Catch the catalog\'s errors (5xx, refused connections) and answer 503 {"detail": ...} '
    "instead of a 500 or a copy of the catalog's error.",
)
def test_error_503(api, catalog, cfg):
    for status in (500, 502):  # any 5xx is a failure, not only 500
        product = catalog.add()
        catalog.fail(product_path(product), status=status)
        response, elapsed = timed(lambda product=product: api.get(product_path(product)))
        _expect_error(response, 503, elapsed, cfg, f"while the catalog answers {status}")


@check(
    "A hanging catalog and no stale copy: 504 within the time bound",
    points=4,
    rules=["R7.2", "R7.5"],
    hint="Every outbound call needs a timeout: UPSTREAM_TIMEOUT_SECONDS. When it fires, answer "
    '504 {"detail": ...} rather than keeping the client (and a worker) waiting.',
)
def test_timeout_504(api, catalog, cfg):
    product = catalog.add()
    catalog.slow(product_path(product), delay=SLOW)
    response, elapsed = timed(lambda: api.get(product_path(product)))
    _expect_error(response, 504, elapsed, cfg, f"while the catalog takes {SLOW:g} s")


@check(
    "A catalog that sends its headers in time, then trickles the body: an error within the time bound",
    points=2,
    rules=["R7.5"],
    hint="UPSTREAM_TIMEOUT_SECONDS bounds the whole call, body included: an HTTP client's timeout often "
    "bounds each read only (httpx's does), so wrap the call in asyncio.timeout / wait_for too.",
)
def test_trickling_body_504(api, catalog, cfg):
    product = catalog.add()
    # Each piece comes well within the timeout; the whole body takes far longer than it.
    pause = cfg.timeout / 2
    catalog.trickle(product_path(product), pause)
    response, elapsed = timed(lambda: api.get(product_path(product)))
    why = f"while the catalog sends its body a piece every {pause:g} s"
    # 504 is the contract's answer; a client library may report the cut-off body as a broken call (503):
    # the rule under test here is the time bound.
    _expect_error(response, 504 if response.status_code != 503 else 503, elapsed, cfg, why)


@check(
    "An unreachable catalog: 503 at once, without the connection error's text",
    points=1,
    rules=["R7.3", "R3.8"],
    hint="A refused connection is a failure too: catch the HTTP client's connection errors, not only "
    "timeouts and error statuses.",
)
def test_unreachable_503(no_upstream_api, cfg):
    path = f"/products/{new_id('p')}"
    response, elapsed = timed(lambda: no_upstream_api.get(path))
    _expect_error(response, 503, elapsed, cfg, "while nothing listens at UPSTREAM_URL")


@check(
    "A catalog answering 200 with a body that is not the expected JSON: 502, nothing cached",
    points=2,
    rules=["R7.7", "R3.8"],
    hint="Parse what the catalog sends before you trust it: a body that is not JSON, not a JSON object, "
    'or a written product without its category is a bad answer (502 {"detail": ...}, no-store), not '
    "a 500, and it never goes into the cache.",
)
def test_bad_answer_502(api, catalog, redis, cfg):
    product = catalog.add()
    path = product_path(product)
    key = f"cache:product:{product['id']}"
    catalog.garble(path, b"<html><body>proxy error page</body></html>")
    response, elapsed = timed(lambda: api.get(path))
    _expect_error(response, 502, elapsed, cfg, "while the catalog answers 200 with an HTML page")
    expect(
        "no-store" in directives(response),
        f"{describe(response)}: a 502 should not be cached.",
        expected="Cache-Control: no-store",
        actual=response.headers.get("cache-control", "no Cache-Control"),
        response=response,
    )
    expect(
        redis.exists(key) == 0,
        f"after the catalog answered a product with an HTML page, Redis holds {key}.",
        expected="no fresh copy of a bad answer",
        actual=repr(redis.get(key))[:120],
    )
    category = new_id("c")
    catalog.garble(list_path(category), b'["a JSON list", "not the list object"]')
    response, elapsed = timed(lambda: api.get(list_path(category)))
    _expect_error(response, 502, elapsed, cfg, "while the catalog answers a category with a JSON array")
    # a write's answer is read as carefully as a read's: each kind of bad answer, not only the last one
    for garbage, what in (
        (b"<html><body>proxy error page</body></html>", "an HTML page"),
        (b'["a JSON list", "not the product"]', "a JSON array"),
        (b'{"id": "%s"}' % product["id"].encode(), "a product without its category"),
    ):
        catalog.garble(path, garbage)
        response, elapsed = timed(lambda: api.put(path, json={"name": "Renamed", "price": 3.5}))
        _expect_error(response, 502, elapsed, cfg, f"while the catalog answers a write with {what}")
    catalog.heal(path)
    expect_body(
        api.get(path), catalog.product(product["id"]), "the product, now that the catalog answers well"
    )


@check(
    "/health answers 200 while the catalog is unreachable",
    points=1,
    rules=["R3.1"],
    hint="/health says the app is up; it must not call the catalog (or Redis) to say so.",
)
def test_health_without_upstream(no_upstream_api):
    response = expect_status(no_upstream_api.get("/health"), 200)
    expect(
        json_body(response) == {"status": "ok"},
        f'{describe(response)}: the body should be {{"status": "ok"}}.',
        actual=response.text[:120],
        response=response,
    )


@check(
    "The catalog fails: the stale copy is served, marked X-Cache: STALE",
    points=4,
    rules=["R7.1", "R8.1"],
    needs="cache_aside::deleted_key_means_miss",
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
    rules=["R7.1", "R7.5"],
    needs="stale_on_error",
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
    "An unreachable catalog: the stale copy is served",
    points=1,
    rules=["R7.1"],
    hint="A refused connection is a failure like a 500: fall back to stale:{name} there too, not only "
    "on error statuses.",
)
def test_stale_on_unreachable(api, no_upstream_api, catalog, redis, cfg):
    # The instance without a catalog shares the run's Redis: the main instance fills the stale copy.
    product = _cached_then_expired(api, catalog, redis)
    response, elapsed = timed(lambda: no_upstream_api.get(product_path(product)))
    expect_body(response, product, "the stale copy of the product")
    expect_header(response, "X-Cache", equals="STALE")
    expect(
        elapsed <= cfg.bound,
        f"with nothing listening at UPSTREAM_URL, the stale answer took {elapsed:.1f} s.",
        expected=f"within {cfg.bound:g} s",
        actual=f"{elapsed:.1f} s",
    )


@check(
    "A failure is not cached: once the catalog recovers, reads answer 200",
    points=2,
    rules=["R7.6"],
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
