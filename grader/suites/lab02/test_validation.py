"""Input validation"""

from __future__ import annotations

from typing import Any

from conftest import Library
from lab02_support import error_fields, expect_field_error, json_object

from grader.checks import check, describe, expect, expect_status
from grader.http import Api


def show(body: dict[str, Any]) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in body.items())
    return text if len(text) < 90 else text[:89] + "…"


@check(
    "A missing required field answers 422 naming the field",
    points=2,
    hint="Answer 422 with a problem whose `errors` list has one entry per bad field: "
    '{"field": "isbn", "message": "..."}.',
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


@check(
    "Lengths count characters, not bytes",
    points=1,
    hint="'é' is one character but two bytes in UTF-8; the limits are in characters.",
)
def test_length_in_characters(api: Api, library: Library) -> None:
    author = library.author()
    expect_status(api.post("/v1/books", json=library.book_body(author["id"], title="é" * 200)), 201)
    expect_status(api.post("/v1/authors", json={"name": "字" * 100}), 201)


@check(
    "Surrounding whitespace is trimmed; a blank string is refused",
    points=2,
    hint="Trim strings before you validate and store them: '  Dune  ' is 'Dune', '   ' is empty.",
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
)
def test_unknown_fields_refused(api: Api, library: Library) -> None:
    author = library.author()
    expect_field_error(api.post("/v1/authors", json={"name": "X", "nickname": "Y"}), "nickname", "nickname")
    for field, value in (
        ("id", 424242),
        ("created_at", "2020-01-01T00:00:00Z"),
        ("author", {"id": author["id"]}),
    ):
        body = library.book_body(author["id"], **{field: value})
        expect_field_error(api.post("/v1/books", json=body), field, show({field: value}))
    expect_field_error(api.patch(f"/v1/authors/{author['id']}", json={"id": 7}), "id", "id in a PATCH")


@check(
    "An ISBN must be exactly 13 digits 0-9",
    points=1,
    hint="No hyphens, no letters, no other lengths; careful, some regex digit classes match more than 0-9.",
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
