"""Invalidation on writes"""

from __future__ import annotations

import json
import time

from lab05_support import cached_json, expect_body, expect_key_gone_or, list_path, product_path

from grader.checks import check, expect, expect_status, fail, require_status


def _put(api, product, **change):
    body = {"name": change.get("name", "Written through the app"), "price": change.get("price", 42.25)}
    response = api.put(product_path(product), json=body)
    require_status(response, 200, purpose="write the product through the app")
    return response, body


@check(
    "PUT /products/{id} is forwarded to the catalog and answers its 200",
    points=2,
    rules=["R3.5"],
    hint="Send the body to the catalog with PUT {UPSTREAM_URL}/products/{id} and answer with what it "
    "answers.",
)
def test_write_forwarded(api, catalog):
    product = catalog.add()
    body = {"name": "Written through the app", "price": 42.25}
    response = expect_status(api.put(product_path(product), json=body), 200)  # the rule itself: not a setup
    updated = catalog.product(product["id"])
    expect_body(response, updated, "the updated product, as the catalog answered it")
    writes = catalog.writes(product_path(product))
    expect(
        len(writes) == 1,
        f"PUT {product_path(product)} reached the catalog {len(writes)} times.",
        expected="1 PUT",
        actual=f"{len(writes)}",
    )
    sent = writes[0].json()
    expect(
        isinstance(sent, dict) and sent.get("name") == body["name"] and sent.get("price") == body["price"],
        "the catalog should receive the name and price the client sent.",
        expected=json.dumps(body),
        actual=writes[0].body[:160].decode("utf-8", "replace"),
    )


@check(
    "PUT of an unknown product answers 404",
    points=1,
    rules=["R3.6"],
    hint="A 404 from the catalog on a write is a 404 for the client too.",
)
def test_write_unknown_404(api):
    response = api.put("/products/p-does-not-exist", json={"name": "Nobody", "price": 1.0})
    expect_status(response, 404)


@check(
    "A read after a write returns the new data",
    points=4,
    rules=["R6.1", "R6.4"],
    needs=["write_forwarded", "cache_aside::repeated_reads_call_upstream_once"],
    hint="After the catalog confirmed the write, delete (or overwrite) the cached copies of that product, "
    "so the next read cannot be served from the old copy.",
)
def test_read_after_write_is_new(api, catalog):
    product = catalog.add()
    expect_body(api.get(product_path(product)), product)
    _put(api, product, name="New name after a write")
    expect_body(api.get(product_path(product)), catalog.product(product["id"]), "the product as written")


@check(
    "A write deletes or replaces both copies of the product in Redis",
    points=2,
    rules=["R6.1"],
    needs="write_forwarded",
    hint="cache:product:{id} and stale:product:{id} both hold the old product after a write: "
    "delete both (or overwrite both with the new data).",
)
def test_write_drops_product_copies(api, catalog, redis):
    product = catalog.add()
    expect_body(api.get(product_path(product)), product)
    _put(api, product, name="Renamed")
    updated = catalog.product(product["id"])
    for key in (f"cache:product:{product['id']}", f"stale:product:{product['id']}"):
        expect_key_gone_or(redis, key, updated, f"after PUT {product_path(product)}")


@check(
    "A write invalidates the list of the product's category",
    points=3,
    rules=["R6.2"],
    needs=["read_after_write_is_new", "cache_aside::category_list_cached"],
    hint="The product also appears in GET /categories/{category}/products: that entry is wrong now too. "
    "The catalog's answer to the PUT tells you the category.",
)
def test_write_invalidates_category_list(api, catalog, redis):
    product = catalog.add()
    catalog.add(category=product["category"])
    path = list_path(product["category"])
    expect_body(api.get(path), catalog.listing(product["category"]), "the catalog's list")
    _put(api, product, name="Renamed, so the list changes")
    listing = catalog.listing(product["category"])
    for kind in ("cache", "stale"):
        expect_key_gone_or(
            redis, f"{kind}:category:{product['category']}", listing, f"after PUT {product_path(product)}"
        )
    expect_body(api.get(path), listing, "the list with the renamed product")


