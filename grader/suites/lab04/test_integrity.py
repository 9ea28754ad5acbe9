"""Integrity errors become API errors"""

from __future__ import annotations

import re

from lab04_api import created, new_author, new_book, new_tag, new_warehouse, patient, rounds, set_stock, tag

from grader.checks import check, describe, expect, expect_status, fail, json_body
from grader.concurrency import burst, statuses, tally

BROKEN_REFERENCE = (422, 409)
ROUNDS = 5  # bursts per race check: a race must show in one of them even on a busy machine
# What an error body must not show: the driver's or the ORM's words, SQL, a stack trace
INTERNALS = re.compile(
    r"psycopg|sqlalche|IntegrityError|DataError|Violation\b|violates|DETAIL|Key \(|\[SQL|\[parameters|"
    r"Traceback|File \"|INSERT INTO|DELETE FROM|UPDATE \w+ SET|SQLSTATE|pg_catalog"
)


@check(
    "A taken isbn answers 409 Conflict and leaves the first book as it was",
    points=3,
    rules=["R4.8"],
    hint="Let the UNIQUE constraint decide: catch the IntegrityError (SQLSTATE 23505 unique_violation) "
    "raised at flush/commit, roll back, and answer 409.",
)
def test_duplicate_isbn_409(api):
    author_id = new_author(api)
    isbn = tag("isbn")[:20]
    first = new_book(api, author_id, title="First", isbn=isbn)
    response = api.post("/books", json={"title": "Second", "isbn": isbn, "author_id": author_id})
    expect_status(response, 409)
    again = api.get(f"/books/{first['id']}")
    expect_status(again, 200)
    expect(
        json_body(again).get("title") == "First",
        f"{describe(again)}: the first book should be unchanged.",
        expected="First",
        actual=json_body(again).get("title"),
        response=again,
    )


@check(
    "A taken tag or warehouse name answers 409 Conflict",
    points=2,
    rules=["R4.5"],
    hint="tags.name and warehouses.name are UNIQUE: turn the unique_violation into a 409 (and the app keeps "
    "working: the session was rolled back).",
)
def test_duplicate_names_409(api):
    name = tag("dup")
    for path in ("/tags", "/warehouses"):
        created(api.post(path, json={"name": name}), path[1:-1])
        expect_status(api.post(path, json={"name": name}), 409)
    expect_status(api.post("/tags", json={"name": tag("fresh")}), 201)


@check(
    "A reference to nothing (unknown author, tag, or an id out of range) answers 422, never 500",
    points=3,
    rules=["R4.9", "R4.15"],
    hint="An unknown author_id breaks the foreign key (23503): answer 422. Validate tag names against the "
    "tags table; bound ids to PostgreSQL's integer range before they reach SQL.",
)
def test_broken_reference_422(api):
    author_id = new_author(api)
    cases = [
        {"title": "t", "isbn": tag("i")[:20], "author_id": 2147483000},
        {"title": "t", "isbn": tag("i")[:20], "author_id": 2**40},
        {"title": "t", "isbn": tag("i")[:20], "author_id": author_id, "tags": [tag("nosuchtag")]},
    ]
    for body in cases:
        response = api.post("/books", json=body)
        expect(
            response.status_code in BROKEN_REFERENCE,
            f"{describe(response)} with {body}: expected 422 (or 409), got {response.status_code}.",
            expected="422",
            actual=str(response.status_code),
            response=response,
        )
    listed = api.get("/books", params={"author_id": author_id})
    expect_status(listed, 200)
    expect(
        json_body(listed).get("items") == [],
        "A refused book must not have been stored.",
        expected="[]",
        actual=listed.text[:160],
        response=listed,
    )


@check(
    "DELETE of an author who still has books answers 409 and the author stays",
    points=3,
    rules=["R4.4"],
    hint="books.author_id is ON DELETE RESTRICT: the delete fails with a foreign_key_violation (23503); "
    "answer 409. Once the books are gone, the delete works.",
)
def test_delete_author_with_books_409(api):
    author_id = new_author(api)
    book = new_book(api, author_id)
    response = api.delete(f"/authors/{author_id}")
    expect_status(response, 409)
    expect_status(api.get(f"/authors/{author_id}"), 200)
    expect_status(api.get(f"/books/{book['id']}"), 200)
    expect_status(api.delete(f"/books/{book['id']}"), 204)
    expect_status(api.delete(f"/authors/{author_id}"), 204)


