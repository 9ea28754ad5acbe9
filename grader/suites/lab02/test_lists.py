"""Pagination, filtering and sorting"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from conftest import Library
from lab02_support import items_of, json_object, next_link, resolve

from grader.checks import check, describe, expect, expect_status
from grader.http import Api

WORDS = ["Amber", "Birch", "Cedar", "Dune", "Ember", "Fjord", "Grove", "Heath"]


@dataclass
class Shelf:
    """One author's 25 books (titles and years repeat, so ties happen) and another's 3."""

    author: int
    other: int
    books: list[dict[str, Any]]

    def ids(self, *, year: int | None = None, sort: str = "id") -> list[int]:
        chosen = [b for b in self.books if year is None or b["year"] == year]
        key = sort.removeprefix("-")
        by_id = sorted(chosen, key=lambda b: b["id"])
        return [b["id"] for b in sorted(by_id, key=lambda b: b[key], reverse=sort.startswith("-"))]


_shelves: dict[str, Shelf] = {}


@pytest.fixture
def shelf(api: Api, library: Library) -> Shelf:
    """Created once per app (the checks of this module only read it)."""
    base = str(api.base_url)
    if base not in _shelves:
        author, other = library.author("Shelf Author")["id"], library.author("Other Author")["id"]
        books = [library.book(author, title=WORDS[(i * 3) % 8], year=1990 + (i * 2) % 5) for i in range(25)]
        for i in range(3):
            library.book(other, title=WORDS[i], year=1990 + i)
        _shelves[base] = Shelf(author, other, books)
    return _shelves[base]


def walk(api: Api, path: str, params: dict[str, Any], limit: int = 10) -> list[Any]:
    """Every page from the first by following `next`; returns the responses."""
    pages = [expect_status(api.get(path, params=params), 200)]
    while (link := json_object(pages[-1]).get("next")) is not None:
        expect(
            len(pages) < limit,
            f"following next from {describe(pages[0])} does not end.",
            expected=f"at most {limit} pages",
            actual=f"{len(pages)} pages and more",
            response=pages[-1],
        )
        expect(
            isinstance(link, str),
            f"{describe(pages[-1])}: next should be a URL or null.",
            actual=repr(link),
            response=pages[-1],
        )
        pages.append(expect_status(api.get(resolve(pages[-1], link)), 200))
    return pages


def ids_of(response: Any) -> list[Any]:
    return [item.get("id") for item in items_of(response)]


@check(
    "A list answers a page: items, page, per_page, total and next",
    points=3,
    hint='Answer {"items": [...], "page": 1, "per_page": 20, "total": ..., "next": ...}; per_page '
    "defaults to 20.",
    rules=["R6.1", "R6.2", "R6.4", "R3.2"],
)
def test_page_envelope(api: Api, shelf: Shelf) -> None:
    response = expect_status(api.get("/v1/books", params={"author_id": shelf.author, "per_page": 10}), 200)
    body = json_object(response)
    got = {k: body.get(k) for k in ("page", "per_page", "total")}
    expect(
        got == {"page": 1, "per_page": 10, "total": 25} and len(items_of(response)) == 10,
        f"{describe(response)}: the first page of 25 books, 10 per page.",
        expected="10 items, page 1, per_page 10, total 25",
        actual=f"{len(items_of(response))} items, {got}",
        response=response,
    )
    expect(
        isinstance(body.get("next"), str),
        f"{describe(response)}: next should link to page 2.",
        actual=repr(body.get("next")),
        response=response,
    )
    default = expect_status(api.get("/v1/books", params={"author_id": shelf.author}), 200)
    expect(
        len(items_of(default)) == 20 and json_object(default).get("per_page") == 20,
        f"{describe(default)}: without per_page a page holds 20 items.",
        expected="20 items, per_page 20",
        actual=f"{len(items_of(default))} items, per_page {json_object(default).get('per_page')!r}",
        response=default,
    )


@check(
    "Following next visits every item exactly once, in order",
    points=3,
    hint="page N holds items (N-1)*per_page up to N*per_page of one stable order; next is null on the "
    "last page.",
    rules=["R6.5"],
)
def test_walk_all_pages(api: Api, shelf: Shelf) -> None:
    pages = walk(api, "/v1/books", {"author_id": shelf.author, "per_page": 10})
    seen = [i for page in pages for i in ids_of(page)]
    expect(
        seen == shelf.ids(),
        "following next from page 1 should list the 25 books once each, by id.",
        expected=f"{len(shelf.ids())} ids: {shelf.ids()[:6]}…",
        actual=f"{len(seen)} ids: {seen[:6]}…",
        response=pages[-1],
    )
    expect(
        len(pages) == 3,
        "25 books at 10 per page make 3 pages.",
        expected=3,
        actual=len(pages),
        response=pages[-1],
    )


@check(
    'The Link header carries rel="next" with the next page; none on the last page',
    points=2,
    hint='Add Link: <url>; rel="next" (RFC 8288) with the same URL as next in the body.',
    rules=["R6.7", "R6.5"],
)
def test_link_header_next(api: Api, shelf: Shelf) -> None:
    first = expect_status(api.get("/v1/books", params={"author_id": shelf.author, "per_page": 10}), 200)
    body_next = json_object(first).get("next")
    header_next = next_link(first)
    expect(
        header_next is not None,
        f'{describe(first)}: no Link header with rel="next".',
        expected='Link: <...page=2...>; rel="next"',
        actual=first.headers.get("link", "(none)"),
        response=first,
    )
    expect(
        isinstance(body_next, str) and resolve(first, body_next) == header_next,
        f"{describe(first)}: the Link header and next should name the same page.",
        expected=body_next,
        actual=header_next,
        response=first,
    )
    last = expect_status(
        api.get("/v1/books", params={"author_id": shelf.author, "per_page": 10, "page": 3}), 200
    )
    expect(
        next_link(last) is None and json_object(last).get("next") is None,
        f"{describe(last)}: the last page has no next link.",
        expected="next: null, no rel=next",
        actual=f"next: {json_object(last).get('next')!r}, Link: {last.headers.get('link')}",
        response=last,
    )


@check(
    "next keeps the filters, the sort and per_page",
    points=2,
    hint="Build next from the request's own query string and change only the page.",
    rules=["R6.6"],
)
def test_next_keeps_query(api: Api, shelf: Shelf) -> None:
    pages = walk(api, "/v1/books", {"author_id": shelf.author, "year": 1992, "sort": "-title", "per_page": 2})
    seen = [i for page in pages for i in ids_of(page)]
    expected = shelf.ids(year=1992, sort="-title")
    expect(
        seen == expected,
        "following next for author_id, year=1992, sort=-title, per_page=2 should list "
        "exactly those books in that order.",
        expected=expected,
        actual=seen,
        response=pages[-1],
    )


@check(
    "author_id and year filter the list, and total counts the matches",
    points=2,
    hint="Filter before you paginate, and count what the filter kept.",
    rules=["R6.10", "R6.4"],
)
def test_filters(api: Api, shelf: Shelf) -> None:
    for params, expected in (
        ({"author_id": shelf.author}, shelf.ids()),
        ({"author_id": shelf.author, "year": 1994}, shelf.ids(year=1994)),
        ({"author_id": shelf.other}, None),
    ):
        response = expect_status(api.get("/v1/books", params={**params, "per_page": 100}), 200)
        ids, total = ids_of(response), json_object(response).get("total")
        if expected is None:
            expect(
                len(ids) == 3 and total == 3,
                f"{describe(response)}: the other author has 3 books.",
                expected="3 items, total 3",
                actual=f"{len(ids)} items, total {total!r}",
                response=response,
            )
        else:
            expect(
                ids == expected and total == len(expected),
                f"{describe(response)}: wrong books or total.",
                expected=f"ids {expected}, total {len(expected)}",
                actual=f"ids {ids}, total {total!r}",
                response=response,
            )


@check(
    "sort=title and sort=-title order by title, ties by id",
    points=2,
    hint="Sort by the key, then by id ascending for equal keys, in both directions.",
    rules=["R6.11"],
)
def test_sort_by_title(api: Api, shelf: Shelf) -> None:
    for sort in ("title", "-title"):
        response = expect_status(
            api.get("/v1/books", params={"author_id": shelf.author, "sort": sort, "per_page": 100}), 200
        )
        expected = shelf.ids(sort=sort)
        expect(
            ids_of(response) == expected,
            f"{describe(response)}: the books are not in the expected order.",
            expected=expected,
            actual=ids_of(response),
            response=response,
        )


@check(
    "sort=year and sort=-year order by year, ties by id",
    points=2,
    hint="Equal years keep id order, also when descending: reversing a sorted list reverses ties too.",
    rules=["R6.11"],
)
def test_sort_by_year(api: Api, shelf: Shelf) -> None:
    for sort in ("year", "-year", "id", "-id"):
        response = expect_status(
            api.get("/v1/books", params={"author_id": shelf.author, "sort": sort, "per_page": 100}), 200
        )
        expected = shelf.ids(sort=sort)
        expect(
            ids_of(response) == expected,
            f"{describe(response)}: the books are not in the expected order.",
            expected=expected,
            actual=ids_of(response),
            response=response,
        )


@check(
    "per_page goes from 1 to 100 and page from 1; other values answer 422",
    points=1,
    hint="Refuse a page size out of range instead of capping it silently.",
    rules=["R6.2", "R6.3"],
)
def test_page_size_limits(api: Api, shelf: Shelf) -> None:
    for params in ({"per_page": 0}, {"per_page": 101}, {"page": 0}, {"page": -1}):
        response = api.get("/v1/books", params=params)
        expect_status(response, 422)
    for params, count in (({"per_page": 100}, 25), ({"per_page": 1}, 1)):
        response = expect_status(api.get("/v1/books", params={"author_id": shelf.author, **params}), 200)
        expect(
            len(items_of(response)) == count,
            f"{describe(response)}: expected {count} items.",
            expected=count,
            actual=len(items_of(response)),
            response=response,
        )


@check(
    "A page past the end answers 200 with no items and next null",
    points=1,
    hint="An empty page is not an error.",
    rules=["R6.8"],
)
def test_page_past_end(api: Api, shelf: Shelf) -> None:
    response = expect_status(api.get("/v1/books", params={"author_id": shelf.author, "page": 99}), 200)
    body = json_object(response)
    expect(
        items_of(response) == [] and body.get("next") is None and body.get("total") == 25,
        f"{describe(response)}: expected an empty page.",
        expected="items [], next null, total 25",
        actual=f"{len(items_of(response))} items, next {body.get('next')!r}, total {body.get('total')!r}",
        response=response,
    )


@check(
    "Authors are paginated the same way, by id",
    points=1,
    hint="The same envelope and links for every collection.",
    rules=["R6.9", "R6.1", "R3.2"],
)
def test_authors_paginated(api: Api, shelf: Shelf) -> None:
    first = expect_status(api.get("/v1/authors", params={"per_page": 1}), 200)
    body = json_object(first)
    expect(
        len(items_of(first)) == 1
        and isinstance(body.get("total"), int)
        and body["total"] >= 2
        and isinstance(body.get("next"), str),
        f"{describe(first)}: expected one author and a next link.",
        expected="1 item, total >= 2, next",
        actual=str({k: v for k, v in body.items() if k != "items"}),
        response=first,
    )
    second = expect_status(api.get(resolve(first, body["next"])), 200)
    a, b = ids_of(first), ids_of(second)
    expect(
        len(b) == 1 and a[0] < b[0],
        f"{describe(second)}: page 2 should hold the next author by id.",
        expected=f"an id greater than {a[0]}",
        actual=b,
        response=second,
    )


@check(
    "When the total is an exact multiple of per_page, the last full page has no next",
    points=1,
    hint="There is a next page only while (page - 1) * per_page + len(items) < total: a full last page "
    "is still the last one.",
    rules=["R6.5", "R6.7"],
)
def test_last_page_of_exact_multiple(api: Api, shelf: Shelf) -> None:
    for per_page, pages_expected in ((5, 5), (25, 1)):
        pages = walk(api, "/v1/books", {"author_id": shelf.author, "per_page": per_page})
        last = pages[-1]
        expect(
            len(pages) == pages_expected and len(items_of(last)) == per_page,
            f"25 books at {per_page} per page make {pages_expected} full page(s); following next should "
            "stop at the last full one, not at an empty page after it.",
            expected=f"{pages_expected} pages, the last with {per_page} items",
            actual=f"{len(pages)} pages, the last with {len(items_of(last))} items",
            response=last,
        )
        expect(
            next_link(last) is None,
            f'{describe(last)}: the last page has no Link rel="next".',
            expected='no rel="next"',
            actual=last.headers.get("link"),
            response=last,
        )


@check(
    "Query parameters the contract does not name are ignored",
    points=1,
    hint="Read the parameters you know and ignore the rest (a cache buster, a tracking tag).",
    rules=["R6.13"],
)
def test_unknown_parameters_ignored(api: Api, shelf: Shelf) -> None:
    params = {"author_id": shelf.author, "per_page": 100}
    response = expect_status(
        api.get("/v1/books", params={**params, "fields": "title", "_": "1700000000"}), 200
    )
    expect(
        ids_of(response) == shelf.ids(),
        f"{describe(response)}: unknown parameters should change nothing.",
        expected=shelf.ids(),
        actual=ids_of(response),
        response=response,
    )
    expect_status(api.get("/v1/authors", params={"q": "x", "per_page": 1}), 200)
