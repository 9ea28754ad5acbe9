"""Error handling"""

from __future__ import annotations

from conftest import Library
from lab02_support import expect_no_trace, expect_problem

from grader.checks import check, describe, expect, expect_status
from grader.http import Api

JSON = {"Content-Type": "application/json"}


@check(
    "A missing item answers a problem+json 404",
    points=2,
    hint="Every error has one shape, RFC 9457 problem details: type, title, status, detail, served as "
    "application/problem+json.",
    rules=["R5.1", "R5.2"],
)
def test_not_found_is_problem(api: Api) -> None:
    expect_problem(api.get("/v1/books/987654321"), 404)
    expect_problem(api.get("/v1/authors/987654321"), 404)


@check(
    "An unknown route answers a problem+json 404 too",
    points=2,
    hint="The framework answers unknown routes itself; replace its default error body with yours.",
    rules=["R5.1", "R5.2"],
)
def test_unknown_route_is_problem(api: Api) -> None:
    expect_problem(api.get("/v1/nothing-here"), 404)
    expect_problem(api.get("/v3/books"), 404)


@check(
    "405 answers are problems",
    points=1,
    hint="Method Not Allowed is an error like any other: same format.",
    rules=["R5.1"],
)
def test_method_not_allowed_is_problem(api: Api) -> None:
    expect_problem(api.delete("/v1/books"), 405)


@check(
    "A 422 problem lists its field errors as {field, message}",
    points=3,
    hint='Add an "errors" member to the problem: a list of {"field": ..., "message": ...}, both strings.',
    rules=["R5.3", "R5.4"],
)
def test_validation_problem_has_field_errors(api: Api) -> None:
    response = api.post("/v1/authors", json={"name": 5, "alias": "x"})
    problem = expect_problem(response, 422)
    errors = problem.get("errors")
    expect(
        isinstance(errors, list) and len(errors) >= 2,
        f"{describe(response)}: a 422 problem should list one error per bad field in `errors`.",
        expected='"errors": [{"field": "name", ...}, {"field": "alias", ...}]',
        actual=str(errors)[:120],
        response=response,
    )
    for error in errors:
        expect(
            isinstance(error, dict)
            and isinstance(error.get("field"), str)
            and isinstance(error.get("message"), str)
            and error["message"],
            f"{describe(response)}: each error should be an object with string field and message.",
            expected='{"field": "name", "message": "..."}',
            actual=str(error)[:120],
            response=response,
        )


@check(
    "409 and other client errors are problems",
    points=1,
    hint="Conflicts go through the same error format as everything else.",
    rules=["R5.1"],
)
def test_conflict_is_problem(api: Api, library: Library) -> None:
    book = library.book()
    expect_problem(api.delete(f"/v1/authors/{book['author_id']}"), 409)
    body = library.book_body(book["author_id"], isbn=book["isbn"])
    expect_problem(api.post("/v1/books", json=body), 409)


@check(
    "Broken JSON answers a 400 problem, never a 500 or a stack trace",
    points=2,
    hint="Tell 'cannot read this' (400) apart from 'read it, and it is wrong' (422).",
    rules=["R4.4", "R5.5"],
)
def test_malformed_json_is_400(api: Api) -> None:
    for content in (
        b'{"name": "Le Guin"',
        b'{"name": "Le Guin"} trailing',
        b"{'name': 'Le Guin'}",
        b"{name}",
    ):
        expect_problem(api.post("/v1/authors", content=content, headers=JSON), 400)


@check(
    "A body that is not UTF-8 answers a 400 problem",
    points=1,
    hint="Decoding the bytes can fail before JSON parsing even starts; catch that too.",
    rules=["R4.4", "R5.5"],
)
def test_invalid_utf8_is_400(api: Api) -> None:
    for content in (b'{"name": "\xff\xfe"}', b'{"name": "caf\xe9"}'):
        expect_problem(api.post("/v1/authors", content=content, headers=JSON), 400)


@check(
    "A JSON body that is not an object answers a 400 problem",
    points=1,
    hint="Arrays, strings, numbers and an empty body are not the object the route expects.",
    rules=["R4.4"],
)
def test_non_object_body_is_400(api: Api, library: Library) -> None:
    author = library.author()
    for content in (b"[]", b'"Le Guin"', b"42", b"null", b""):
        expect_problem(api.post("/v1/authors", content=content, headers=JSON), 400)
    expect_problem(api.patch(f"/v1/authors/{author['id']}", content=b"[1, 2]", headers=JSON), 400)


@check(
    "A body that is not declared as JSON answers a 415 problem",
    points=2,
    hint="Check Content-Type before parsing: application/json (charset allowed); anything else or "
    "nothing at all is 415 Unsupported Media Type.",
    rules=["R4.1", "R4.3"],
)
def test_wrong_media_type_is_415(api: Api, library: Library) -> None:
    author = library.author()
    body = b'{"name": "Le Guin"}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml", None):
        headers = {"Content-Type": content_type} if content_type else {}  # httpx adds none for bytes
        expect_problem(api.post("/v1/authors", content=body, headers=headers), 415)
    expect_problem(
        api.put(f"/v1/authors/{author['id']}", content=body, headers={"Content-Type": "text/json"}), 415
    )
    expect_problem(
        api.patch(f"/v1/authors/{author['id']}", content=body, headers={"Content-Type": "text/plain"}), 415
    )
    expect_status(
        api.post("/v1/authors", content=body, headers={"Content-Type": "application/json; charset=utf-8"}),
        201,
    )


@check(
    "PATCH takes application/merge-patch+json",
    points=1,
    hint="A JSON Merge Patch (RFC 7396) is what PATCH receives here; accept its media type too.",
    rules=["R4.2"],
)
def test_merge_patch_accepted(api: Api, library: Library) -> None:
    author = library.author()
    response = api.patch(
        f"/v1/authors/{author['id']}",
        content=b'{"name": "Renamed"}',
        headers={"Content-Type": "application/merge-patch+json"},
    )
    expect_status(response, 200)


@check(
    "Huge and odd numbers answer 422 (or 400), never a 500",
    points=2,
    hint="1e999 becomes infinity in many parsers, and echoing it back breaks JSON encoding. Never echo "
    "raw input in errors, and range-check every number.",
    rules=["R4.15", "R5.5"],
)
def test_huge_numbers_never_500(api: Api, library: Library) -> None:
    author = library.author()
    base = library.book_body(author["id"])
    template = '{{"title": "Big", "isbn": "{isbn}", "year": {year}, "author_id": {author_id}}}'
    cases = [
        ("1e999", author["id"], (422,)),
        ("-1e999", author["id"], (422,)),
        ("123456789012345678901234567890", author["id"], (422,)),
        ("1990", "123456789012345678901234567890", (422,)),
        ("NaN", author["id"], (400, 422)),
        ("9" * 5000, author["id"], (400, 422)),  # beyond what some parsers will convert
    ]
    for year, author_id, statuses in cases:
        content = template.format(isbn=base["isbn"], year=year, author_id=author_id).encode()
        response = api.post("/v1/books", content=content, headers=JSON)
        expect(
            response.status_code != 500,
            f"{describe(response)} with year={year[:20]}: a 500 is never right.",
            expected=" or ".join(map(str, statuses)),
            actual=response.status_code,
            response=response,
        )
        expect_no_trace(response)
        expect_problem(response, *statuses)
