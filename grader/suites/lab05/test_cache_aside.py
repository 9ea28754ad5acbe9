"""Cache-aside in Redis"""

from __future__ import annotations

from lab05_support import (
    cached_json,
    expect_body,
    list_path,
    product_path,
)

from grader.checks import check, describe, expect, expect_header, expect_status, fail, json_body
from grader.polling import TimedOut, eventually


@check(
    "GET /products/{id} answers 200 with the catalog's product",
    points=2,
    rules=["R3.2"],
    hint="Read the product from UPSTREAM_URL + /products/{id} and answer with its JSON as it is.",
)
def test_read_returns_upstream_data(api, catalog):
    product = catalog.add()
    expect_body(api.get(product_path(product)), product, "the catalog's product")


@check(
    "An unknown product answers 404 with a JSON detail",
    points=1,
    rules=["R3.3", "R3.7"],
    hint='A 404 from the catalog is an answer, not a failure: pass it on as 404 {"detail": ...}.',
)
def test_unknown_product_404(api):
    response = api.get("/products/p-does-not-exist")
    expect_status(response, 404)
    body = json_body(response)
    expect(
        isinstance(body, dict) and isinstance(body.get("detail"), str),
        f'{describe(response)}: an error body is {{"detail": "..."}}.',
        actual=response.text[:120],
        response=response,
    )


@check(
    "Repeated reads of a product call the catalog once",
    points=4,
    rules=["R4.2"],
    needs="read_returns_upstream_data",
    hint="Cache-aside: look in Redis first (cache:product:{id}); only on a miss call the catalog, "
    "then store what it answered.",
)
def test_repeated_reads_call_upstream_once(api, catalog):
    product = catalog.add()
    for _ in range(3):
        expect_body(api.get(product_path(product)), product)
    calls = catalog.reads(product_path(product))
    expect(
        calls == 1,
        f"3 reads of {product_path(product)} in a row made {calls} calls to the catalog.",
        expected="1 call",
        actual=f"{calls} calls",
    )


@check(
    "The fresh copy is cache:product:{id} in Redis, with a TTL of CACHE_TTL_SECONDS",
    points=3,
    rules=["R4.1"],
    needs="read_returns_upstream_data",
    hint="Store the JSON body under the key the contract names, with an expiry "
    "(SET key value EX seconds); read the TTL from CACHE_TTL_SECONDS, never a constant.",
)
def test_fresh_copy_in_redis(api, catalog, redis, cfg):
    product = catalog.add()
    served = api.get(product_path(product))
    expect_body(served, product)
    key = f"cache:product:{product['id']}"
    pttl = redis.pttl(key)
    raw = redis.get(key)
    stored = cached_json(redis, key)
    similar = sorted(redis.scan_iter(match="*" + product["id"] + "*"))[:5]
    expect(
        stored is not None,
        f"after GET {product_path(product)}, Redis has no key {key}.",
        expected=f"key {key}",
        actual=f"keys naming this product: {similar}",
    )
    expect(
        stored == product,
        f"Redis key {key} should hold the product's JSON.",
        expected=str(product),
        actual=str(stored)[:160],
    )
    body = served.content.decode("utf-8", "replace")
    expect(
        raw == body,
        f"Redis key {key} should hold the body exactly as served (the same bytes), not a re-encoding of it.",
        expected=body[:120],
        actual=str(raw)[:120],
    )
    expect(
        0 < pttl <= cfg.ttl * 1000,
        f"Redis key {key} should expire within CACHE_TTL_SECONDS={cfg.ttl}.",
        expected=f"a TTL of at most {cfg.ttl} s",
        actual="no TTL" if pttl == -1 else f"{pttl / 1000:g} s",
    )


@check(
    "The stale copy is stale:product:{id}, living CACHE_STALE_SECONDS longer",
    points=2,
    rules=["R4.4"],
    needs="fresh_copy_in_redis",
    hint="Whenever you store the fresh copy, store the same JSON under stale:{name} too, with a TTL of "
    "CACHE_TTL_SECONDS + CACHE_STALE_SECONDS: it is what you serve when the catalog fails.",
)
def test_stale_copy_in_redis(api, catalog, redis, cfg):
    product = catalog.add()
    expect_body(api.get(product_path(product)), product)
    key = f"stale:product:{product['id']}"
    pttl = redis.pttl(key)
    stored = cached_json(redis, key)
    expect(
        stored == product,
        f"after GET {product_path(product)}, Redis key {key} should hold the product.",
        expected=str(product),
        actual="no such key" if stored is None else str(stored)[:160],
    )
    # More than CACHE_STALE_SECONDS left right after the store: a TTL of CACHE_STALE_SECONDS alone is short.
    low, high = cfg.stale * 1000, (cfg.ttl + cfg.stale) * 1000
    expect(
        low < pttl <= high,
        f"Redis key {key} should expire after CACHE_TTL_SECONDS + CACHE_STALE_SECONDS.",
        expected=f"a TTL above {cfg.stale} s, at most {cfg.ttl + cfg.stale} s",
        actual="no TTL" if pttl == -1 else f"{pttl / 1000:g} s",
    )
    # Every store writes the stale copy again: after a refill it holds the new data, with a new TTL.
    redis.delete(f"cache:product:{product['id']}")  # as if it expired
    redis.pexpire(key, cfg.ttl * 1000)  # an old stale copy, close to its end
    changed = catalog.change(product["id"], name="Changed before the refill")
    expect_body(api.get(product_path(product)), changed, "the catalog's current product (Redis had no copy)")
    stored, pttl = cached_json(redis, key), redis.pttl(key)
    expect(
        stored == changed,
        f"after a refill of cache:product:{product['id']}, {key} should hold the new data too.",
        expected=str(changed)[:160],
        actual="no such key" if stored is None else str(stored)[:160],
    )
    expect(
        low < pttl <= high,
        f"after a refill, {key} should live CACHE_TTL_SECONDS + CACHE_STALE_SECONDS again.",
        expected=f"a TTL above {cfg.stale} s, at most {cfg.ttl + cfg.stale} s",
        actual="no TTL" if pttl == -1 else f"{pttl / 1000:g} s",
    )


