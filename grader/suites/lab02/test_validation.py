"""Input validation"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from conftest import Library
from lab02_support import (
    error_fields,
    expect_field_error,
    expect_problem,
    items_of,
    json_object,
    new_client_id,
)

from grader.checks import check, describe, expect, expect_status, json_body, require_status
from grader.http import Api

MAX_BODY = 16384  # the contract's cap on request bodies (R4.19)


def show(body: dict[str, Any]) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in body.items())
    return text if len(text) < 90 else text[:89] + "…"


@check(
    "A missing required field answers 422 naming the field",
    points=2,
    hint="Answer 422 with a problem whose `errors` list has one entry per bad field: "
    '{"field": "isbn", "message": "..."}.',
    rules=["R4.16", "R4.5"],
)
def test_missing_field(api: Api, library: Library) -> None:
    author = library.author()
    body = library.book_body(author["id"])
    del body["isbn"]
    expect_field_error(api.post("/v1/books", json=body), "isbn", "no isbn")
    expect_field_error(api.post("/v1/authors", json={}), "name", "an empty object")


@check(
    "Values of the wrong JSON type answer 422 (no silent conversion)",
    points=2,
    hint='Types are strict: "1974" is a string, 1974.5 and true are not integers, 42 is not a string. '
    "Check your framework's strict mode.",
    rules=["R4.14", "R4.12", "R4.13"],
)
def test_wrong_types(api: Api, library: Library) -> None:
    author = library.author()
    for field, value in (
        ("year", "1974"),
        ("year", 1974.5),
        ("year", True),
        ("author_id", str(author["id"])),
        ("title", 42),
        ("isbn", 9780060512750),
    ):
        body = library.book_body(author["id"], **{field: value})
        expect_field_error(api.post("/v1/books", json=body), field, show({field: value}))


@check(
    "Every bad field is reported at once",
    points=2,
    hint="Collect all errors before answering, so the client can fix everything in one go.",
    rules=["R4.5"],
)
def test_all_errors_at_once(api: Api, library: Library) -> None:
    author = library.author()
    body = library.book_body(author["id"], title="", isbn="12-34", year=3000)
    response = expect_status(api.post("/v1/books", json=body), 422)
    fields = error_fields(response)
    expect(
        {"title", "isbn", "year"} <= fields,
        f"{describe(response)} with three bad fields: the errors should name all three.",
        expected="title, isbn, year",
        actual=", ".join(sorted(fields)) or response.text[:120],
        response=response,
    )


@check(
    "Strings longer than their limit answer 422; the limit itself is fine",
    points=2,
    hint="title: 1 to 200 characters, name: 1 to 100 characters.",
    rules=["R4.9", "R4.10"],
)
def test_length_limits(api: Api, library: Library) -> None:
    author = library.author()
    expect_status(api.post("/v1/books", json=library.book_body(author["id"], title="T" * 200)), 201)
    expect_field_error(
        api.post("/v1/books", json=library.book_body(author["id"], title="T" * 201)),
        "title",
        "a 201-character title",
    )
    expect_status(api.post("/v1/authors", json={"name": "N" * 100}), 201)
    expect_field_error(api.post("/v1/authors", json={"name": "N" * 101}), "name", "a 101-character name")
    # the limits apply after trimming: surrounding whitespace does not count
    padded = library.book_body(author["id"], title=" " + "T" * 200 + "\t ")
    expect_status(api.post("/v1/books", json=padded), 201)
    expect_status(api.post("/v1/authors", json={"name": "  " + "N" * 100 + " "}), 201)


@check(
    "Lengths count characters, not bytes",
    points=1,
    hint="'é' is one character but two bytes in UTF-8; the limits are in characters.",
    rules=["R4.8"],
)
def test_length_in_characters(api: Api, library: Library) -> None:
    author = library.author()
    expect_status(api.post("/v1/books", json=library.book_body(author["id"], title="é" * 200)), 201)
    expect_status(api.post("/v1/authors", json={"name": "字" * 100}), 201)


@check(
    "Surrounding whitespace is trimmed; a blank string is refused",
    points=2,
    hint="Trim strings before you validate and store them: '  Dune  ' is 'Dune', '   ' is empty.",
    rules=["R4.7", "R4.9", "R4.10", "R4.11"],
)
def test_whitespace_trimmed(api: Api, library: Library) -> None:
    author = library.author()
    isbn = library.book_body(author["id"])["isbn"]
    body = library.book_body(author["id"], title="  Dune \t", isbn=f" {isbn} ")
    created = json_object(expect_status(api.post("/v1/books", json=body), 201))
    fetched = json_object(expect_status(api.get(f"/v1/books/{created['id']}"), 200))
    expect(
        fetched.get("title") == "Dune",
        "the title should be stored trimmed.",
        expected="'Dune'",
        actual=repr(fetched.get("title")),
    )
    expect(
        fetched.get("isbn") == isbn,
        "the isbn should be stored trimmed.",
        expected=repr(isbn),
        actual=repr(fetched.get("isbn")),
    )
    expect_field_error(api.post("/v1/authors", json={"name": "   "}), "name", "a blank name")
    expect_field_error(
        api.patch(f"/v1/books/{created['id']}", json={"title": " \n "}), "title", "a blank title"
    )


@check(
    "Unknown and read-only fields are refused with 422",
    points=2,
    hint="Refuse what you do not know (typos, mass assignment): a client must not set id or created_at.",
    rules=["R4.18", "R1.9"],
)
def test_unknown_fields_refused(api: Api, library: Library) -> None:
    author = library.author()
    expect_field_error(api.post("/v1/authors", json={"name": "X", "nickname": "Y"}), "nickname", "nickname")
    for field, value in (
        ("id", 424242),
        ("created_at", "2020-01-01T00:00:00Z"),
        ("updated_at", "2020-01-01T00:00:00Z"),
        ("author", {"id": author["id"]}),
    ):
        body = library.book_body(author["id"], **{field: value})
        expect_field_error(api.post("/v1/books", json=body), field, show({field: value}))
    expect_field_error(api.patch(f"/v1/authors/{author['id']}", json={"id": 7}), "id", "id in a PATCH")
    book = library.book(author["id"])
    for field, value in (("id", 7), ("titel", "A typo")):
        expect_field_error(
            api.patch(f"/v1/books/{book['id']}", json={field: value}), field, f"{field} in a PATCH"
        )


@check(
    "An ISBN must be exactly 13 digits 0-9",
    points=1,
    hint="No hyphens, no letters, no other lengths; careful, some regex digit classes match more than 0-9.",
    rules=["R4.11"],
)
def test_isbn_format(api: Api, library: Library) -> None:
    author = library.author()
    for isbn in ("978-0-441-17271-9", "978044117271", "97804411727190", "978044117271X", "١٢٣٤٥٦٧٨٩٠١٢٣"):
        body = library.book_body(author["id"], isbn=isbn)
        expect_field_error(api.post("/v1/books", json=body), "isbn", show({"isbn": isbn}))


@check(
    "year must be from 1 to 2100",
    points=1,
    hint="Check both ends of the range, and that the ends themselves are accepted.",
    rules=["R4.12"],
)
def test_year_range(api: Api, library: Library) -> None:
    author = library.author()
    for year in (0, -5, 2101):
        body = library.book_body(author["id"], year=year)
        expect_field_error(api.post("/v1/books", json=body), "year", f"year={year}")
    for year in (1, 2100):
        expect_status(api.post("/v1/books", json=library.book_body(author["id"], year=year)), 201)


@check(
    "author_id of an author that does not exist answers 422 on author_id",
    points=2,
    hint="A reference to nothing is invalid input: a field error, not a 404 (the URL exists) nor a 500.",
    rules=["R4.13"],
)
def test_unknown_author(api: Api, library: Library) -> None:
    book = library.book()
    body = library.book_body(987654321)
    expect_field_error(api.post("/v1/books", json=body), "author_id", "author_id=987654321")
    expect_field_error(
        api.patch(f"/v1/books/{book['id']}", json={"author_id": 987654321}),
        "author_id",
        "author_id=987654321",
    )


@check(
    "PUT needs every field",
    points=2,
    hint="PUT replaces the whole item: a body without every field is a 422, not a partial update.",
    rules=["R4.16", "R3.5", "R4.6"],
)
def test_put_needs_every_field(api: Api, library: Library) -> None:
    book = library.book()
    response = api.put(f"/v1/books/{book['id']}", json={"title": "Only a title"})
    expect_field_error(response, "isbn", "only a title")
    fetched = json_object(expect_status(api.get(f"/v1/books/{book['id']}"), 200))
    expect(
        fetched.get("title") == book["title"],
        "a refused PUT must not change the book.",
        expected=book["title"],
        actual=fetched.get("title"),
    )


@check(
    "PATCH refuses null",
    points=1,
    hint="Leaving a field out keeps it; null would erase a required field, so it is a 422.",
    rules=["R4.17"],
)
def test_patch_refuses_null(api: Api, library: Library) -> None:
    book = library.book()
    expect_field_error(api.patch(f"/v1/books/{book['id']}", json={"title": None}), "title", "title=None")
    expect_field_error(
        api.patch(f"/v1/authors/{book['author_id']}", json={"name": None}), "name", "name=None"
    )


@check(
    "A refused request changes nothing, not even its valid fields",
    points=2,
    hint="Validate the whole body first, then apply it: never half an update.",
    rules=["R4.6"],
)
def test_refused_request_changes_nothing(api: Api, library: Library) -> None:
    book = library.book(title="Before", year=1990)
    expect_status(api.patch(f"/v1/books/{book['id']}", json={"title": "After", "year": "1991"}), 422)
    expect_status(api.patch(f"/v1/books/{book['id']}", json={"title": "After", "author_id": 987654321}), 422)
    body = library.book_body(book["author_id"], title="After", isbn="not an isbn")
    expect_status(api.put(f"/v1/books/{book['id']}", json=body), 422)
    fetched = json_object(expect_status(api.get(f"/v1/books/{book['id']}"), 200))
    expect(
        fetched.get("title") == "Before" and fetched.get("year") == 1990,
        "refused updates must leave the book as it was.",
        expected="title 'Before', year 1990",
        actual=f"title {fetched.get('title')!r}, year {fetched.get('year')!r}",
    )


@check(
    "Bad query parameters answer 422 naming the parameter",
    points=2,
    hint="Query parameters are input too: page and per_page are integers, sort one of the documented "
    "values, filters integers.",
    rules=["R6.3", "R6.12", "R5.4"],
)
def test_bad_query_parameters(api: Api) -> None:
    for params in (
        {"page": "abc"},
        {"per_page": "ten"},
        {"sort": "price"},
        {"sort": "-"},
        {"author_id": "abc"},
        {"year": "1990s"},
    ):
        ((name, value),) = params.items()
        expect_field_error(api.get("/v1/books", params=params), name, f"{name}={value}")
    expect_field_error(api.get("/v1/authors", params={"page": "x"}), "page", "page=x")


def padded(body: dict[str, Any], size: int) -> bytes:
    """`body` as JSON of exactly `size` bytes: spaces before the closing brace (JSON allows them)."""
    compact = json.dumps(body).encode()
    return compact[:-1] + b" " * (size - len(compact)) + b"}"


def in_pieces(content: bytes, pause: float = 0.1) -> Iterator[bytes]:
    """The body sent in chunks (Transfer-Encoding: chunked): no Content-Length to refuse it by.

    A slow client's pace: a pause between pieces lets the server read each one on its own, so an app that
    compares each piece with the cap (not the running total) sees 4096 bytes at a time. Sent at once, the
    server may read them in one go and hand the app one piece over the cap, which hides that bug.
    """
    for start in range(0, len(content), 4096):
        if start:
            time.sleep(pause)
        yield content[start : start + 4096]


@check(
    "A body of 16384 bytes is read; one byte more answers 413 and creates or changes nothing, even sent "
    "in chunks, for PUT and PATCH too",
    points=2,
    hint="Cap the body before you keep it (idempotency middleware included): count the bytes as they "
    "arrive, refuse a Content-Length over 16384 at once, and answer 413 as a problem.",
    rules=["R4.19", "R4.20"],
)
def test_body_size_limit(api: Api, library: Library) -> None:
    author = library.author()
    me = {"Content-Type": "application/json", "X-Client-Id": new_client_id("size")}
    at_limit = padded(library.book_body(author["id"]), MAX_BODY)
    made = api.post("/v1/books", content=at_limit, headers=me)
    expect_status(made, 201)
    book = json_body(made)
    over = padded(library.book_body(author["id"]), MAX_BODY + 1)
    expect_problem(api.post("/v1/books", content=over, headers=me), 413)
    streamed = padded(library.book_body(author["id"]), MAX_BODY + 1)
    with_key = {**me, "Idempotency-Key": new_client_id("size-key")}
    expect_problem(api.post("/v1/books", content=in_pieces(streamed), headers=with_key), 413)
    listed = api.get("/v1/books", params={"author_id": author["id"], "per_page": 100})
    count = len(items_of(require_status(listed, 200, purpose="count the author's books")))
    expect(
        count == 1,
        f"after one body of {MAX_BODY} bytes and two of {MAX_BODY + 1}, the author has {count} books.",
        expected="1 book: the bodies over the limit create nothing",
        actual=f"{count} books",
    )
    # every body is capped, not only a POST's: PUT and PATCH change nothing either
    changed = {"title": "Never stored"}
    for method in ("PUT", "PATCH"):
        body = padded({**library.book_body(author["id"]), **changed}, MAX_BODY + 1)
        expect_problem(api.request(method, f"/v1/books/{book['id']}", content=body, headers=me), 413)
    now = json_body(require_status(api.get(f"/v1/books/{book['id']}"), 200, purpose="read the book again"))
    expect(
        now.get("title") == book.get("title"),
        f"after a PUT and a PATCH of {MAX_BODY + 1} bytes to /v1/books/{book['id']}, its title is "
        f"{now.get('title')!r}.",
        expected=f"{book.get('title')!r}: bodies over the limit change nothing",
        actual=repr(now.get("title")),
    )
