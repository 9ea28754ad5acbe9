"""Resources: authors, tags, books, reviews, stock"""

from __future__ import annotations

import uuid
from datetime import datetime

from lab04_api import (
    created,
    new_author,
    new_book,
    new_review,
    new_tag,
    new_warehouse,
    page,
    set_stock,
    stock,
    tag,
)

from grader.checks import check, describe, expect, expect_status, json_body, require_status

MAX_ID = 2147483647


@check(
    "POST /authors, /tags and /warehouses answer 201 with {id, name}; GET /authors/{id} reads it back",
    points=2,
    rules=["R4.1"],
    hint="Create the row, commit, and answer 201 with {id, name}; GET /authors/{id} answers the author "
    "as created.",
)
def test_authors(api):
    name = tag("Ursula K. Le Guin")
    response = api.post("/authors", json={"name": name})
    body = created(response, "author")
    expect(
        body == {"id": body["id"], "name": name},
        f"{describe(response)}: the answer should be the author, {{id, name}}, with the name sent.",
        expected={"id": body["id"], "name": name},
        actual=response.text[:160],
        response=response,
    )
    again = api.get(f"/authors/{body['id']}")
    expect_status(again, 200)
    expect(
        json_body(again) == {"id": body["id"], "name": name},
        f"{describe(again)}: expected the author as created.",
        expected={"id": body["id"], "name": name},
        actual=again.text[:160],
        response=again,
    )
    for path in ("/tags", "/warehouses"):
        name = tag(path[1:4])
        response = api.post(path, json={"name": name})
        body = created(response, path[1:-1])
        expect(
            body == {"id": body["id"], "name": name},
            f"{describe(response)}: the answer should be {{id, name}} with the name sent.",
            expected={"id": body["id"], "name": name},
            actual=response.text[:160],
            response=response,
        )


@check(
    "POST /books answers 201 with the book, its author embedded and its tags' names sorted",
    points=3,
    rules=["R4.7"],
    hint='A book is {"id", "title", "isbn", "published_year", "author": {"id", "name"}, "tags": [names, '
    "sorted]}: load the author and the tags with the book.",
)
def test_create_book(api):
    author_name = tag("Frank Herbert")
    author_id = new_author(api, author_name)
    zeta, alpha = new_tag(api, tag("zeta")), new_tag(api, tag("alpha"))
    isbn = tag("978")[:20]
    response = api.post(
        "/books",
        json={
            "title": "Dune",
            "isbn": isbn,
            "author_id": author_id,
            "published_year": 1965,
            "tags": [zeta, alpha],
        },
    )
    book = created(response, "book")
    want = {
        "id": book["id"],
        "title": "Dune",
        "isbn": isbn,
        "published_year": 1965,
        "author": {"id": author_id, "name": author_name},
        "tags": sorted([zeta, alpha]),
    }
    got = {key: book.get(key) for key in want}
    expect(
        got == want,
        f"{describe(response)}: the book in the answer is not as sent.",
        expected=want,
        actual=got,
        response=response,
    )
    again = api.get(f"/books/{book['id']}")
    expect_status(again, 200)
    got = {key: json_body(again).get(key) for key in want}
    expect(
        got == want,
        f"{describe(again)}: expected the book as created.",
        expected=want,
        actual=got,
        response=again,
    )
    plain = new_book(api, author_id)
    expect(
        plain.get("tags") == [] and plain.get("published_year") is None,
        'POST /books without tags nor published_year: expected "tags": [] and "published_year": null.',
        expected='"tags": [], "published_year": null',
        actual=str(plain)[:160],
    )


@check(
    "GET /books filters by author_id, tag and title_prefix, combined, in ascending id order",
    points=3,
    rules=["R5.1"],
    hint="Each filter adds a WHERE condition (AND): author_id =, the book has the tag of that name, "
    "the title starts with the text; ORDER BY id.",
)
def test_list_filters(api):
    first, second = new_author(api), new_author(api)
    shared, other = new_tag(api), new_tag(api)
    prefix = tag("Filt")
    a1 = new_book(api, first, title=f"{prefix} one", tags=[shared])["id"]
    a2 = new_book(api, first, title=f"{prefix} two", tags=[other])["id"]
    a3 = new_book(api, first, title=f"Not {prefix}", tags=[shared, other])["id"]
    b1 = new_book(api, second, title=f"{prefix} three", tags=[shared])["id"]
    cases = [
        ({"author_id": first}, [a1, a2, a3]),
        ({"tag": shared}, [a1, a3, b1]),
        ({"title_prefix": prefix}, [a1, a2, b1]),
        ({"author_id": first, "tag": shared}, [a1, a3]),
        ({"author_id": first, "title_prefix": prefix, "tag": other}, [a2]),
        ({"title_prefix": prefix.lower()}, []),  # case-sensitive
    ]
    for params, want in cases:
        response = api.get("/books", params={**params, "limit": 100})
        items, _ = page(response)
        got = [item["id"] for item in items]
        expect(
            got == want,
            f"{describe(response)}: expected these books, in ascending id order.",
            expected=want,
            actual=got,
            response=response,
        )


