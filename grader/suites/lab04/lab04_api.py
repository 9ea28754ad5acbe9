"""API helpers of the lab04 suite: create what a check needs, and walk a paginated list.

`new_*` prepare a check's scenario: a wrong answer there is reported as that request's failure
(require_status / setup_failed), not as the rule the check was about to prove. Every name they make
is unique, so checks running side by side never share rows.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from grader import deadline
from grader.checks import describe, expect, expect_status, fail, json_body, require_status, setup_failed

PATIENT = 30.0  # seconds one request of a burst may take: race checks judge outcomes, not speed


def patient(client: httpx.Client) -> httpx.Client:
    """`client` waiting up to PATIENT seconds for each answer (still within the check's budget): a burst
    of dozens of transactions that queue on the same rows takes long on a loaded machine."""
    client.timeout = httpx.Timeout(PATIENT)
    if hasattr(client, "total"):  # grader.http.BoundedClient: the whole request's bound
        client.total = PATIENT
    return client


def rounds(count: int, *, reserve: float = 3.0) -> Iterator[int]:
    """1, 2, ... count: the rounds of a race check. A race shows only when requests interleave, so a
    check repeats its burst; on a machine so slow that the check's budget could not hold another round
    like the slowest so far, it stops early rather than run out of time (a loaded machine interleaves
    requests more, not less)."""
    slowest = 0.0
    for number in range(1, count + 1):
        until = deadline.current()
        if number > 1 and until is not None and until - time.monotonic() < 1.5 * slowest + reserve:
            return
        started = time.monotonic()
        yield number
        slowest = max(slowest, time.monotonic() - started)


def tag(prefix: str = "x") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def created(response: httpx.Response, what: str) -> dict[str, Any]:
    """The body of a 201 with an integer id; a clear failure otherwise."""
    expect_status(response, 201)
    body = json_body(response)
    expect(
        isinstance(body, dict) and isinstance(body.get("id"), int),
        f"{describe(response)}: the new {what} should come back with its integer id.",
        expected='{"id": <integer>, ...}',
        actual=response.text[:160],
        response=response,
    )
    return body


def prepared(response: httpx.Response, what: str) -> dict[str, Any]:
    """The body of a 201 that only sets up the check (an author, a book...): anything else blames it."""
    require_status(response, 201, purpose=f"create {what} for this check")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not (isinstance(body, dict) and isinstance(body.get("id"), int)):
        setup_failed(
            f"could not create {what} for this check: {describe(response)} answered 201 without an "
            "integer id.",
            cause=f"{response.request.method} {re.sub(r'/[0-9]+', '/{id}', response.request.url.path)}"
            " answered no id",
            expected='{"id": <integer>, ...}',
            actual=response.text[:160],
            response=response,
        )
    return body


def new_author(api: httpx.Client, name: str | None = None) -> int:
    return prepared(api.post("/authors", json={"name": name or tag("author")}), "an author")["id"]


def new_tag(api: httpx.Client, name: str | None = None) -> str:
    name = name or tag("tag")
    prepared(api.post("/tags", json={"name": name}), "a tag")
    return name


def new_book(
    api: httpx.Client,
    author_id: int,
    *,
    title: str | None = None,
    tags: list[str] | None = None,
    isbn: str | None = None,
    year: int | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": title or tag("Book"),
        "isbn": isbn or uuid.uuid4().hex[:16],
        "author_id": author_id,
    }
    if tags is not None:
        body["tags"] = tags
    if year is not None:
        body["published_year"] = year
    return prepared(api.post("/books", json=body), "a book")


def new_review(api: httpx.Client, book_id: int, rating: int = 4, body: str = "") -> dict[str, Any]:
    response = api.post(f"/books/{book_id}/reviews", json={"rating": rating, "body": body})
    return prepared(response, "a review")


def new_warehouse(api: httpx.Client) -> int:
    return prepared(api.post("/warehouses", json={"name": tag("warehouse")}), "a warehouse")["id"]


def set_stock(api: httpx.Client, warehouse_id: int, book_id: int, quantity: int) -> None:
    response = api.put(f"/warehouses/{warehouse_id}/stock/{book_id}", json={"quantity": quantity})
    require_status(response, 200, purpose="stock a warehouse for this check")


def stock(api: httpx.Client, warehouse_id: int, book_id: int) -> int:
    response = api.get(f"/warehouses/{warehouse_id}/stock/{book_id}")
    expect_status(response, 200)
    body = json_body(response)
    quantity = body.get("quantity") if isinstance(body, dict) else None
    expect(
        isinstance(quantity, int),
        f"{describe(response)}: expected a body with an integer quantity.",
        expected='{"warehouse_id": ..., "book_id": ..., "quantity": <integer>}',
        actual=response.text[:160],
        response=response,
    )
    return quantity  # type: ignore[return-value]


def page(response: httpx.Response) -> tuple[list[dict[str, Any]], str | None]:
    """items and next_cursor of a list answer, checked for shape."""
    expect_status(response, 200)
    body = json_body(response)
    ok = (
        isinstance(body, dict)
        and isinstance(body.get("items"), list)
        and (body.get("next_cursor") is None or isinstance(body.get("next_cursor"), str))
    )
    expect(
        ok,
        f'{describe(response)}: a list answers {{"items": [...], "next_cursor": <string or null>}}.',
        expected='{"items": [...], "next_cursor": ...}',
        actual=response.text[:160],
        response=response,
    )
    items = body["items"]
    expect(
        all(isinstance(item, dict) and isinstance(item.get("id"), int) for item in items),
        f"{describe(response)}: every item should be an object with an integer id.",
        actual=response.text[:160],
        response=response,
    )
    return items, body.get("next_cursor")


def walk(
    api: httpx.Client,
    path: str,
    params: dict[str, Any],
    *,
    limit: int,
    between: Callable[[int, list[dict[str, Any]]], None] | None = None,
    max_pages: int = 60,
) -> list[list[dict[str, Any]]]:
    """Every page of a list, following next_cursor; `between(page_number, items)` runs after each page."""
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    for number in range(max_pages):
        query = {**params, "limit": limit}
        if cursor is not None:
            query["cursor"] = cursor
        response = api.get(path, params=query)
        items, cursor = page(response)
        pages.append(items)
        if len(items) > limit:
            fail(
                f"{describe(response)}: {len(items)} items on a page of limit={limit}.",
                expected=f"at most {limit}",
                actual=str(len(items)),
                response=response,
            )
        if cursor is None:
            return pages
        if not items:
            fail(
                f"{describe(response)}: an empty page with a next_cursor: the walk would never end.",
                expected="next_cursor null on the last page",
                actual="[] with a cursor",
                response=response,
            )
        if between is not None:
            between(number, items)
    fail(
        f"GET {path}: still a next_cursor after {max_pages} pages of {limit}: the walk does not end.",
        expected="next_cursor null once every item was returned",
        actual=f"{max_pages} pages",
    )
