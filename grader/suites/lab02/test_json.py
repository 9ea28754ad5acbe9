"""JSON serialisation"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from conftest import Library
from lab02_support import charset, json_object, media_type

from grader.checks import check, describe, expect, expect_status, kind_of, require_status
from grader.http import Api

TEXTS = ["Stanisław Lem", "Аркадий и Борис Стругацкие", "村上春樹", "Léa Seydoux 📚", "Zoë (e\u0301)"]
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def expect_json_utf8(response: Any, media: str) -> None:
    expect(
        media_type(response) == media and charset(response) == "utf-8",
        f"{describe(response)}: the Content-Type should say the media type and charset=utf-8.",
        expected=f"{media}; charset=utf-8",
        actual=response.headers.get("content-type", "(none)"),
        response=response,
    )


@check(
    "JSON answers say Content-Type: application/json; charset=utf-8",
    points=2,
    hint="Name the charset in the Content-Type of every JSON answer (many frameworks leave it out).",
    rules=["R1.4"],
)
def test_json_content_type_has_charset(api: Api, library: Library) -> None:
    author = library.author()
    expect_json_utf8(
        expect_status(api.post("/v1/authors", json={"name": "Charset"}), 201), "application/json"
    )
    expect_json_utf8(expect_status(api.get(f"/v1/authors/{author['id']}"), 200), "application/json")
    expect_json_utf8(expect_status(api.get("/v1/authors"), 200), "application/json")


@check(
    "Problems say Content-Type: application/problem+json; charset=utf-8",
    points=1,
    hint="Errors get their own media type, with the charset too.",
    rules=["R1.4"],
)
def test_problem_content_type_has_charset(api: Api) -> None:
    expect_json_utf8(expect_status(api.get("/v1/books/987654321"), 404), "application/problem+json")
    expect_json_utf8(expect_status(api.post("/v1/authors", json={}), 422), "application/problem+json")


@check(
    "Non-ASCII text comes back exactly as sent (UTF-8 round trip)",
    points=3,
    hint="Decode request bodies as UTF-8 and never strip or replace characters you do not know.",
    rules=["R1.5"],
)
def test_utf8_round_trip(api: Api, library: Library) -> None:
    for text in TEXTS:
        for raw in (json.dumps({"name": text}, ensure_ascii=False), json.dumps({"name": text})):
            response = expect_status(
                api.post(
                    "/v1/authors", content=raw.encode("utf-8"), headers={"Content-Type": "application/json"}
                ),
                201,
            )
            created = json_object(response)
            fetched = json_object(expect_status(api.get(f"/v1/authors/{created['id']}"), 200))
            expect(
                fetched.get("name") == text,
                f"{describe(response)}: the name should come back unchanged.",
                expected=repr(text),
                actual=repr(fetched.get("name")),
                response=response,
            )
    book = library.book(title=TEXTS[1])
    fetched = json_object(expect_status(api.get(f"/v1/books/{book['id']}"), 200))
    expect(
        fetched.get("title") == TEXTS[1],
        "a book title should come back unchanged.",
        expected=repr(TEXTS[1]),
        actual=repr(fetched.get("title")),
    )


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


@check(
    "created_at and updated_at are ISO 8601 with a UTC offset",
    points=2,
    hint="A time without an offset is a different instant on every machine; write '...Z' or '+00:00'.",
    rules=["R1.8"],
)
def test_times_are_iso_with_offset(api: Api, library: Library) -> None:
    book = library.book()
    # the update only sets updated_at apart from created_at; its status is other checks' business
    require_status(api.patch(f"/v1/books/{book['id']}", json={"year": 2000}), 200, purpose="update a book")
    for path in (f"/v1/books/{book['id']}", f"/v1/authors/{book['author_id']}"):
        item = json_object(expect_status(api.get(path), 200))
        created, updated = parse_time(item.get("created_at")), parse_time(item.get("updated_at"))
        for name, value, parsed in (
            ("created_at", item.get("created_at"), created),
            ("updated_at", item.get("updated_at"), updated),
        ):
            expect(
                parsed is not None,
                f"GET {path}: {name} should be an ISO 8601 date-time with an offset.",
                expected="e.g. 2026-01-31T09:30:00Z",
                actual=repr(value),
            )
        expect(
            updated >= created,
            f"GET {path}: updated_at should not be earlier than created_at.",
            expected=f">= {item.get('created_at')}",
            actual=item.get("updated_at"),
        )


MISSING = object()  # a member the answer does not have


def expect_int(container: dict[str, Any], name: str, where: str) -> None:
    value = container.get(name) if name in container else MISSING
    expect(
        type(value) is int,
        f"{where}: {name} is {'missing' if value is MISSING else kind_of(value)}; expected a JSON integer"
        + (f" ({kind_of(int(value))})." if isinstance(value, str) and value.strip().isdigit() else "."),
        expected="an integer like 42",
        actual="no such member" if value is MISSING else json.dumps(value, ensure_ascii=False)[:80],
    )


@check(
    "Numbers are JSON numbers, not strings",
    points=2,
    hint="id, year, author_id, page, per_page, total and a problem's status are integers in JSON.",
    rules=["R1.7", "R1.9"],
)
def test_numbers_are_numbers(api: Api, library: Library) -> None:
    book = library.book()
    item = json_object(expect_status(api.get(f"/v1/books/{book['id']}"), 200))
    for name in ("id", "year", "author_id"):
        expect_int(item, name, f"GET /v1/books/{book['id']}")
    author = json_object(expect_status(api.get(f"/v1/authors/{book['author_id']}"), 200))
    expect_int(author, "id", f"GET /v1/authors/{book['author_id']}")
    params = {"author_id": book["author_id"], "page": 1, "per_page": 5}
    page = json_object(expect_status(api.get("/v1/books", params=params), 200))
    for name in ("page", "per_page", "total"):
        expect_int(page, name, "GET /v1/books")
    problem = json_object(expect_status(api.get("/v1/books/987654321"), 404))
    expect_int(problem, "status", "GET /v1/books/987654321")


def keys_of(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


@check(
    "Field names are snake_case everywhere",
    points=1,
    hint="One naming convention for every member: resources, list envelopes and errors.",
    rules=["R1.6"],
)
def test_snake_case_fields(api: Api, library: Library) -> None:
    book = library.book()
    answers = [
        api.get(f"/v1/books/{book['id']}"),
        api.get(f"/v2/books/{book['id']}"),
        api.get(f"/v1/authors/{book['author_id']}"),
        api.get("/v1/books", params={"author_id": book["author_id"], "per_page": 1}),
        api.post("/v1/books", json={"title": ""}),
    ]
    for response in answers:
        bad = sorted(k for k in keys_of(json_object(response)) if not SNAKE.match(k))
        expect(
            not bad,
            f"{describe(response)}: these names are not snake_case: {', '.join(bad)}.",
            expected="names like author_id, created_at, per_page",
            actual=", ".join(bad),
            response=response,
        )