@check(
    "DELETE /books/{id} answers 204, then the book, its reviews, tag links, stock and transfers are gone",
    points=2,
    rules=["R4.10"],
    hint="Delete the row and commit; the schema's ON DELETE CASCADE removes its reviews, tag links, stock "
    "and transfers (a foreign key without it makes the delete fail).",
)
def test_delete_book(api, db):
    book = new_book(api, new_author(api), tags=[new_tag(api)])
    new_review(api, book["id"])
    north, south = new_warehouse(api), new_warehouse(api)
    set_stock(api, north, book["id"], 5)
    require_status(
        api.post(
            "/transfers",
            json={"book_id": book["id"], "from_warehouse_id": north, "to_warehouse_id": south, "quantity": 2},
        ),
        201,
        purpose="record a transfer of the book",
    )
    response = api.delete(f"/books/{book['id']}")
    expect_status(response, 204)
    expect_status(api.get(f"/books/{book['id']}"), 404)
    expect_status(api.get(f"/books/{book['id']}/reviews"), 404)
    left = [
        table
        for table in ("reviews", "book_tags", "stock", "transfers")
        if db.execute(f"SELECT count(*) FROM {table} WHERE book_id = %s", [book["id"]]).fetchone()[0]
    ]
    expect(
        not left,
        f"DELETE /books/{book['id']} of a book with a review, a tag, stock and a transfer: its rows "
        "should be gone from the tables that refer to it.",
        expected="no rows left",
        actual=f"rows left in {left}",
    )
    expect_status(api.delete(f"/books/{book['id']}"), 404)


@check(
    "DELETE /tags/{id} answers 204 and the tag disappears from its books",
    points=2,
    rules=["R4.6"],
    hint="Delete the tag; book_tags.tag_id is ON DELETE CASCADE, so its links go with it.",
)
def test_delete_tag(api):
    name = tag("doomed")
    response = api.post("/tags", json={"name": name})
    tag_id = created(response, "tag")["id"]
    keep = new_tag(api)
    book = new_book(api, new_author(api), tags=[name, keep])
    response = api.delete(f"/tags/{tag_id}")
    expect_status(response, 204)
    again = api.get(f"/books/{book['id']}")
    expect_status(again, 200)
    expect(
        json_body(again).get("tags") == [keep],
        f"{describe(again)}: the deleted tag should be gone.",
        expected=[keep],
        actual=json_body(again).get("tags"),
        response=again,
    )
    expect_status(api.delete(f"/tags/{tag_id}"), 404)


@check(
    "DELETE /authors/{id} of an author without books answers 204, then 404",
    points=1,
    rules=["R4.3"],
    hint="Delete the row and answer 204 with no body; a second delete finds nothing: 404.",
)
def test_delete_author(api):
    author_id = new_author(api)
    expect_status(api.delete(f"/authors/{author_id}"), 204)
    expect_status(api.get(f"/authors/{author_id}"), 404)
    expect_status(api.delete(f"/authors/{author_id}"), 404)


@check(
    "POST /books/{id}/reviews answers 201 with the review and a server-side created_at",
    points=2,
    rules=["R4.11"],
    hint='A review is {"id", "book_id", "rating", "body", "created_at"}; created_at is set by the server '
    '(ISO 8601 with a time zone), read back from the database after the insert; body defaults to "".',
)
def test_create_review(api):
    book_id = new_book(api, new_author(api))["id"]
    response = api.post(f"/books/{book_id}/reviews", json={"rating": 5, "body": "Spice!"})
    review = created(response, "review")
    got = {key: review.get(key) for key in ("book_id", "rating", "body")}
    expect(
        got == {"book_id": book_id, "rating": 5, "body": "Spice!"},
        f"{describe(response)}: the review is not as sent.",
        expected={"book_id": book_id, "rating": 5, "body": "Spice!"},
        actual=got,
        response=response,
    )
    try:
        moment = datetime.fromisoformat(str(review.get("created_at")).replace("Z", "+00:00"))
    except ValueError:
        moment = None
    expect(
        moment is not None and moment.tzinfo is not None,
        f"{describe(response)}: created_at should be an ISO 8601 date-time with a time zone.",
        expected="e.g. 2025-01-06T10:00:00.123456+00:00",
        actual=review.get("created_at"),
        response=response,
    )
    plain = new_review(api, book_id, rating=1)
    expect(
        plain.get("body") == "",
        'A review without a body should have body "".',
        expected='""',
        actual=plain.get("body"),
    )


