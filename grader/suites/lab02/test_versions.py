"""Versioning"""

from __future__ import annotations

from conftest import Library
from lab02_support import expect_problem, items_of, json_object, path_of, resolve

from grader.checks import check, describe, expect, expect_header, expect_status, require_status
from grader.http import Api


@check(
    "/v1 books refer to their author by author_id",
    points=2,
    hint='v1 is the original shape: "author_id": 1, and no "author" member.',
    rules=["R7.2", "R2.2"],
)
def test_v1_book_shape(api: Api, library: Library) -> None:
    book = library.book()
    body = json_object(expect_status(api.get(f"/v1/books/{book['id']}"), 200))
    expect(
        "author" not in body and body.get("author_id") == book["author_id"],
        f"GET /v1/books/{book['id']}: a v1 book has author_id and no author.",
        expected=f'"author_id": {book["author_id"]}',
        actual=str(body)[:160],
    )


@check(
    "/v2 books embed their author as {id, name} instead of author_id",
    points=2,
    hint='v2\'s one breaking change: "author": {"id": 1, "name": "..."} replaces "author_id".',
    rules=["R7.2", "R2.3"],
)
def test_v2_book_shape(api: Api, library: Library) -> None:
    author = library.author("Ted Chiang")
    book = library.book(author["id"])
    body = json_object(expect_status(api.get(f"/v2/books/{book['id']}"), 200))
    expect(
        body.get("author") == {"id": author["id"], "name": "Ted Chiang"} and "author_id" not in body,
        f"GET /v2/books/{book['id']}: a v2 book embeds its author and has no author_id.",
        expected=f'"author": {{"id": {author["id"]}, "name": "Ted Chiang"}}',
        actual=str(body)[:160],
    )
    for field in ("id", "title", "isbn", "year", "created_at", "updated_at"):
        expect(
            field in body,
            f"GET /v2/books/{book['id']}: {field} is missing.",
            expected=field,
            actual=", ".join(body),
        )


@check(
    "/v1 and /v2 serve the same data, both ways",
    points=3,
    hint="One store, two representations: never two copies of the data.",
    rules=["R7.1", "R3.1"],
)
def test_same_data(api: Api, library: Library) -> None:
    author = library.author()
    created = json_object(expect_status(api.post("/v2/books", json=library.book_body(author["id"])), 201))
    v1 = json_object(expect_status(api.get(f"/v1/books/{created['id']}"), 200))
    expect(
        v1.get("isbn") == created.get("isbn"),
        "a book created through /v2 should be the same book in /v1.",
        expected=created.get("isbn"),
        actual=v1.get("isbn"),
    )
    expect_status(api.patch(f"/v1/books/{created['id']}", json={"title": "Changed in v1"}), 200)
    v2 = json_object(expect_status(api.get(f"/v2/books/{created['id']}"), 200))
    expect(
        v2.get("title") == "Changed in v1",
        "a change made through /v1 should show in /v2.",
        expected="Changed in v1",
        actual=v2.get("title"),
    )
    expect_status(api.delete(f"/v2/books/{created['id']}"), 204)
    expect_status(api.get(f"/v1/books/{created['id']}"), 404)
    v2_author = json_object(expect_status(api.get(f"/v2/authors/{author['id']}"), 200))
    expect(
        v2_author == json_object(expect_status(api.get(f"/v1/authors/{author['id']}"), 200)),
        "an author is the same in both versions.",
        actual=str(v2_author)[:120],
    )


@check(
    "A book created through /v2 gets a /v2 Location",
    points=1,
    hint="Location and links stay in the version of the request.",
    rules=["R7.4"],
)
def test_v2_location(api: Api, library: Library) -> None:
    author = library.author()
    response = expect_status(api.post("/v2/books", json=library.book_body(author["id"])), 201)
    location = expect_header(response, "Location")
    created = json_object(response)
    expect(
        path_of(resolve(response, location)) == f"/v2/books/{created.get('id')}",
        f"{describe(response)}: Location should be under /v2.",
        expected=f"/v2/books/{created.get('id')}",
        actual=location,
        response=response,
    )
    expect(
        "author" in created and "author_id" not in created,
        f"{describe(response)}: the answer is a v2 book.",
        expected='"author": {...}',
        actual=str(created)[:120],
        response=response,
    )


@check(
    "/v2 shows the author's current name",
    points=1,
    hint="Build the v2 representation from the author as it is now, not from a copy made earlier.",
    rules=["R7.3"],
)
def test_v2_follows_author_rename(api: Api, library: Library) -> None:
    book = library.book()
    expect_status(api.get(f"/v2/books/{book['id']}"), 200)  # seen once before the rename
    renamed = api.patch(f"/v1/authors/{book['author_id']}", json={"name": "New Name"})
    require_status(renamed, 200, purpose="rename the author")
    body = json_object(expect_status(api.get(f"/v2/books/{book['id']}"), 200))
    expect(
        (body.get("author") or {}).get("name") == "New Name",
        f"GET /v2/books/{book['id']}: the author was renamed to 'New Name'.",
        expected="New Name",
        actual=str(body.get("author")),
    )


@check(
    "/v2 lists hold v2 books and link to /v2 pages",
    points=1,
    hint="The list uses the same representation as the item, and next stays in /v2.",
    rules=["R7.4"],
)
def test_v2_lists(api: Api, library: Library) -> None:
    author = library.author()
    for _ in range(2):
        library.book(author["id"])
    response = expect_status(api.get("/v2/books", params={"author_id": author["id"], "per_page": 1}), 200)
    items = items_of(response)
    expect(
        len(items) == 1
        and items[0].get("author", {}).get("id") == author["id"]
        and "author_id" not in items[0],
        f"{describe(response)}: items should be v2 books.",
        expected='"author": {...}',
        actual=str(items)[:120],
        response=response,
    )
    link = json_object(response).get("next")
    expect(
        isinstance(link, str) and path_of(resolve(response, link)) == "/v2/books",
        f"{describe(response)}: next should stay under /v2.",
        expected="/v2/books?...",
        actual=repr(link),
        response=response,
    )


@check(
    "Any other version answers 404",
    points=1,
    hint="Only /v1 and /v2 exist; a version you do not serve is an unknown path.",
    rules=["R7.5", "R3.10"],
)
def test_unknown_version_is_404(api: Api) -> None:
    for path in ("/v3/books", "/v0/authors", "/V1/books"):
        expect_problem(api.get(path), 404)
