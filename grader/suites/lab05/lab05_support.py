"""Helpers of the lab05 suite: the catalog the app calls, ids, and readers for Redis and headers.

The catalog is a grader.stub.StubServer with products the checks create for themselves (fresh ids,
fresh categories: no check ever sees another check's cache entries or upstream calls). Each
upstream path can be told to fail or to answer slowly; `delay` simulates a slow service, it is
never used to synchronise anything.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from grader.checks import describe, expect, expect_status, fail, json_body
from grader.stub import StubRequest, StubResponse, StubServer

T = TypeVar("T")


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class Behaviour:
    status: int = 200  # anything else: the upstream fails with this status
    delay: float = 0.0
    trickle: float = 0.0  # seconds between the pieces of a body whose headers come at once
    garbage: bytes | None = None  # a 200 with this body (labelled JSON) instead of the data


class Catalog:
    """The upstream of the contract, run by the suite, with per-path failures and delays."""

    def __init__(self, stub: StubServer) -> None:
        self.stub = stub
        self._lock = threading.Lock()
        self._products: dict[str, dict[str, Any]] = {}
        self._behaviour: dict[str, Behaviour] = {}
        stub.route("GET", "/products/{id}", self._get_product)
        stub.route("PUT", "/products/{id}", self._put_product)
        stub.route("GET", "/categories/{category}/products", self._list)

    # -- data ----------------------------------------------------------------------------------------
    def add(self, category: str | None = None, **fields: Any) -> dict[str, Any]:
        """A new product (and, unless given, a new category of its own); returns a copy."""
        product = {
            "id": new_id("p"),
            "name": f"Product {uuid.uuid4().hex[:6]}",
            "price": 10.5,
            "category": category or new_id("c"),
        }
        product.update(fields)
        with self._lock:
            self._products[product["id"]] = product
            return dict(product)

    def change(self, product_id: str, **fields: Any) -> dict[str, Any]:
        """Change a product behind the app's back (as another writer of the catalog would)."""
        with self._lock:
            self._products[product_id].update(fields)
            return dict(self._products[product_id])

    def product(self, product_id: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._products[product_id])

    def listing(self, category: str) -> dict[str, Any]:
        with self._lock:
            items = sorted(
                (dict(p) for p in self._products.values() if p["category"] == category), key=lambda p: p["id"]
            )
        return {"category": category, "products": items}

    # -- behaviour -------------------------------------------------------------------------------------
    def fail(self, path: str, status: int = 500, delay: float = 0.0) -> None:
        with self._lock:
            self._behaviour[path] = Behaviour(status=status, delay=delay)

    def slow(self, path: str, delay: float) -> None:
        with self._lock:
            self._behaviour[path] = Behaviour(delay=delay)

    def trickle(self, path: str, pause: float) -> None:
        with self._lock:
            self._behaviour[path] = Behaviour(trickle=pause)

    def garble(self, path: str, body: bytes) -> None:
        """Answer 200 with `body` (Content-Type: application/json), whatever the path's data."""
        with self._lock:
            self._behaviour[path] = Behaviour(garbage=body)

    def heal(self, path: str) -> None:
        with self._lock:
            self._behaviour.pop(path, None)

    # -- what the app asked ---------------------------------------------------------------------------
    def reads(self, path: str) -> int:
        return self.stub.count(path, "GET")

    def writes(self, path: str) -> list[StubRequest]:
        return [call for call in list(self.stub.calls) if call.path == path and call.method == "PUT"]

    # -- handlers ---------------------------------------------------------------------------------------
    def _answer(self, path: str, status: int, data: Any) -> StubResponse:
        with self._lock:
            behaviour = self._behaviour.get(path, Behaviour())
        if behaviour.status != 200:
            failure = {"detail": "catalog failure"}
            return StubResponse.json(failure, status=behaviour.status, delay=behaviour.delay)
        if behaviour.garbage is not None and status == 200:
            return StubResponse(
                status=200, headers={"Content-Type": "application/json"}, body=behaviour.garbage
            )
        # Compact JSON: an app that re-serialises what it stores (json.dumps adds spaces) serves other
        # bytes on a hit than on the miss, which the checks can then see.
        return StubResponse(
            status=status,
            headers={"Content-Type": "application/json"},
            body=json.dumps(data, separators=(",", ":")).encode(),
            delay=behaviour.delay,
            trickle=behaviour.trickle,
        )

    def _get_product(self, request: StubRequest) -> StubResponse:
        with self._lock:
            product = self._products.get(request.params["id"])
        if product is None:
            return self._answer(request.path, 404, {"detail": "no such product"})
        return self._answer(request.path, 200, dict(product))

    def _put_product(self, request: StubRequest) -> StubResponse:
        try:
            body = request.json()
            change = {"name": body["name"], "price": body["price"]}
        except (ValueError, KeyError, TypeError):
            return StubResponse.json({"detail": "expected {name, price}"}, status=422)
        with self._lock:
            product = self._products.get(request.params["id"])
            if product is not None:
                product.update(change)
                product = dict(product)
        if product is None:
            return self._answer(request.path, 404, {"detail": "no such product"})
        return self._answer(request.path, 200, product)

    def _list(self, request: StubRequest) -> StubResponse:
        return self._answer(request.path, 200, self.listing(request.params["category"]))


