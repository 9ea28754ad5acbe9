"""HTTP caching headers"""

from __future__ import annotations

import math

from lab05_support import directives, expect_body, list_path, max_age, product_path

from grader.checks import check, describe, expect, expect_header, expect_status, fail, require_status
from grader.polling import TimedOut, eventually

ETAG = r'^(W/)?"[^"]*"$'


def _etag(response):
    return expect_header(response, "ETag", matches=ETAG)


@check(
    "ETag: the same for the same data, on a miss, a hit and the other instance",
    points=2,
    rules=["R8.2"],
    hint="Derive the ETag from the body (a hash of the bytes you send), never from the time, the process "
    "or a counter: then every instance agrees on it.",
)
def test_etag_stable(api, other_api, catalog):
    product = catalog.add()
    path = product_path(product)
    miss, hit, elsewhere = api.get(path), api.get(path), other_api.get(path)
    tags = [_etag(expect_status(response, 200)) for response in (miss, hit, elsewhere)]
    expect(
        len(set(tags)) == 1,
        f"three reads of {path} (miss, hit, second instance) gave different ETags.",
        expected="one ETag",
        actual=", ".join(tags),
    )


@check(
    "ETag changes when the data changes",
    points=2,
    rules=["R8.3"],
    needs="etag_stable",
    hint="An ETag identifies one version of the body: a hash of the content changes with it; a tag made "
    "from the id or the URL does not.",
)
def test_etag_changes_with_content(api, catalog):
    product = catalog.add()
    path = product_path(product)
    old = _etag(api.get(path))
    change = {"name": "A new version", "price": 1.25}
    require_status(api.put(path, json=change), 200, purpose="change the product through the app")
    response = api.get(path, headers={"If-None-Match": old})
    expect_body(response, catalog.product(product["id"]), "the new version (the client's ETag is outdated)")
    new = _etag(response)
    expect(
        new != old,
        f"{describe(response)}: the data changed but the ETag did not.",
        expected=f"an ETag other than {old}",
        actual=new,
        response=response,
    )


@check(
    "If-None-Match with the current ETag answers 304, from the cache",
    points=3,
    rules=["R8.7", "R8.9"],
    needs="etag_stable",
    hint="Compare If-None-Match with the ETag of what you would send; when it matches, answer 304 with no "
    "body but with ETag and Cache-Control. Serving it must not call the catalog.",
)
def test_conditional_get_304(api, catalog):
    product = catalog.add()
    for path in (product_path(product), list_path(product["category"])):  # both GET endpoints
        tag = _etag(require_status(api.get(path), 200, purpose="read the entry a first time"))
        response = api.get(path, headers={"If-None-Match": tag})
        expect_status(response, 304)
        expect(
            response.content == b"",
            f"{describe(response)}: a 304 has no body.",
            actual=response.text[:80],
            response=response,
        )
        expect_header(response, "ETag", equals=tag)
        expect_header(response, "Cache-Control", contains="max-age")
        calls = catalog.reads(path)
        expect(
            calls == 1,
            f"a conditional GET {path} of a cached entry called the catalog.",
            expected="1 catalog call in all",
            actual=f"{calls}",
        )


@check(
    "If-None-Match: a list of tags, weak tags and * match too",
    points=1,
    rules=["R8.8"],
    needs="conditional_get_304",
    hint='RFC 9110 13.1.2: If-None-Match holds a comma-separated list, compares weakly (W/"x" matches '
    '"x"), and * matches any current representation.',
)
def test_if_none_match_forms(api, catalog):
    product = catalog.add()
    path = product_path(product)
    tag = _etag(api.get(path))
    weak = tag if tag.startswith("W/") else "W/" + tag
    for value in (f'"not-this-one", {weak}', "*"):
        response = api.get(path, headers={"If-None-Match": value})
        expect(
            response.status_code == 304,
            f"GET {path} with If-None-Match: {value} should answer 304.",
            expected="304",
            actual=str(response.status_code),
            response=response,
        )