@check(
    "A value one past a limit of the API (lengths, years, ratings, quantities) answers 422",
    points=2,
    rules=["R4.13"],
    hint="Validate lengths and ranges before touching the database (Field(min_length=..., max_length=...), "
    "ge=, le=): empty or too long texts, years outside 1-9999, ratings outside 1-5, a negative stock.",
)
def test_validation_422(api):
    author_id = new_author(api)
    book_id = new_book(api, author_id)["id"]
    warehouse = new_warehouse(api)
    isbn = tag("i")[:20]
    cases = [
        ("POST", "/authors", {"name": ""}),
        ("POST", "/authors", {"name": "a" * 201}),
        ("POST", "/authors", {}),
        ("POST", "/tags", {"name": ""}),
        ("POST", "/tags", {"name": "x" * 51}),
        ("POST", "/warehouses", {"name": "w" * 101}),
        ("POST", "/books", {"isbn": isbn, "author_id": author_id}),
        ("POST", "/books", {"title": "", "isbn": isbn, "author_id": author_id}),
        ("POST", "/books", {"title": "t" * 301, "isbn": isbn, "author_id": author_id}),
        ("POST", "/books", {"title": "t", "isbn": "", "author_id": author_id}),
        ("POST", "/books", {"title": "t", "isbn": "x" * 21, "author_id": author_id}),
        ("POST", "/books", {"title": "t", "isbn": isbn, "author_id": author_id, "published_year": 0}),
        ("POST", "/books", {"title": "t", "isbn": isbn, "author_id": author_id, "published_year": 10000}),
        ("POST", f"/books/{book_id}/reviews", {"rating": 0}),
        ("POST", f"/books/{book_id}/reviews", {"rating": 6}),
        ("POST", f"/books/{book_id}/reviews", {"body": "no rating"}),
        ("POST", f"/books/{book_id}/reviews", {"rating": 3, "body": "x" * 2001}),
        ("PUT", f"/warehouses/{warehouse}/stock/{book_id}", {"quantity": -1}),
        ("PUT", f"/warehouses/{warehouse}/stock/{book_id}", {}),
    ]
    for method, path, body in cases:
        response = api.request(method, path, json=body)
        expect(
            response.status_code == 422,
            f"{describe(response)} with {body}: expected 422, got {response.status_code}.",
            expected="422",
            actual=str(response.status_code),
            response=response,
        )


@check(
    "PUT /warehouses/{id}/stock/{book_id} sets the stock; GET reads it (0 when never stocked)",
    points=2,
    rules=["R4.12"],
    hint="Upsert the (warehouse_id, book_id) row (INSERT ... ON CONFLICT DO UPDATE); a GET of a pair "
    "without a row answers quantity 0 (a missing row is not a missing resource).",
)
def test_stock(api):
    book_id = new_book(api, new_author(api))["id"]
    north, south = new_warehouse(api), new_warehouse(api)
    response = api.put(f"/warehouses/{north}/stock/{book_id}", json={"quantity": 10})
    expect_status(response, 200)
    want = {"warehouse_id": north, "book_id": book_id, "quantity": 10}
    expect(
        json_body(response) == want,
        f"{describe(response)}: expected the stock row.",
        expected=want,
        actual=response.text[:160],
        response=response,
    )
    expect_status(api.put(f"/warehouses/{north}/stock/{book_id}", json={"quantity": 7}), 200)
    expect(
        stock(api, north, book_id) == 7,
        "PUT then GET: the quantity should be the one last set.",
        expected=7,
        actual=stock(api, north, book_id),
    )
    expect(
        stock(api, south, book_id) == 0,
        "GET of a book never stocked in that warehouse: quantity 0.",
        expected=0,
        actual=stock(api, south, book_id),
    )
    expect_status(api.put(f"/warehouses/{south}/stock/{book_id}", json={"quantity": 0}), 200)
    expect(
        stock(api, south, book_id) == 0,
        "PUT of quantity 0, then GET: quantity 0.",
        expected=0,
        actual=stock(api, south, book_id),
    )


