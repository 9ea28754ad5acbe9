"""Idempotent POST"""

from __future__ import annotations

import time
import uuid

from conftest import Library
from lab02_support import expect_problem, items_of, json_object, new_client_id

from grader.checks import check, describe, expect, expect_status, require_status
from grader.http import Api
from grader.manifest import Manifest


def as_client(client_id: str, key: str | None = None) -> dict[str, str]:
    headers = {"X-Client-Id": client_id}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def count_books(api: Api, author_id: int) -> int:
    listed = api.get("/v1/books", params={"author_id": author_id, "per_page": 100})
    return len(items_of(require_status(listed, 200, purpose="count the author's books")))


@check(
    "A repeated POST with the same Idempotency-Key replays the first answer and creates nothing",
    points=3,
    hint="Remember the first 201 per client and key; on a repeat with the same body, send it again "
    "instead of creating a second item.",
    rules=["R9.1", "R9.2"],
)
def test_replay_same_answer(api: Api, library: Library) -> None:
    author = library.author()
    me, key = new_client_id("idem"), str(uuid.uuid4())
    body = library.book_body(author["id"])
    first = expect_status(api.post("/v1/books", json=body, headers=as_client(me, key)), 201)
    again = expect_status(api.post("/v1/books", json=body, headers=as_client(me, key)), 201)
    expect(
        json_object(again) == json_object(first)
        and again.headers.get("location") == first.headers.get("location"),
        f"{describe(again)}: the repeat should replay the first answer (same body and Location).",
        expected=f"id {json_object(first).get('id')}, Location {first.headers.get('location')}, same body",
        actual=f"id {json_object(again).get('id')}, Location {again.headers.get('location')}"
        + ("" if json_object(again) == json_object(first) else f", body {again.text[:100]}"),
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
    rules=["R9.3"],
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
    rules=["R9.4", "R1.2"],
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
    rules=["R9.6"],
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
    rules=["R9.5"],
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


@check(
    "The same key and body on another path answers 422 and creates nothing",
    points=1,
    hint="A key names one request, path included: fingerprint the method's path with the body.",
    rules=["R9.3"],
)
def test_key_reuse_on_other_path(api: Api, library: Library) -> None:
    author = library.author()
    me, key = new_client_id("idem"), str(uuid.uuid4())
    body = library.book_body(author["id"])
    expect_status(api.post("/v1/books", json=body, headers=as_client(me, key)), 201)
    expect_problem(api.post("/v2/books", json=body, headers=as_client(me, key)), 422)
    expect(
        count_books(api, author["id"]) == 1,
        "a refused reuse of a key must not create a book.",
        expected=1,
        actual=count_books(api, author["id"]),
    )


KEYS_PER_CLIENT = 10  # the contract's bound (R9.7)


@check(
    "A client's 10 most recently used keys are remembered; an 11th makes it forget the least recently used",
    points=2,
    hint="Bound what clients can make you remember: keep each client's keys in least-recently-used order "
    "(an OrderedDict, move_to_end on every use) and drop the first when an 11th is stored.",
    rules=["R9.7", "R9.8"],
)
def test_keys_bounded_per_client(api: Api) -> None:
    me = new_client_id("idem-bound")
    keys = [str(uuid.uuid4()) for _ in range(KEYS_PER_CLIENT + 1)]

    def post(n: int) -> dict[str, object]:
        sent = api.post("/v1/authors", json={"name": f"Key {n}"}, headers=as_client(me, keys[n]))
        return json_object(expect_status(sent, 201))

    first = [post(n).get("id") for n in range(KEYS_PER_CLIENT)]
    replayed = post(0).get("id")
    expect(
        replayed == first[0],
        f"after {KEYS_PER_CLIENT} keys, the first one sent again created author {replayed}: "
        f"a client's last {KEYS_PER_CLIENT} keys are all remembered.",
        expected=f"the replay of author {first[0]}",
        actual=f"author {replayed}",
    )
    post(KEYS_PER_CLIENT)  # the 11th key: key 1 is now the least recently used one, and goes
    replayed = post(0).get("id")
    expect(
        replayed == first[0],
        f"key 0 was used again after key 1, yet after an 11th key it created author {replayed}: the "
        "least recently used key goes first, not the oldest one.",
        expected=f"the replay of author {first[0]}",
        actual=f"author {replayed}",
    )
    again = post(1).get("id")
    expect(
        again != first[1],
        f"after an 11th key, key 1 (the least recently used) still replayed author {again}: a client's "
        f"keys are at most {KEYS_PER_CLIENT}.",
        expected=f"a new author (key 1 forgotten), not {first[1]}",
        actual=f"author {again}",
    )


@check(
    "A remembered key still replays seconds later, after the rate-limit window has passed",
    points=1,
    hint="Keys are remembered for at least an hour (and at most a day): give them their own lifetime, not "
    "one borrowed from another setting such as the rate-limit window.",
    rules=["R9.1"],
)
def test_key_outlives_the_rate_window(api: Api, library: Library, lab: Manifest) -> None:
    author = library.author()
    me, key = new_client_id("idem-later"), str(uuid.uuid4())
    body = library.book_body(author["id"])
    first = expect_status(api.post("/v1/books", json=body, headers=as_client(me, key)), 201)
    answered = time.monotonic()
    # the rule is about time itself: let RATE_WINDOW_SECONDS and one more second pass (nothing to wait on)
    time.sleep(max(0.0, float(lab.app.env["RATE_WINDOW_SECONDS"]) + 1 - (time.monotonic() - answered)))
    again = expect_status(api.post("/v1/books", json=body, headers=as_client(me, key)), 201)
    expect(
        json_object(again).get("id") == json_object(first).get("id") and count_books(api, author["id"]) == 1,
        f"{describe(again)}, {float(lab.app.env['RATE_WINDOW_SECONDS']) + 1:g} s after the first: the key "
        "should still be remembered (at least an hour), replaying the first answer.",
        expected=f"201 with id {json_object(first).get('id')}, still 1 book",
        actual=f"id {json_object(again).get('id')}, {count_books(api, author['id'])} books",
        response=again,
    )