@check(
    "Cache-Control max-age on a miss is CACHE_TTL_SECONDS",
    points=2,
    rules=["R8.4"],
    hint="Tell clients how long they may reuse the answer: Cache-Control: max-age=<CACHE_TTL_SECONDS>. "
    "Never longer than the server keeps its own copy.",
)
def test_max_age_on_miss(api, catalog, cfg):
    product = catalog.add()
    response = expect_status(api.get(product_path(product)), 200)
    age = max_age(response)
    expect(
        cfg.ttl - 1 <= age <= cfg.ttl and age >= 0,
        f"{describe(response)}: a miss should say max-age={cfg.ttl}.",
        expected=f"max-age={cfg.ttl}",
        actual=response.headers.get("cache-control"),
        response=response,
    )


@check(
    "Cache-Control max-age on a hit counts down with the copy in Redis",
    points=2,
    rules=["R8.5"],
    needs=["max_age_on_miss", "cache_aside::x_cache_header"],
    hint="On a hit, the server's copy has already lived a while: send what is left of its TTL "
    "(PTTL, in whole seconds), not the full TTL again.",
)
def test_max_age_counts_down(api, catalog, redis, cfg):
    for _attempt in range(3):  # the copy may expire between our look at its TTL and the hit: try again
        product = catalog.add()
        path = product_path(product)
        require_status(api.get(path), 200, purpose="fill the cache")
        key = f"cache:product:{product['id']}"
        try:  # bounded polling on the key's own TTL, until it has at most a second left
            left = eventually(
                lambda key=key: redis.pttl(key),
                timeout=cfg.ttl + 2,
                until=lambda ms: ms <= 1000 or ms < 0,
                what=f"{key} to have less than a second left",
            )
        except TimedOut as exc:
            fail(
                f"{key} did not count down to its last second.",
                expected=f"a TTL of at most {cfg.ttl} s",
                actual=f"PTTL {exc.last}",
            )
        if left < 200:
            continue
        response = api.get(path)
        if response.headers.get("X-Cache") != "HIT":
            continue
        age = max_age(response)
        allowed = math.ceil(left / 1000)
        expect(
            age <= allowed,
            f"{describe(response)}: the server's copy had {left / 1000:.2f} s left, "
            f"but the hit says max-age={age}.",
            expected=f"max-age <= {allowed}",
            actual=response.headers.get("cache-control"),
            response=response,
        )
        return
    fail(
        "could not catch a hit in the last second of the fresh copy, three times in a row.",
        expected="a HIT while cache:product:{id} had 0.2 to 1 s left",
    )


@check(
    "A stale answer says max-age=0",
    points=1,
    rules=["R8.6", "R7.1"],
    needs="upstream_failure::stale_on_error",
    hint="A stale copy is served because there is nothing better; no client should keep it as fresh.",
)
def test_stale_max_age_zero(api, catalog, redis):
    product = catalog.add()
    path = product_path(product)
    require_status(api.get(path), 200, purpose="fill the cache")
    redis.delete(f"cache:product:{product['id']}")
    catalog.fail(path, status=500)
    response = api.get(path)
    expect_header(response, "X-Cache", equals="STALE")
    age = max_age(response)
    expect(
        age == 0,
        f"{describe(response)}: a stale answer should say max-age=0.",
        expected="max-age=0",
        actual=response.headers.get("cache-control"),
        response=response,
    )


@check(
    "503 and 504 say Cache-Control: no-store",
    points=1,
    rules=["R7.4"],
    hint="An error is not something to remember: mark 503 and 504 answers Cache-Control: no-store.",
)
def test_errors_no_store(api, catalog):
    failing, hanging = catalog.add(), catalog.add()
    catalog.fail(product_path(failing), status=500)
    catalog.slow(product_path(hanging), delay=4.5)
    for path, status in ((product_path(failing), 503), (product_path(hanging), 504)):
        response = require_status(api.get(path), status, purpose=f"get a {status} from a failing catalog")
        expect(
            "no-store" in directives(response),
            f"{describe(response)}: a {status} should not be cached.",
            expected="Cache-Control: no-store",
            actual=response.headers.get("cache-control", "no Cache-Control"),
            response=response,
        )
