"""Keyset pagination"""

from __future__ import annotations

import time

from lab04_api import new_author, new_book, new_review, page, walk
from lab04_db import ROWS_READ_MAX, SECONDS_MAX, analyse, insert_books, short_sql

from grader.checks import check, describe, expect, fail


def _ids(pages: list[list[dict]]) -> list[int]:
    return [item["id"] for items in pages for item in items]


def _expect_each_once(got: list[int], want: list[int], what: str) -> None:
    repeated = sorted({i for i in got if got.count(i) > 1})
    skipped = [i for i in want if i not in got]
    if repeated or skipped:
        fail(
            f"{what}: "
            + "; ".join(
                part
                for part in (
                    f"returned twice: {repeated[:8]}" if repeated else "",
                    f"never returned: {skipped[:8]}" if skipped else "",
                )
                if part
            ),
            expected=f"each of the {len(want)} items exactly once",
            actual=f"{len(got)} items",
        )


@check(
    "GET /books pages through 20 books by 5: ascending ids, next_cursor null on the last, full page",
    points=3,
    rules=["R5.5", "R5.6"],
    hint='Answer {"items": [...], "next_cursor": ...}: fetch limit + 1 rows to know whether a next page '
    "exists (a full page is not proof that more follow); the cursor encodes the last id of the page; "
    "null when nothing follows.",
)
def test_books_walk(api, db):
    author_id = new_author(api)
    want = [new_book(api, author_id)["id"] for _ in range(3)] + insert_books(db, author_id, 17)
    pages = walk(api, "/books", {"author_id": author_id}, limit=5)
    expect(
        [len(p) for p in pages] == [5, 5, 5, 5],
        "GET /books?author_id=...&limit=5 over 20 books: "
        "expected 4 pages of 5 items, the fourth one with next_cursor null.",
        expected=[5, 5, 5, 5],
        actual=[len(p) for p in pages],
    )
    expect(
        _ids(pages) == want,
        "The walk should return the author's books in ascending id order.",
        expected=want,
        actual=_ids(pages),
    )


@check(
    "Books deleted between two pages do not make the walk skip others (no OFFSET)",
    points=4,
    rules=["R5.7"],
    hint="With OFFSET, deleting rows already seen shifts every later row back: the next page starts too far. "
    'A keyset cursor ("ids after the last one seen") does not move when earlier rows disappear.',
)
def test_books_walk_survives_deletes(api, db):
    author_id = new_author(api)
    want = insert_books(db, author_id, 20)
    deleted: list[int] = []

    def delete_seen(number: int, items: list[dict]) -> None:
        if number == 0:  # after the first page, two books of that page are deleted
            for item in items[:2]:
                api.delete(f"/books/{item['id']}")
                deleted.append(item["id"])

    got = _ids(walk(api, "/books", {"author_id": author_id}, limit=5, between=delete_seen))
    _expect_each_once(
        got, want, "Walking an author's 20 books by 5, deleting 2 books of page 1 after reading it"
    )


@check(
    "GET /books/{id}/reviews pages newest first, next_cursor null on the last page (full or not)",
    points=3,
    rules=["R5.3", "R5.5"],
    hint="ORDER BY created_at DESC, id DESC; the cursor carries both values of the last review of the page.",
)
def test_reviews_walk(api):
    book_id = new_book(api, new_author(api))["id"]
    written = [new_review(api, book_id, rating=1 + i % 5)["id"] for i in range(12)]
    for limit, sizes in ((4, [4, 4, 4]), (5, [5, 5, 2])):
        pages = walk(api, f"/books/{book_id}/reviews", {}, limit=limit)
        expect(
            [len(p) for p in pages] == sizes,
            f"12 reviews by {limit}: expected pages of {', '.join(map(str, sizes))} items, the last one with "
            "next_cursor null.",
            expected=sizes,
            actual=[len(p) for p in pages],
        )
        expect(
            _ids(pages) == written[::-1],
            "Reviews should come newest first.",
            expected=written[::-1],
            actual=_ids(pages),
        )