@dataclass(frozen=True)
class Settings:
    """The contract's numbers, as the manifest hands them to the app."""

    ttl: int
    stale: int
    timeout: float
    limit: int
    window: int

    @property
    def bound(self) -> float:
        """The longest any answer may take: 2 x UPSTREAM_TIMEOUT_SECONDS, plus the grader's 1.5 s."""
        return 2 * self.timeout + 1.5


def product_path(product: dict[str, Any]) -> str:
    return f"/products/{product['id']}"


def list_path(category: str) -> str:
    return f"/categories/{category}/products"


# -- Redis -------------------------------------------------------------------------------------------------
def cached_json(redis: Any, key: str) -> Any:
    """The JSON value of `key`, None when the key does not exist; a clear failure when it is not JSON."""
    raw = redis.get(key)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        fail(
            f"Redis key {key} should hold the JSON body, it holds {raw[:80]!r}.",
            expected="JSON",
            actual=raw[:80],
        )


def expect_key_gone_or(redis: Any, key: str, wanted: Any, when: str) -> None:
    value = cached_json(redis, key)
    expect(
        value is None or value == wanted,
        f"{when}, Redis key {key} still holds the old data.",
        expected="the key deleted, or holding the new data",
        actual=str(value)[:160],
    )


# -- HTTP --------------------------------------------------------------------------------------------------
def expect_body(response: httpx.Response, wanted: Any, what: str = "the catalog's data") -> Any:
    expect_status(response, 200)
    body = json_body(response)
    expect(
        body == wanted,
        f"{describe(response)}: the body should be {what}.",
        expected=json.dumps(wanted)[:160],
        actual=json.dumps(body)[:160],
        response=response,
    )
    return body


def directives(response: httpx.Response) -> dict[str, str]:
    """Cache-Control as {directive: value} (lower-case names; a value of '' for bare directives)."""
    found: dict[str, str] = {}
    for part in response.headers.get("cache-control", "").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            found[name.strip().lower()] = value.strip().strip('"')
    return found


def max_age(response: httpx.Response) -> int:
    value = directives(response).get("max-age")
    if value is None or not re.fullmatch(r"\d+", value):
        fail(
            f"{describe(response)}: expected Cache-Control with max-age=<seconds>.",
            expected="Cache-Control: max-age=N",
            actual=response.headers.get("cache-control", "no Cache-Control"),
            response=response,
        )
    return int(value)


def timed(call: Callable[[], T]) -> tuple[T, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def results_summary(results: list[Any]) -> str:
    """`200 x18, 503 x2` for a burst's answers (exceptions by name)."""
    counts: dict[str, int] = {}
    for result in results:
        key = str(result.status_code) if isinstance(result, httpx.Response) else type(result).__name__
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{key} x{count}" for key, count in sorted(counts.items()))
