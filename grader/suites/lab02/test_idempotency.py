"""Idempotent POST"""

from __future__ import annotations

import uuid

from conftest import Library
from lab02_support import expect_problem, items_of, json_object, new_client_id

from grader.checks import check, describe, expect, expect_status
from grader.http import Api


def as_client(client_id: str, key: str | None = None) -> dict[str, str]:
    headers = {"X-Client-Id": client_id}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def count_books(api: Api, author_id: int) -> int:
    return len(
        items_of(expect_status(api.get("/v1/books", params={"author_id": author_id, "per_page": 100}), 200))
    )


@check(
    "A repeated POST with the same Idempotency-Key replays the first answer and creates nothing",
    points=3,
    hint="Remember the first 201 per client and key; on a repeat with the same body, send it again "
    "instead of creating a second item.",
)
def test_replay_same_answer(api: Api, library: Library) -> None:
    author = library.author()
    me, key = new_client_id("idem"), str(uuid.uuid4())
    body = library.book_body(author["id"])
    first = expect_status(api.post("/v1/books", json=body, headers=as_client(me, key)), 201)
    again = expect_status(api.post("/v1/books", json=body, headers=as_client(me, key)), 201)
    expect(
        json_object(again).get("id") == json_object(first).get("id")
        and again.headers.get("location") == first.headers.get("location"),
        f"{describe(again)}: the repeat should replay the first answer (same id and Location).",
        expected=f"id {json_object(first).get('id')}, Location {first.headers.get('location')}",
        actual=f"id {json_object(again).get('id')}, Location {again.headers.get('location')}",
        response=again,
    )
    expect(
        count_books(api, author["id"]) == 1,
        "two POSTs with one Idempotency-Key should create one book.",
        expected=1,
        actual=count_books(api, author["id"]),
    )
    author_key = str(uuid.uuid4())
    one = expect_status(
        api.post("/v1/authors", json={"name": "Once"}, headers=as_client(me, author_key)), 201
    )
    two = expect_status(
        api.post("/v1/authors", json={"name": "Once"}, headers=as_client(me, author_key)), 201
    )
    expect(
        json_object(one).get("id") == json_object(two).get("id"),
        f"{describe(two)}: authors take Idempotency-Key too.",
        expected=json_object(one).get("id"),
        actual=json_object(two).get("id"),
        response=two,
    )


@check(
    "The same key with a different body answers 422 and creates nothing",
    points=2,
    hint="A key names one request: reusing it for another one is a client error (422 per the IETF draft).",
)
def test_key_reuse_with_other_body(api: Api, library: Library) -> None:
    author = library.author()
    me, key = new_client_id("idem"), str(uuid.uuid4())
    body = library.book_body(author["id"])
    expect_status(api.post("/v1/books", json=body, headers=as_client(me, key)), 201)
    other = library.book_body(author["id"], title="Something Else")
    expect_problem(api.post("/v1/books", json=other, headers=as_client(me, key)), 422)
    expect(
        count_books(api, author["id"]) == 1,
        "a refused reuse of a key must not create a book.",
        expected=1,
        actual=count_books(api, author["id"]),
    )


@check(
    "Idempotency keys belong to one client",
    points=1,
    hint="Store answers per client and key; another client's key never replays your answer (nor leaks it).",
)
def test_keys_per_client(api: Api, library: Library) -> None:
    author = library.author()
    key = str(uuid.uuid4())
    mine = expect_status(
        api.post(
            "/v1/books", json=library.book_body(author["id"]), headers=as_client(new_client_id("alice"), key)
        ),
        201,
    )
    theirs = expect_status(
        api.post(
            "/v1/books", json=library.book_body(author["id"]), headers=as_client(new_client_id("bob"), key)
        ),
        201,
    )
    expect(
        json_object(mine).get("id") != json_object(theirs).get("id"),
        f"{describe(theirs)}: another client with the same key should create its own book.",
        expected=f"an id other than {json_object(mine).get('id')}",
        actual=json_object(theirs).get("id"),
        response=theirs,
    )


@check(
    "Without Idempotency-Key, two POSTs create two items",
    points=1,
    hint="Only requests that carry the header are deduplicated.",
)
def test_no_key_no_dedup(api: Api) -> None:
    me = new_client_id("idem")
    first = expect_status(api.post("/v1/authors", json={"name": "Twin"}, headers=as_client(me)), 201)
    second = expect_status(api.post("/v1/authors", json={"name": "Twin"}, headers=as_client(me)), 201)
    expect(
        json_object(first).get("id") != json_object(second).get("id"),
        f"{describe(second)}: without a key each POST creates an author.",
        expected=f"an id other than {json_object(first).get('id')}",
        actual=json_object(second).get("id"),
        response=second,
    )


@check(
    "A request that failed is not remembered: fixed, it succeeds with the same key",
    points=1,
    hint="Remember only successes (201); an invalid first attempt must not poison the key.",
)
def test_failure_not_remembered(api: Api, library: Library) -> None:
    author = library.author()
    me, key = new_client_id("idem"), str(uuid.uuid4())
    expect_status(
        api.post("/v1/books", json=library.book_body(author["id"], year="1969"), headers=as_client(me, key)),
        422,
    )
    fixed = library.book_body(author["id"])
    expect_status(api.post("/v1/books", json=fixed, headers=as_client(me, key)), 201)