@check(
    "Reviews written in the same millisecond, or the same microsecond, are neither skipped nor repeated",
    points=3,
    rules=["R5.3", "R5.6"],
    hint="created_at alone is not unique: compare (created_at, id) as a pair, WHERE (created_at, id) < "
    "(:t, :id), and keep the timestamp whole in the cursor: PostgreSQL stores microseconds, so a cursor "
    "rounded to milliseconds (JavaScript-style) skips the reviews of the same millisecond.",
)
def test_reviews_ties(api, db):
    book_id = new_book(api, new_author(api))["id"]
    # 40 reviews in 2 milliseconds: two by two at the same microsecond, 100 microseconds apart
    db.execute(
        "INSERT INTO reviews (book_id, rating, body, created_at)"
        " SELECT %s, 3, 'tie ' || n, timestamptz '2024-05-01 12:00:00.000950+00'"
        " + (n / 2) * interval '100 microseconds' FROM generate_series(0, 39) n",
        [book_id],
    )
    want = [
        row[0]
        for row in db.execute(
            "SELECT id FROM reviews WHERE book_id = %s ORDER BY created_at DESC, id DESC", [book_id]
        ).fetchall()
    ]
    for limit in (7, 2):
        got = _ids(walk(api, f"/books/{book_id}/reviews", {}, limit=limit))
        _expect_each_once(
            got, want, f"Walking 40 reviews by {limit} (pairs at the same microsecond, 100 µs apart)"
        )
        expect(got == want, "The walk should follow created_at DESC, id DESC.", expected=want, actual=got)


@check(
    "Reviews added and deleted during a walk (the cursor's own review too) shift nothing",
    points=4,
    rules=["R5.7"],
    hint="New reviews arrive at the front of a newest-first list: with OFFSET every page then repeats rows. "
    "The cursor must hold the sort values themselves, not a row to look up: that row may be deleted.",
)
def test_reviews_walk_survives_changes(api, db):
    book_id = new_book(api, new_author(api))["id"]
    want = [
        row[0]
        for row in db.execute(  # 15 reviews of the last 15 minutes, newest first
            "INSERT INTO reviews (book_id, rating, body, created_at)"
            " SELECT %s, 3, 'earlier ' || n, now() - n * interval '1 minute' FROM generate_series(1, 15) n"
            " RETURNING id",
            [book_id],
        ).fetchall()
    ]

    def change(number: int, items: list[dict]) -> None:
        for _ in range(2):  # newer reviews: they go to the front of the list
            new_review(api, book_id, body="written during the walk")
        if number == 0:  # the review the cursor was made from disappears
            db.execute("DELETE FROM reviews WHERE id = %s", [items[-1]["id"]])

    got = _ids(walk(api, f"/books/{book_id}/reviews", {}, limit=4, between=change))
    first_page = got[:4]
    original = [i for i in got if i in want]
    _expect_each_once(
        original,
        want,
        "Walking 15 reviews by 4 while 2 newer ones arrive after each page and "
        f"review {first_page[-1] if first_page else '?'} (the end of page 1) is deleted",
    )