@check(
    "Values at the limits of the API are accepted: 200-character names, 300-character titles, year 9999...",
    points=2,
    rules=["R4.13"],
    hint="The limits are inclusive (1-200 characters means 200 is fine), they count characters, not bytes, "
    "and the columns must hold them: a varchar shorter than the API's limit turns a valid request into "
    "an error.",
)
def test_values_at_the_limits(api):
    author_name = "é" * 199 + "a"
    response = api.post("/authors", json={"name": author_name})
    author = created(response, "author")
    expect(
        author.get("name") == author_name,
        f"{describe(response)} with a name of 200 characters: it should be stored whole.",
        expected=f"{author_name[:12]}… (200 characters)",
        actual=str(author.get("name"))[:40],
        response=response,
    )
    created(api.post("/authors", json={"name": "A"}), "author")
    tag_name = tag("t") + "x" * 38  # 50 characters
    created(api.post("/tags", json={"name": tag_name}), "tag")
    created(api.post("/warehouses", json={"name": tag("w") + "w" * 88}), "warehouse")  # 100 characters
    cases = [  # isbn: 20 characters, then 1 (a fresh database per run: "1" is free)
        {"title": "T" * 299 + "é", "isbn": uuid.uuid4().hex[:20], "published_year": 9999},
        {"title": "T", "isbn": "1", "published_year": 1},
    ]
    for body in cases:
        body["author_id"] = author["id"]
        response = api.post("/books", json={**body, "tags": [tag_name]})
        book = created(response, "book")
        got = {key: book.get(key) for key in ("title", "isbn", "published_year")}
        want = {key: body[key] for key in ("title", "isbn", "published_year")}
        expect(
            got == want,
            f"{describe(response)} with values at the limits: the book should be stored as sent.",
            expected={k: str(v)[:24] for k, v in want.items()},
            actual={k: str(v)[:24] for k, v in got.items()},
            response=response,
        )
    for rating, text in ((1, "b" * 2000), (5, "")):
        response = api.post(f"/books/{book['id']}/reviews", json={"rating": rating, "body": text})
        review = created(response, "review")
        expect(
            review.get("rating") == rating and review.get("body") == text,
            f"{describe(response)} with rating {rating} and a body of {len(text)} characters: "
            "it should be accepted as sent.",
            expected=f"rating {rating}, {len(text)} characters",
            actual=f"rating {review.get('rating')}, {len(str(review.get('body')))} characters",
            response=response,
        )


@check(
    "A path id that does not exist answers 404 on every endpoint; one outside 1-2147483647, 404 or 422",
    points=2,
    rules=["R4.2"],
    hint="Look the row up and answer 404 when there is none, on every endpoint that takes an id in its path "
    "(GET, DELETE, reviews, stock); bound path ids to PostgreSQL's integer range (Path(ge=1, le=2147483647)) "
    "so that no value reaches SQL as an error.",
)
def test_unknown_ids(api):
    book_id = new_book(api, new_author(api))["id"]
    warehouse = new_warehouse(api)

    def requests(unknown: object) -> list[tuple[str, str, dict | None]]:
        return [
            ("GET", f"/authors/{unknown}", None),
            ("DELETE", f"/authors/{unknown}", None),
            ("DELETE", f"/tags/{unknown}", None),
            ("GET", f"/books/{unknown}", None),
            ("DELETE", f"/books/{unknown}", None),
            ("GET", f"/books/{unknown}/reviews", None),
            ("POST", f"/books/{unknown}/reviews", {"rating": 3}),
            ("GET", f"/warehouses/{unknown}/stock/{book_id}", None),
            ("PUT", f"/warehouses/{unknown}/stock/{book_id}", {"quantity": 1}),
            ("GET", f"/warehouses/{warehouse}/stock/{unknown}", None),
            ("PUT", f"/warehouses/{warehouse}/stock/{unknown}", {"quantity": 1}),
        ]

    for unknown, codes in ((MAX_ID, (404,)), (0, (404, 422)), (MAX_ID + 1, (404, 422)), ("x1", (404, 422))):
        for method, path, body in requests(unknown):
            response = api.request(method, path, json=body)
            expect(
                response.status_code in codes,
                f"{describe(response)}: expected {' or '.join(map(str, codes))} for an id "
                + ("that does not exist" if codes == (404,) else "outside 1-2147483647")
                + f", got {response.status_code}.",
                expected=" or ".join(map(str, codes)),
                actual=str(response.status_code),
                response=response,
            )
