"""Query performance: statements per request, rows read

These checks run alone: the proxy counts the statements of every request that reaches the app, and a
request's time means something only when no other check is loading the machine.
"""

from __future__ import annotations

import time

from lab04_api import new_author, new_tag, page
from lab04_db import ROWS_READ_MAX, SECONDS_MAX, Analysed, analyse, insert_books, short_sql

from grader.checks import check, describe, expect, fail
from grader.pgproxy import Measurement, expect_bounded, fewest

STATEMENTS_MAX = 10


def _timed_get(api, pgproxy, path: str, params: dict) -> tuple:
    with pgproxy.measure() as m:
        started = time.monotonic()
        response = api.get(path, params=params)
        elapsed = time.monotonic() - started
    return response, m, elapsed


def _report(analysed: list[Analysed], table: str) -> tuple[int, str]:
    """Rows the request read from `table`, and the worst statement with its plan, for the message."""
    touching = [a for a in analysed if a.touches(table)]
    if not touching:
        unreplayed = [a for a in analysed if a.plan is None and a.error != "not a replayable read"]
        why = f" ({unreplayed[0].error})" if unreplayed else ""
        return -1, f"no query of the request read {table} when replayed{why}"
    worst = max(touching, key=lambda a: a.rows_read(table))
    return sum(a.rows_read(table) for a in touching), (
        f"{short_sql(worst.statement.sql)} → {worst.summary(table)}, {worst.rows_read(table)} rows read"
    )


def _expect_few_rows(db, m: Measurement, response, elapsed: float, table: str, total: int) -> None:
    expect(
        m.complete,
        "The request ran too many statements for the grader to keep them all.",
        actual=f"{m.count} statements",
    )
    rows, detail = _report(analyse(db, m), table)
    if rows < 0:
        fail(
            f"{describe(response)}: the grader replayed the statements your app sent and none of them read "
            f"{table}.",
            expected=f"a query on {table}",
            actual=detail,
            response=response,
        )
    expect(
        rows <= ROWS_READ_MAX,
        f"{describe(response)}: your queries read {rows} rows of {table} ({total} in the table): {detail}.",
        expected=f"at most {ROWS_READ_MAX} rows read",
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
    "Listing books with their author and tags runs the same few statements for 2 books as for 25 (no N+1)",
    points=5,
    rules=["R7.1"],
    alone=True,
    hint="Touching book.author or book.tags on each book of a page makes the ORM run one query per book. "
    "Load the relations with the page: selectinload(Book.author), selectinload(Book.tags) (or a join).",
)
def test_no_n_plus_one(api, pgproxy, db):
    tags = [new_tag(api) for _ in range(3)]
    tag_ids = [row[0] for row in db.execute("SELECT id FROM tags WHERE name = ANY(%s) ORDER BY id", [tags])]
    pairs = [[tag_ids[i % 3], tag_ids[(i + 1) % 3]] for i in range(3)]
    small, large = new_author(api), new_author(api)
    insert_books(db, small, 2, pairs)
    insert_books(db, large, 25, pairs)
    counts = {}
    for author, want in ((small, 2), (large, 25)):
        params = {"author_id": author, "limit": 100}
        response, statements = fewest(pgproxy, lambda params=params: api.get("/books", params=params))
        items, _ = page(response)
        expect(
            len(items) == want,
            f"{describe(response)}: expected {want} books.",
            expected=want,
            actual=len(items),
            response=response,
        )
        expect(
            all(isinstance(i.get("author"), dict) and len(i.get("tags") or []) == 2 for i in items),
            f"{describe(response)}: every book should come with its author and its 2 tags.",
            actual=str(items[0])[:160],
            response=response,
        )
        counts[want] = statements
    expect_bounded(
        "GET /books?author_id=...", ("2 books", counts[2]), ("25 books", counts[25]), STATEMENTS_MAX
    )