@check(
    "A cursor behind 20 000 newer reviews still finds the next reviews, reading few rows",
    points=4,
    rules=["R5.7", "R7.5"],
    alone=True,
    hint="A keyset cursor is a position in the sort order, not a count: 20 000 reviews added in front of it "
    "change nothing for the next page, which the index (book_id, created_at, id) reads directly.",
)
def test_deep_cursor(api, pgproxy, db, big_book):  # alone: the proxy counts every check's statements
    path = f"/books/{big_book.big_book_id}/reviews"
    with pgproxy.measure() as m:
        started = time.monotonic()
        response = api.get(path, params={"limit": 20, "cursor": big_book.deep_cursor})
        elapsed = time.monotonic() - started
    items, cursor = page(response)
    got = [item["id"] for item in items]
    expect(
        got == big_book.deep_expected and cursor is None,
        f"{describe(response)}: a cursor made after the 2 newest of 5 reviews, before 20 000 newer ones "
        "were added, should lead to the 3 older reviews, and be the last page.",
        expected=f"{big_book.deep_expected}, next_cursor null",
        actual=f"{got[:6]}, next_cursor {cursor!r}",
        response=response,
    )
    touching = [a for a in analyse(db, m) if a.touches("reviews")]
    rows = sum(a.rows_read("reviews") for a in touching)
    if touching and rows > ROWS_READ_MAX:
        worst = max(touching, key=lambda a: a.rows_read("reviews"))
        fail(
            f"{describe(response)}: your queries read {rows} rows of reviews: "
            f"{short_sql(worst.statement.sql)} "
            f"→ {worst.summary('reviews')}.",
            expected=f"at most {ROWS_READ_MAX}",
            actual=f"{rows} rows",
            response=response,
        )
    expect(
        elapsed <= SECONDS_MAX,
        f"{describe(response)} took {elapsed:.2f} s.",
        expected=f"at most {SECONDS_MAX:g} s",
        actual=f"{elapsed:.2f} s",
        response=response,
    )


@check(
    "A cursor the app did not issue answers 400 (or 422), never 500",
    points=2,
    rules=["R5.8"],
    hint="Decode and validate the cursor (types, ranges) before using it: a bad one is the client's error.",
)
def test_bad_cursor(api):
    book_id = new_book(api, new_author(api))["id"]
    for _ in range(3):
        new_review(api, book_id)
    _, real = page(api.get(f"/books/{book_id}/reviews", params={"limit": 1}))
    bad = ["garbage", "!!!", "eyJ0IjoiMjAyNCJ9", "e30", "bnVsbA", "W10", "\x00", "a" * 300]
    if real is not None:  # cut short: no longer a cursor the app made
        bad.append(real[: len(real) // 2])
    for path in ("/books", f"/books/{book_id}/reviews"):
        for cursor in bad:
            response = api.get(path, params={"cursor": cursor})
            expect(
                response.status_code in (400, 422),
                f"{describe(response)}: expected 400 (or 422) for a cursor the app did not issue, "
                f"got {response.status_code}.",
                expected="400",
                actual=str(response.status_code),
                response=response,
            )


@check(
    "limit: 1 to 100 accepted on both lists, 20 by default; 0, 101 and non-numbers answer 422",
    points=2,
    rules=["R5.4"],
    hint="Query(ge=1, le=100) with a default of 20, on GET /books and GET /books/{id}/reviews alike: both "
    "ends are included (limit=100 is fine).",
)
def test_limits(api, db):
    author_id = new_author(api)
    insert_books(db, author_id, 25)
    book_id = new_book(api, author_id)["id"]
    db.execute(
        "INSERT INTO reviews (book_id, rating, body, created_at)"
        " SELECT %s, 4, 'r' || n, now() - n * interval '1 second' FROM generate_series(1, 25) n",
        [book_id],
    )
    lists = (("/books", {"author_id": author_id}, 26), (f"/books/{book_id}/reviews", {}, 25))
    for path, params, total in lists:
        for limit, size, more in ((None, 20, True), (100, total, False), (1, 1, True), (25, 25, total > 25)):
            query = params if limit is None else {**params, "limit": limit}
            response = api.get(path, params=query)
            items, cursor = page(response)
            expect(
                len(items) == size and (cursor is not None) == more,
                f"{describe(response)} on a list of {total}: expected {size} items and "
                + ("a next_cursor." if more else "next_cursor null."),
                expected=f"{size} items, next_cursor {'set' if more else 'null'}",
                actual=f"{len(items)} items, next_cursor {cursor!r}",
                response=response,
            )
        for limit in ("0", "101", "-1", "ten"):
            response = api.get(path, params={**params, "limit": limit})
            expect(
                response.status_code == 422,
                f"{describe(response)}: expected 422, got {response.status_code}.",
                expected="422",
                actual=str(response.status_code),
                response=response,
            )