@check(
    "A write leaves every other entry cached",
    points=3,
    rules=["R6.3"],
    hint="Invalidate exactly what the write changed. Flushing Redis, or every key with a prefix, makes "
    "every write empty the cache and send all the load back to the catalog.",
)
def test_write_keeps_other_entries(api, catalog, redis, cfg):
    for _attempt in range(3):  # a copy that expires on its own during the check proves nothing: try again
        written = catalog.add()
        neighbour = catalog.add(category=written["category"])  # same category, not written
        elsewhere = catalog.add()  # another category
        for path in (
            product_path(written),
            product_path(neighbour),
            product_path(elsewhere),
            list_path(elsewhere["category"]),
        ):
            require_status(api.get(path), 200, purpose="fill the cache")
        filled = time.monotonic()
        kept = {
            f"cache:product:{neighbour['id']}": neighbour,
            f"stale:product:{neighbour['id']}": neighbour,
            f"cache:product:{elsewhere['id']}": elsewhere,
            f"stale:product:{elsewhere['id']}": elsewhere,
            f"cache:category:{elsewhere['category']}": catalog.listing(elsewhere["category"]),
        }
        # The fresh copies must be there; stale copies are judged by their own check: only those the app
        # wrote must survive the write.
        kept = {key: value for key, value in kept.items() if key.startswith("cache:") or redis.exists(key)}
        _put(api, written, name="Only this one changed")
        found = {key: cached_json(redis, key) for key in kept}
        before = catalog.reads(product_path(neighbour))
        again = api.get(product_path(neighbour))
        if time.monotonic() - filled > cfg.ttl - 0.5:
            continue  # the fresh copies may have expired by themselves
        for key, value in kept.items():
            expect(
                found[key] == value,
                f"after PUT {product_path(written)}, {key} is gone or changed, yet the write did not "
                "change that entry.",
                expected=f"{key} kept",
                actual="gone" if found[key] is None else str(found[key])[:120],
            )
        expect_body(again, neighbour)
        expect(
            catalog.reads(product_path(neighbour)) == before,
            f"after a write of another product, GET {product_path(neighbour)} called the catalog again.",
            expected="served from the cache",
            actual="a catalog call",
        )
        return
    fail(f"the app answered too slowly: 6 requests took more than CACHE_TTL_SECONDS={cfg.ttl} three times.")


@check(
    "A write through one instance is seen by the other",
    points=2,
    rules=["R6.4"],
    needs=["read_after_write_is_new", "cache_aside::shared_between_instances"],
    hint="Invalidation happens in Redis, which every instance reads: nothing may survive in one "
    "instance's memory.",
)
def test_write_on_other_instance(api, other_api, catalog):
    product = catalog.add()
    expect_body(api.get(product_path(product)), product)
    change = {"name": "Written on the second instance", "price": 3.0}
    response = other_api.put(product_path(product), json=change)
    require_status(response, 200, purpose="write the product through the second instance")
    expect_body(api.get(product_path(product)), catalog.product(product["id"]), "the product as written")


@check(
    "After a write, a failing catalog never brings the old data back",
    points=3,
    rules=["R6.1", "R6.4"],
    needs="read_after_write_is_new",
    hint="The stale copy is part of the cache: a write must drop (or replace) stale:product:{id} too, "
    "or the next catalog failure serves the data from before the write.",
)
def test_no_old_data_after_write_when_upstream_fails(api, catalog):
    product = catalog.add()
    expect_body(api.get(product_path(product)), product)
    _put(api, product, name="Written, then the catalog broke")
    catalog.fail(product_path(product))
    response = expect_status(api.get(product_path(product)), 200, 503)
    if response.status_code == 200:
        expect_body(response, catalog.product(product["id"]), "the written product (never the old one)")
