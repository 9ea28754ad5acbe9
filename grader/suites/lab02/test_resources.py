"""Resources and methods"""

from __future__ import annotations

from conftest import Library
from lab02_support import json_object, path_of, resolve

from grader.checks import check, describe, expect, expect_header, expect_status
from grader.http import Api

MISSING = 987654321  # an id no check creates


def allow_set(value: str) -> set[str]:
    return {token.strip().upper() for token in value.split(",") if token.strip()}


@check(
    "POST /v1/authors answers 201 Created with a Location that leads to the author",
    points=3,
    hint="Creating answers 201, the new item as the body, and a Location header with its URL "
    "(RFC 9110 §15.3.2). FastAPI answers 200 unless you say otherwise.",
    rules=["R3.3", "R2.1"],
)
def test_create_author(api: Api) -> None:
    response = expect_status(api.post("/v1/authors", json={"name": "Octavia E. Butler"}), 201)
    created = json_object(response)
    members = {"id", "name", "created_at", "updated_at"}
    expect(
        members <= set(created),
        f"{describe(response)}: an author has id, name, created_at and updated_at.",
        expected=", ".join(sorted(members)),
        actual=", ".join(sorted(created)),
        response=response,
    )
    location = expect_header(response, "Location")
    expect(
        path_of(resolve(response, location)) == f"/v1/authors/{created.get('id')}",
        f"{describe(response)}: Location should be the new author's URL.",
        expected=f"/v1/authors/{created.get('id')}",
        actual=location,
        response=response,
    )
    fetched = expect_status(api.get(resolve(response, location)), 200)
    expect(
        json_object(fetched).get("name") == "Octavia E. Butler",
        f"{describe(fetched)}: the author read back should be the one created.",
        expected="name: Octavia E. Butler",
        actual=fetched.text[:120],
        response=fetched,
    )


@check(
    "POST /v1/books answers 201 with a Location, and GET returns the same book",
    points=3,
    hint="Store every field you accepted and answer 201 with the book and its Location.",
    rules=["R3.3", "R3.4", "R2.2"],
)
def test_create_book(api: Api, library: Library) -> None:
    author = library.author()
    body = library.book_body(author["id"], title="Kindred", year=1979)
    response = expect_status(api.post("/v1/books", json=body), 201)
    created = json_object(response)
    location = expect_header(response, "Location")
    expect(
        path_of(resolve(response, location)) == f"/v1/books/{created.get('id')}",
        f"{describe(response)}: Location should be the new book's URL.",
        expected=f"/v1/books/{created.get('id')}",
        actual=location,
        response=response,
    )
    fetched = json_object(expect_status(api.get(f"/v1/books/{created['id']}"), 200))
    for field, value in body.items():
        expect(
            fetched.get(field) == value,
            f"GET /v1/books/{created['id']}: {field} should be {value!r}.",
            expected=value,
            actual=fetched.get(field),
        )


@check(
    "GET of an item that does not exist answers 404",
    points=2,
    hint="Look the id up and answer 404 Not Found when nothing has it, for authors and books.",
    rules=["R3.4", "R1.10"],
)
def test_missing_item_is_404(api: Api) -> None:
    for path in (f"/v1/books/{MISSING}", f"/v1/authors/{MISSING}"):
        expect_status(api.get(path), 404)


@check(
    "An id that is not a positive integer, or is huge, answers 404",
    points=1,
    hint="/v1/books/abc names no book: that is a 404, not a validation error and never a 500.",
    rules=["R1.10"],
)
def test_odd_ids_are_404(api: Api) -> None:
    for raw in ("abc", "0", "-1", "1.5", "99999999999999999999999999"):
        expect_status(api.get(f"/v1/books/{raw}"), 404)


@check(
    "PUT replaces a book (200) and answers 404 for a book that does not exist",
    points=2,
    hint="PUT sends the complete new state of the item; it does not create one here.",
    rules=["R3.5"],
)
def test_put_replaces(api: Api, library: Library) -> None:
    book = library.book()
    other = library.author()
    body = library.book_body(other["id"], title="Parable of the Sower", year=1993)
    response = expect_status(api.put(f"/v1/books/{book['id']}", json=body), 200)
    fetched = json_object(expect_status(api.get(f"/v1/books/{book['id']}"), 200))
    for field, value in body.items():
        expect(
            fetched.get(field) == value,
            f"after {describe(response)}, {field} should be {value!r}.",
            expected=value,
            actual=fetched.get(field),
        )
    expect_status(api.put(f"/v1/books/{MISSING}", json=library.book_body(other["id"])), 404)