@check(
    "A title search on 10 000 books reads only the matching rows (an index serves it)",
    points=4,
    rules=["R7.2"],
    alone=True,
    hint="The grader replays your app's own query with EXPLAIN ANALYZE. A LIKE 'abc%' can use the "
    "text_pattern_ops index; lower(title) LIKE, ILIKE, or a pattern built in SQL around the value "
    "cannot: pass the escaped prefix followed by % as one parameter, or use the column's startswith().",
)
def test_title_search_reads_few_rows(api, pgproxy, db, seeded):
    response, m, elapsed = _timed_get(api, pgproxy, "/books", {"title_prefix": seeded.title_prefix})
    items, _ = page(response)
    expect(
        len(items) == seeded.title_matches,
        f"{describe(response)}: expected {seeded.title_matches} books.",
        expected=seeded.title_matches,
        actual=len(items),
        response=response,
    )
    _expect_few_rows(db, m, response, elapsed, "books", seeded.books)


@check(
    "An author's books on 10 000 books: only their rows are read",
    points=3,
    rules=["R7.3"],
    alone=True,
    hint="The grader replays your app's query with EXPLAIN ANALYZE: with an index on books (author_id) "
    "and a plain WHERE author_id = ..., PostgreSQL reads the author's 20 rows, not the table.",
)
def test_author_filter_reads_few_rows(api, pgproxy, db, seeded):
    response, m, elapsed = _timed_get(api, pgproxy, "/books", {"author_id": seeded.author_id})
    items, _ = page(response)
    expect(
        len(items) == 20,
        f"{describe(response)}: expected the author's 20 books.",
        expected=20,
        actual=len(items),
        response=response,
    )
    _expect_few_rows(db, m, response, elapsed, "books", seeded.books)


@check(
    "A tag's books on 10 000 books: only their rows and their links are read",
    points=3,
    rules=["R7.4"],
    alone=True,
    hint="Find the tag by name (unique index), its links through an index on book_tags (tag_id) and the "
    "books by primary key; a query that filters the books in Python, or reads every link, reads whole "
    "tables.",
)
def test_tag_filter_reads_few_rows(api, pgproxy, db, seeded):
    response, m, elapsed = _timed_get(api, pgproxy, "/books", {"tag": seeded.tag_name})
    items, _ = page(response)
    expect(
        len(items) == 20,
        f"{describe(response)}: expected the tag's 20 books.",
        expected=20,
        actual=len(items),
        response=response,
    )
    _expect_few_rows(db, m, response, elapsed, "books", seeded.books)
    _expect_few_rows(db, m, response, elapsed, "book_tags", seeded.books)


@check(
    "A page of a book with 20 000 reviews reads only that page's rows",
    points=3,
    rules=["R7.5"],
    alone=True,
    hint="The grader replays your app's query with EXPLAIN ANALYZE: ORDER BY created_at DESC, id DESC "
    "LIMIT n on an index (book_id, created_at, id) stops after n rows; no OFFSET, no COUNT(*) of the "
    "book's reviews, no loading them all to slice in Python.",
)
def test_review_page_reads_few_rows(api, pgproxy, db, big_book):
    path = f"/books/{big_book.big_book_id}/reviews"
    response, m, elapsed = _timed_get(api, pgproxy, path, {"limit": 20})
    items, cursor = page(response)
    expect(
        len(items) == 20 and cursor,
        f"{describe(response)}: expected 20 reviews and a next_cursor.",
        actual=f"{len(items)} items, next_cursor {cursor!r}",
        response=response,
    )
    _expect_few_rows(db, m, response, elapsed, "reviews", 20005)
    response, m, elapsed = _timed_get(api, pgproxy, path, {"limit": 20, "cursor": cursor})
    items, _ = page(response)
    expect(
        len(items) == 20,
        f"{describe(response)}: expected the second page of 20 reviews.",
        actual=f"{len(items)} items",
        response=response,
    )
    _expect_few_rows(db, m, response, elapsed, "reviews", 20005)