@check(
    "12 requests creating the same tag at once: one 201, eleven 409, no 500",
    points=3,
    rules=["R4.14"],
    hint='Checking "does it exist?" before inserting is a race: two requests both see nothing. Insert and '
    "let the UNIQUE constraint refuse the losers; catch that error for every request.",
)
def test_concurrent_duplicates(api, new_api):
    for round_number in rounds(ROUNDS):
        racer = patient(new_api())  # fresh connections: no keep-alive left over from the last round
        name = tag("race")
        outcomes = statuses(
            burst(12, lambda i, name=name, racer=racer: racer.post("/tags", json={"name": name}))
        )
        expect(
            outcomes.count(201) == 1 and outcomes.count(409) == 11,
            f'12 × POST /tags {{"name": "{name}"}} at the same moment (round {round_number} of {ROUNDS}): '
            "expected one 201 and eleven 409.",
            expected="one 201, eleven 409",
            actual=tally(outcomes),
        )


@check(
    "12 requests creating books with the same isbn at once: one 201, eleven 409, no 500",
    points=2,
    rules=["R4.14"],
    hint="The same race as for tags: only the UNIQUE constraint on isbn can decide; map its error to 409.",
)
def test_concurrent_isbn(api, new_api):
    author_id = new_author(api)
    for round_number in rounds(ROUNDS):
        racer = patient(new_api())  # fresh connections: no keep-alive left over from the last round
        isbn = tag("race")[:20]
        outcomes = statuses(
            burst(
                12,
                lambda i, isbn=isbn, racer=racer: racer.post(
                    "/books", json={"title": f"Race {i}", "isbn": isbn, "author_id": author_id}
                ),
            )
        )
        expect(
            outcomes.count(201) == 1 and outcomes.count(409) == 11,
            f"12 × POST /books with isbn {isbn!r} at the same moment (round {round_number} of {ROUNDS}): "
            "expected one 201 and eleven 409.",
            expected="one 201, eleven 409",
            actual=tally(outcomes),
        )


@check(
    "A review of a deleted book answers 404; a deleted tag can no longer be given to a book (422)",
    points=2,
    rules=["R4.9"],
    hint="Look the parent up (404 when it is gone); a reference that vanished between the check and the "
    "insert still breaks the foreign key: 422, never 500.",
)
def test_vanished_parents(api):
    book = new_book(api, new_author(api))
    expect_status(api.delete(f"/books/{book['id']}"), 204)
    expect_status(api.post(f"/books/{book['id']}/reviews", json={"rating": 4}), 404)
    kept, gone = new_tag(api), tag("gone")
    tag_id = created(api.post("/tags", json={"name": gone}), "tag")["id"]
    expect_status(api.delete(f"/tags/{tag_id}"), 204)
    response = api.post(
        "/books",
        json={"title": "t", "isbn": tag("i")[:20], "author_id": new_author(api), "tags": [kept, gone]},
    )
    expect(
        response.status_code in BROKEN_REFERENCE,
        f"{describe(response)} with the name of a deleted tag: expected 422 (or 409), "
        f"got {response.status_code}.",
        expected="422",
        actual=str(response.status_code),
        response=response,
    )


def _schema_names(db) -> set[str]:
    """Names of the contract tables' constraints and indexes: what the database calls its rules."""
    rows = db.execute(
        "SELECT conname FROM pg_constraint WHERE connamespace = current_schema()::regnamespace"
        " UNION SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    ).fetchall()
    return {row[0] for row in rows if len(row[0]) >= 6}


@check(
    "Error answers say what went wrong without showing the database's internals",
    points=2,
    rules=["R4.16"],
    hint='Map a database error to a status and a message of your own ("this isbn is taken"): never put '
    "str(exc), the driver's message, the SQL or a constraint's name in the answer. They tell whoever "
    "probes the API how your schema is built.",
)
def test_error_bodies(api, db):
    author_id = new_author(api)
    book = new_book(api, author_id, tags=[new_tag(api)])
    name = tag("dup")
    created(api.post("/tags", json={"name": name}), "tag")
    created(api.post("/warehouses", json={"name": name}), "warehouse")
    north = new_warehouse(api)
    set_stock(api, north, book["id"], 1)
    attempts = [
        api.post("/books", json={"title": "t", "isbn": book["isbn"], "author_id": author_id}),
        api.post("/tags", json={"name": name}),
        api.post("/warehouses", json={"name": name}),
        api.post("/books", json={"title": "t", "isbn": tag("i")[:20], "author_id": 2147483000}),
        api.delete(f"/authors/{author_id}"),
        api.post(
            "/transfers",
            json={
                "book_id": book["id"],
                "from_warehouse_id": north,
                "to_warehouse_id": 2147483000,
                "quantity": 1,
            },
        ),
    ]
    names = _schema_names(db)
    for response in attempts:
        if response.status_code < 400:
            continue  # the status is other checks' business
        text = response.text
        found = INTERNALS.search(text)
        leaked = found.group(0) if found else next((n for n in sorted(names) if n in text), None)
        if leaked:
            fail(
                f"{describe(response)} answered {response.status_code} with a body that shows the "
                f"database's internals ({leaked!r}).",
                expected="a message of your own",
                actual=text[:200],
                response=response,
            )