@check(
    "PATCH changes only the fields it sends",
    points=2,
    hint="A partial update: apply the fields present in the body, keep every other one.",
    rules=["R3.6", "R4.17"],
)
def test_patch_changes_only_given_fields(api: Api, library: Library) -> None:
    book = library.book(title="Dawn", year=1987)
    response = expect_status(api.patch(f"/v1/books/{book['id']}", json={"year": 1988}), 200)
    fetched = json_object(expect_status(api.get(f"/v1/books/{book['id']}"), 200))
    expected = {**{k: book[k] for k in ("title", "isbn", "author_id")}, "year": 1988}
    for field, value in expected.items():
        expect(
            fetched.get(field) == value,
            f"after {describe(response)} with only year, {field} should be {value!r}.",
            expected=value,
            actual=fetched.get(field),
        )
    expect_status(api.patch(f"/v1/books/{MISSING}", json={"year": 1988}), 404)


@check(
    "DELETE answers 204 without a body; the item is gone afterwards",
    points=2,
    hint="204 No Content has no body. Then GET and a second DELETE answer 404.",
    rules=["R3.7"],
)
def test_delete_answers_204(api: Api, library: Library) -> None:
    book = library.book()
    response = expect_status(api.delete(f"/v1/books/{book['id']}"), 204)
    expect(
        response.content == b"",
        f"{describe(response)}: a 204 has no body.",
        actual=response.text[:80],
        response=response,
    )
    expect_status(api.get(f"/v1/books/{book['id']}"), 404)
    expect_status(api.delete(f"/v1/books/{book['id']}"), 404)


@check(
    "Other methods on a collection answer 405 with Allow: GET, HEAD, POST",
    points=2,
    hint="405 must list what the route does allow (RFC 9110 §15.5.6). FastAPI's own 405 lists only "
    "the methods of the first route it tried.",
    rules=["R3.9"],
)
def test_collection_405_with_allow(api: Api) -> None:
    for method in ("PUT", "PATCH", "DELETE"):
        for path in ("/v1/books", "/v1/authors"):
            response = expect_status(api.request(method, path, json={}), 405)
            allow = expect_header(response, "Allow")
            expect(
                allow_set(allow) == {"GET", "HEAD", "POST"},
                f"{describe(response)}: Allow should list exactly the methods the collection takes.",
                expected="GET, HEAD, POST",
                actual=allow,
                response=response,
            )


@check(
    "POST on an item answers 405 with Allow: GET, HEAD, PUT, PATCH, DELETE",
    points=2,
    hint="An item cannot be POSTed to; say which methods it takes in the Allow header.",
    rules=["R3.9"],
)
def test_item_405_with_allow(api: Api, library: Library) -> None:
    book = library.book()
    for path in (f"/v1/books/{book['id']}", f"/v1/authors/{book['author_id']}"):
        response = expect_status(api.post(path, json={}), 405)
        allow = expect_header(response, "Allow")
        expect(
            allow_set(allow) == {"GET", "HEAD", "PUT", "PATCH", "DELETE"},
            f"{describe(response)}: Allow should list exactly the methods an item takes.",
            expected="GET, HEAD, PUT, PATCH, DELETE",
            actual=allow,
            response=response,
        )


@check(
    "A second book with the same ISBN answers 409 Conflict (POST, PUT and PATCH)",
    points=2,
    hint="ISBNs are unique: the request is well-formed but clashes with the current state.",
    rules=["R3.11", "R4.11"],
)
def test_duplicate_isbn_is_409(api: Api, library: Library) -> None:
    first = library.book()
    second = library.book(first["author_id"])
    expect_status(api.post("/v1/books", json=library.book_body(first["author_id"], isbn=first["isbn"])), 409)
    expect_status(api.patch(f"/v1/books/{second['id']}", json={"isbn": first["isbn"]}), 409)
    body = library.book_body(first["author_id"], isbn=first["isbn"])
    expect_status(api.put(f"/v1/books/{second['id']}", json=body), 409)
    fetched = json_object(expect_status(api.get(f"/v1/books/{second['id']}"), 200))
    expect(
        fetched.get("isbn") == second["isbn"],
        "a refused update must not change the book.",
        expected=second["isbn"],
        actual=fetched.get("isbn"),
    )


