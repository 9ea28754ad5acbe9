"""SQL injection"""

from __future__ import annotations

import base64
import json

from lab04_api import new_author, new_book, new_review, new_tag, page, tag
from lab04_db import TABLES, existing_tables

from grader.checks import check, describe, expect, expect_status, json_body

PAYLOADS = [
    "' OR '1'='1",
    "x' OR 1=1 --",
    "'; DROP TABLE books; --",
    '" OR ""="',
    "') OR ('a'='a",
    "1; SELECT pg_sleep(0)",
    "' UNION SELECT NULL --",
    "\\' OR 1=1 --",
]


def _expect_tables_intact(db, canary: dict[str, int]) -> None:
    """Every table is still there, and so are the rows this check made before its attempts (other
    checks add and delete their own rows meanwhile: counting a whole table would blame them)."""
    missing = [t for t in TABLES if t not in existing_tables(db)]
    expect(
        not missing,
        "After the injection attempts, tables are missing.",
        expected="all tables",
        actual=f"missing: {missing}",
    )
    for table, row_id in canary.items():
        left = db.execute(f"SELECT count(*) FROM {table} WHERE id = %s", [row_id]).fetchone()[0]
        expect(
            left == 1,
            f"After the injection attempts, a row of {table} made before them is gone.",
            expected=f"{table} row {row_id}",
            actual="deleted",
        )


def _canary(api) -> dict[str, int]:
    """An author and a book of this check, to see whether the attempts deleted anything."""
    author_id = new_author(api)
    return {"authors": author_id, "books": new_book(api, author_id)["id"]}


@check(
    "SQL in title_prefix is searched for as text, not run",
    points=4,
    rules=["R8.1"],
    hint="Never build SQL with f-strings or %: pass the value as a bound parameter (ORM expressions do). "
    "The database then compares it as a string, whatever it contains.",
)
def test_title_prefix(api, db):
    author_id = new_author(api)
    trap = new_book(api, author_id, title="' OR '1'='1 is a strange title")["id"]
    canary = _canary(api)
    for payload in PAYLOADS:
        response = api.get("/books", params={"title_prefix": payload, "limit": 100})
        items, _ = page(response)
        want = [trap] if payload == PAYLOADS[0] else []
        got = [item["id"] for item in items]
        expect(
            got == want,
            f"{describe(response)}: expected only titles starting with that exact text.",
            expected=want,
            actual=got[:10],
            response=response,
        )
    _expect_tables_intact(db, canary)


@check(
    "% and _ in title_prefix are literal characters, not LIKE wildcards",
    points=3,
    rules=["R5.2"],
    hint="LIKE has its own wildcards: escape %, _ and the escape character in the user's text (and say "
    "ESCAPE), e.g. SQLAlchemy's startswith(value, autoescape=True).",
)
def test_like_wildcards(api):
    author_id = new_author(api)
    percent = new_book(api, author_id, title="100% pure")["id"]
    underscore = new_book(api, author_id, title="snake_case")["id"]
    backslash = new_book(api, author_id, title="back\\slash")["id"]
    new_book(api, author_id, title="1000 pages")
    new_book(api, author_id, title="snakeXcase")
    new_book(api, author_id, title="backXslash")
    cases = [
        ("100%", [percent]),
        ("%", []),
        ("snake_", [underscore]),
        ("_", []),
        ("back\\", [backslash]),
        ("back\\s", [backslash]),
    ]
    for prefix, want in cases:
        response = api.get("/books", params={"author_id": author_id, "title_prefix": prefix})
        items, _ = page(response)
        got = [item["id"] for item in items]
        expect(
            got == want,
            f"{describe(response)}: expected only titles that start with {prefix!r} literally.",
            expected=want,
            actual=got,
            response=response,
        )


@check(
    "SQL in the tag filter, names and titles is stored and matched as text",
    points=3,
    rules=["R8.1"],
    hint="Bound parameters everywhere: in the WHERE of a filter and in the VALUES of an INSERT; what comes "
    "back must be exactly what was sent.",
)
def test_text_fields(api, db):
    canary = _canary(api)
    for payload in PAYLOADS:
        response = api.get("/books", params={"tag": payload})
        items, _ = page(response)
        expect(
            items == [],
            f"{describe(response)}: no tag has this name: expected no books.",
            expected=[],
            actual=[item["id"] for item in items][:10],
            response=response,
        )
    name = "Robert'); DROP TABLE authors; -- " + tag("x")
    author_id = new_author(api, name)
    again = api.get(f"/authors/{author_id}")
    expect_status(again, 200)
    expect(
        json_body(again).get("name") == name,
        f"{describe(again)}: the name should come back unchanged.",
        expected=name,
        actual=json_body(again).get("name"),
        response=again,
    )
    weird = new_tag(api, "tag' OR ''='" + tag(""))
    title = "Title \\' \" -- /* */ ; 🙂 " + tag("t")
    book = new_book(api, author_id, title=title, tags=[weird])
    expect(
        book.get("title") == title and book.get("tags") == [weird],
        "A book with quotes, comment markers and emoji in its title and tag should be stored verbatim.",
        expected={"title": title, "tags": [weird]},
        actual={"title": book.get("title"), "tags": book.get("tags")},
    )
    items, _ = page(api.get("/books", params={"tag": weird}))
    expect(
        [item["id"] for item in items] == [book["id"]],
        f"GET /books?tag={weird}: expected the one book.",
        expected=[book["id"]],
        actual=[item["id"] for item in items],
    )
    _expect_tables_intact(db, canary)


@check(
    "SQL in numeric parameters and in cursors is refused (422 / 400), never run",
    points=3,
    rules=["R8.1"],
    hint="Parse numbers as numbers (a typed query parameter), decode cursors into typed values, and bind "
    "them: text that is not a number or a valid cursor is a 4xx.",
)
def test_numbers_and_cursors(api, db):
    book_id = new_book(api, new_author(api))["id"]
    for _ in range(3):
        new_review(api, book_id)
    canary = _canary(api)
    for params in (
        {"author_id": "1 OR 1=1"},
        {"author_id": "1; DROP TABLE books"},
        {"limit": "10; --"},
        {"limit": "1 UNION SELECT 1"},
    ):
        response = api.get("/books", params=params)
        expect(
            response.status_code == 422,
            f"{describe(response)}: expected 422, got {response.status_code}.",
            expected="422",
            actual=str(response.status_code),
            response=response,
        )
    response = api.get(f"/books/{book_id} OR 1=1")
    expect(
        response.status_code in (404, 422),
        f"{describe(response)}: expected 404 or 422.",
        expected="404 or 422",
        actual=str(response.status_code),
        response=response,
    )
    _, cursor = page(api.get(f"/books/{book_id}/reviews", params={"limit": 1}))
    forged = list(PAYLOADS)
    decoded = _decode(cursor or "")
    if isinstance(decoded, dict):  # a JSON cursor: put SQL in each of its values
        for key in decoded:
            for payload in PAYLOADS[:3]:
                forged.append(_encode({**decoded, key: payload}))
    for cursor_text in forged:
        response = api.get(f"/books/{book_id}/reviews", params={"cursor": cursor_text})
        expect(
            response.status_code in (400, 422),
            f"{describe(response)}: a forged cursor should answer 400 (or 422), got {response.status_code}.",
            expected="400",
            actual=str(response.status_code),
            response=response,
        )
    _expect_tables_intact(db, canary)


def _decode(cursor: str) -> object:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        return None


def _encode(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")
