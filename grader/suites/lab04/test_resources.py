"""Resources: authors, tags, books, reviews, stock"""

from __future__ import annotations

from datetime import datetime

from lab04_api import created, new_author, new_book, new_review, new_tag, new_warehouse, page, stock, tag

from grader.checks import check, describe, expect, expect_status, json_body


@check(
    "POST /authors answers 201 with the author; GET /authors/{id} reads it back; unknown ids are 404",
    points=2,
    hint="Create the row, commit, and answer 201 with {id, name}; a GET of an id that does not exist "
    "answers 404.",
)
def test_authors(api):
    name = tag("Ursula K. Le Guin")
    response = api.post("/authors", json={"name": name})
    body = created(response, "author")
    expect(
        body.get("name") == name,
        f"{describe(response)}: the answer should carry the name sent.",
        expected=name,
        actual=body.get("name"),
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
    expect_status(api.get("/authors/2147483000"), 404)


@check(
    "POST /books answers 201 with the book, its author embedded and its tags' names sorted",
    points=3,
    needs="authors",
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
    expect_status(api.get("/books/2147483000"), 404)


@check(
    "GET /books filters by author_id, tag and title_prefix, combined, in ascending id order",
    points=3,
    needs="create_book",
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
    "DELETE /books/{id} answers 204, then the book and its reviews are gone (404)",
    points=2,
    needs="create_book",
    hint="Delete the row and commit; the schema's ON DELETE CASCADE removes its reviews, tag links and "
    "stock.",
)
def test_delete_book(api):
    book = new_book(api, new_author(api), tags=[new_tag(api)])
    new_review(api, book["id"])
    response = api.delete(f"/books/{book['id']}")
    expect_status(response, 204)
    expect_status(api.get(f"/books/{book['id']}"), 404)
    expect_status(api.get(f"/books/{book['id']}/reviews"), 404)
    expect_status(api.delete(f"/books/{book['id']}"), 404)


@check(
    "DELETE /tags/{id} answers 204 and the tag disappears from its books",
    points=2,
    needs="create_book",
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
    needs="authors",
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
    needs="create_book",
    hint='A review is {"id", "book_id", "rating", "body", "created_at"}; created_at is set by the server '
    "(ISO 8601 with a time zone); an unknown book is a 404.",
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
    expect_status(api.post("/books/2147483000/reviews", json={"rating": 3}), 404)


@check(
    "Invalid bodies and parameters answer 422",
    points=2,
    needs="create_book",
    hint="Validate lengths and ranges before touching the database: empty names, ratings outside 1-5, "
    "limit outside 1-100, a quantity below 1, the same warehouse twice.",
)
def test_validation_422(api):
    author_id = new_author(api)
    book_id = new_book(api, author_id)["id"]
    warehouse = new_warehouse(api)
    cases = [
        ("POST", "/authors", {"name": ""}),
        ("POST", "/authors", {}),
        ("POST", "/tags", {"name": "x" * 51}),
        ("POST", "/books", {"isbn": tag("i")[:20], "author_id": author_id}),
        ("POST", "/books", {"title": "t", "isbn": "x" * 21, "author_id": author_id}),
        (
            "POST",
            "/books",
            {"title": "t", "isbn": tag("i")[:20], "author_id": author_id, "published_year": 10000},
        ),
        ("POST", f"/books/{book_id}/reviews", {"rating": 0}),
        ("POST", f"/books/{book_id}/reviews", {"rating": 6}),
        ("POST", f"/books/{book_id}/reviews", {"rating": 3, "body": "x" * 2001}),
        ("PUT", f"/warehouses/{warehouse}/stock/{book_id}", {"quantity": -1}),
        (
            "POST",
            "/transfers",
            {"book_id": book_id, "from_warehouse_id": warehouse, "to_warehouse_id": warehouse, "quantity": 1},
        ),
        ("GET", "/books?limit=0", None),
        ("GET", "/books?limit=101", None),
        ("GET", f"/books/{book_id}/reviews?limit=0", None),
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
    needs="create_book",
    hint="Upsert the (warehouse_id, book_id) row (INSERT ... ON CONFLICT DO UPDATE); a GET of a pair "
    "without a row answers quantity 0; unknown warehouse or book: 404.",
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
    expect_status(api.get(f"/warehouses/2147483000/stock/{book_id}"), 404)
    expect_status(api.get(f"/warehouses/{north}/stock/2147483000"), 404)
    expect_status(api.put(f"/warehouses/{north}/stock/2147483000", json={"quantity": 1}), 404)