@check(
    "A book that keeps its own ISBN is not a conflict",
    points=1,
    hint="When you look for a clash, the book being updated does not clash with itself.",
    rules=["R3.12"],
)
def test_own_isbn_is_not_a_conflict(api: Api, library: Library) -> None:
    book = library.book()
    body = library.book_body(book["author_id"], isbn=book["isbn"], title="A New Title")
    expect_status(api.put(f"/v1/books/{book['id']}", json=body), 200)
    expect_status(api.patch(f"/v1/books/{book['id']}", json={"isbn": book["isbn"], "year": 2001}), 200)


@check(
    "Deleting an author who still has books answers 409; without books, 204",
    points=2,
    hint="Refuse to leave books pointing at nobody; once the books are gone the author can go.",
    rules=["R3.13"],
)
def test_delete_author_with_books_is_409(api: Api, library: Library) -> None:
    book = library.book()
    author_id = book["author_id"]
    expect_status(api.delete(f"/v1/authors/{author_id}"), 409)
    expect_status(api.get(f"/v1/authors/{author_id}"), 200)
    expect_status(api.delete(f"/v1/books/{book['id']}"), 204)
    expect_status(api.delete(f"/v1/authors/{author_id}"), 204)
    expect_status(api.get(f"/v1/authors/{author_id}"), 404)


@check(
    "HEAD on an item answers like GET, without a body",
    points=2,
    hint="HEAD is GET without the body: same status, same headers (RFC 9110 §9.3.2).",
    rules=["R3.8"],
)
def test_head_item(api: Api, library: Library) -> None:
    book = library.book()
    got = expect_status(api.get(f"/v1/books/{book['id']}"), 200)
    head = expect_status(api.head(f"/v1/books/{book['id']}"), 200)
    expect(
        head.content == b"", f"{describe(head)}: HEAD answers no body.", actual=head.text[:80], response=head
    )
    expect(
        head.headers.get("content-type") == got.headers.get("content-type"),
        f"{describe(head)}: HEAD should have the Content-Type of GET.",
        expected=got.headers.get("content-type"),
        actual=head.headers.get("content-type"),
        response=head,
    )
    expect_status(api.head(f"/v1/books/{MISSING}"), 404)
    expect_status(api.head(f"/v1/authors/{book['author_id']}"), 200)


@check(
    "HEAD on a collection answers 200 without a body",
    points=1,
    hint="Every GET route takes HEAD as well, collections included.",
    rules=["R3.8"],
)
def test_head_collection(api: Api, library: Library) -> None:
    author = library.author()
    for path in (f"/v1/books?author_id={author['id']}", "/v1/authors"):
        head = expect_status(api.head(path), 200)
        expect(
            head.content == b"",
            f"{describe(head)}: HEAD answers no body.",
            actual=head.text[:80],
            response=head,
        )


@check(
    "Unknown paths answer 404",
    points=1,
    hint="Only the routes of the contract exist; anything else is Not Found.",
    rules=["R3.10"],
)
def test_unknown_path_is_404(api: Api) -> None:
    for path in ("/v1/publishers", "/v1/books/1/reviews", "/books"):
        expect_status(api.get(path), 404)


@check(
    'GET /health answers 200 with {"status": "ok"}',
    points=1,
    hint='The health probe is outside the versions: GET /health answers {"status": "ok"}.',
    rules=["R1.1"],
)
def test_health_ok(api: Api) -> None:
    response = expect_status(api.get("/health"), 200)
    expect(
        json_object(response) == {"status": "ok"},
        f"{describe(response)}: the health probe answers a fixed body.",
        expected='{"status": "ok"}',
        actual=response.text[:120],
        response=response,
    )
