"""When Redis is down"""

from __future__ import annotations

from lab05_support import expect_body, product_path, timed

from grader.checks import check, expect, expect_status


@check(
    "The app starts, and /health answers, while Redis is unreachable",
    points=3,
    rules=["R10.1", "R3.1"],
    hint="Do not ping Redis at startup or in /health: the app must come up without it. Create the client "
    "lazily (or let it fail per call) and handle its errors where you use it.",
)
def test_starts_without_redis(no_redis_api):
    expect_status(no_redis_api.get("/health"), 200)


@check(
    "Reads are served from the catalog while Redis is down",
    points=4,
    rules=["R10.2", "R10.5"],
    needs="starts_without_redis",
    hint="A Redis error is a cache miss, not a failure: catch it (redis.exceptions.RedisError), call the "
    "catalog, and skip storing.",
)
def test_reads_without_redis(no_redis_api, catalog, cfg):
    product = catalog.add()
    for _ in range(2):
        response, elapsed = timed(lambda: no_redis_api.get(product_path(product)))
        expect_body(response, product, "the catalog's product (uncached)")
        expect(
            elapsed <= cfg.bound,
            f"without Redis, GET {product_path(product)} took {elapsed:.1f} s.",
            expected=f"within {cfg.bound:g} s",
            actual=f"{elapsed:.1f} s",
        )


@check(
    "Writes work while Redis is down",
    points=2,
    rules=["R10.3", "R10.5"],
    needs="starts_without_redis",
    hint="A failed invalidation while Redis is down is no reason to fail the write: the catalog has it.",
)
def test_writes_without_redis(no_redis_api, catalog, cfg):
    product = catalog.add()
    change = {"name": "Written without Redis", "price": 2.0}
    response, elapsed = timed(lambda: no_redis_api.put(product_path(product), json=change))
    expect_body(response, catalog.product(product["id"]), "the updated product")
    expect(
        elapsed <= cfg.bound,
        f"without Redis, PUT {product_path(product)} took {elapsed:.1f} s.",
        expected=f"within {cfg.bound:g} s",
        actual=f"{elapsed:.1f} s",
    )
    expect_body(
        no_redis_api.get(product_path(product)), catalog.product(product["id"]), "the updated product"
    )


@check(
    "The rate limiter fails open while Redis is down",
    points=1,
    rules=["R10.4"],
    needs="starts_without_redis",
    hint="Without its shared counter the limiter cannot count: let requests through (fail open) "
    "rather than answering every request with an error.",
)
def test_limiter_fails_open(no_redis_api, catalog, cfg):
    product = catalog.add()
    who = "grader-no-redis-client"
    statuses = [
        no_redis_api.get(product_path(product), headers={"X-Client-Id": who}).status_code
        for _ in range(cfg.limit + 3)
    ]
    expect(
        all(status == 200 for status in statuses),
        f"{cfg.limit + 3} GET {product_path(product)} of one client without Redis.",
        expected="200 every time",
        actual=", ".join(map(str, statuses)),
    )