@check(
    "Category lists are cached too, under cache:category:{category}",
    points=2,
    rules=["R3.4", "R4.1", "R4.2"],
    needs="repeated_reads_call_upstream_once",
    hint="The list endpoint is another cache-aside entry, named category:{category}: "
    "same key scheme, same TTLs.",
)
def test_category_list_cached(api, catalog, redis, cfg):
    first = catalog.add()
    catalog.add(category=first["category"])
    path = list_path(first["category"])
    listing = catalog.listing(first["category"])
    for _ in range(2):
        expect_body(api.get(path), listing, "the catalog's list")
    calls = catalog.reads(path)
    expect(
        calls == 1,
        f"2 reads of {path} made {calls} calls to the catalog.",
        expected="1 call",
        actual=f"{calls} calls",
    )
    key = f"cache:category:{first['category']}"
    expect(
        cached_json(redis, key) == listing,
        f"Redis key {key} should hold the list's JSON.",
        expected=str(listing)[:160],
        actual=str(cached_json(redis, key))[:160],
    )
    pttl = redis.pttl(key)
    expect(
        0 < pttl <= cfg.ttl * 1000,
        f"Redis key {key} should expire within CACHE_TTL_SECONDS={cfg.ttl}.",
        expected=f"at most {cfg.ttl} s",
        actual="no TTL" if pttl == -1 else f"{pttl / 1000:g} s",
    )


@check(
    "X-Cache says MISS, then HIT",
    points=1,
    rules=["R8.1"],
    needs="repeated_reads_call_upstream_once",
    hint="X-Cache: MISS when the request called the catalog, HIT when Redis answered.",
)
def test_x_cache_header(api, catalog):
    product = catalog.add()
    for path in (product_path(product), list_path(product["category"])):  # both GET endpoints
        expect_header(api.get(path), "X-Cache", equals="MISS")
        expect_header(api.get(path), "X-Cache", equals="HIT")


@check(
    "Two instances share the cache",
    points=3,
    rules=["R4.5"],
    needs="repeated_reads_call_upstream_once",
    hint="A dict in your process is a cache only that process sees. Every instance must read and write "
    "the same Redis entries.",
)
def test_shared_between_instances(api, other_api, catalog):
    product = catalog.add()
    expect_body(api.get(product_path(product)), product)
    expect_body(other_api.get(product_path(product)), product)
    calls = catalog.reads(product_path(product))
    expect(
        calls == 1,
        f"a read on the first instance, then one on the second, made {calls} catalog calls.",
        expected="1 call (the second instance finds the entry in Redis)",
        actual=f"{calls} calls",
    )


@check(
    "When the fresh copy is gone from Redis, the next read calls the catalog",
    points=2,
    rules=["R4.3", "R4.5"],
    needs="fresh_copy_in_redis",
    hint="Redis is the one source of truth for freshness: no second cache in process memory in front "
    "of it. A key that expired or was deleted means a miss.",
)
def test_deleted_key_means_miss(api, catalog, redis):
    product = catalog.add()
    expect_body(api.get(product_path(product)), product)
    redis.delete(f"cache:product:{product['id']}")  # as if it expired
    changed = catalog.change(product["id"], name="Renamed in the catalog")
    expect_body(api.get(product_path(product)), changed, "the catalog's current product (Redis had no copy)")
    calls = catalog.reads(product_path(product))
    expect(
        calls == 2,
        f"after deleting cache:product:{product['id']}, the next read made {calls - 1} catalog calls.",
        expected="1 more call",
        actual=f"{calls - 1}",
    )


@check(
    "A change in the catalog shows within CACHE_TTL_SECONDS",
    points=3,
    rules=["R4.1", "R4.3"],
    needs="repeated_reads_call_upstream_once",
    hint="The TTL is the safety net that bounds staleness: every cached copy must expire after "
    "CACHE_TTL_SECONDS, even when nobody invalidates it.",
)
def test_change_visible_after_ttl(api, catalog, cfg):
    product = catalog.add()
    expect_body(api.get(product_path(product)), product)
    changed = catalog.change(product["id"], name="Changed behind the app's back", price=99.0)
    margin = 3.0
    try:
        eventually(
            lambda: api.get(product_path(product)).json(),
            timeout=cfg.ttl + margin,
            until=lambda body: body == changed,
            transient=(ValueError,),
            what="the new data",
        )
    except TimedOut as exc:
        fail(
            f"the catalog changed the product, but {cfg.ttl + margin:g} s later GET "
            f"{product_path(product)} still answers the old data (CACHE_TTL_SECONDS={cfg.ttl}).",
            expected=str(changed)[:160],
            actual=str(exc.last)[:160],
        )
