"""Fixtures of the lab04 suite.

The app talks to the run's database through a statement-counting proxy (grader.pgproxy) that the
suite runs on 127.0.0.1: `app_env` points the app's DATABASE_URL at it, with the same user,
password and database. The suite's own SQL (catalog reads, seeding, EXPLAIN) goes straight to
`database_url`. The large tables are seeded once, directly, when a check first needs them.

Checks run side by side, so the proxy sees every check's statements: the checks that count
statements or time a request (performance, the deep cursor) run alone. The migrations' round trip
runs in schemas of its own (test_migrations.py), never on the tables the other checks use.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import httpx
import psycopg
import pytest
from lab04_api import new_book, new_review, page
from lab04_db import SchemaProxy, Scratch, Seeded, seed_catalog, seed_reviews
from psycopg import sql

from grader.checks import CheckFailed, SetupFailed, setup_failed
from grader.runners.base import RunningApp

# The report follows the contract; the migrations go last because they take the schema down.
ORDER = [
    "resources",
    "schema",
    "integrity",
    "indexes",
    "performance",
    "pagination",
    "transactions",
    "injection",
    "migrations",
]


@pytest.fixture(scope="session")
def app_env(pgproxy_env: dict[str, str]) -> dict[str, str]:
    """The app reaches the database through the plugin's `pgproxy`."""
    return pgproxy_env


@pytest.fixture(scope="session")
def new_scratch(
    database_url: str, expose: Callable[[int], str]
) -> Callable[[], AbstractContextManager[Scratch]]:
    """new_scratch(): a fresh, empty schema of the run's database (dropped afterwards) that the app's
    commands and instances see as their whole database, through a SchemaProxy."""

    @contextlib.contextmanager
    def make() -> Iterator[Scratch]:
        schema = f"grader_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(database_url, autocommit=True, connect_timeout=5) as db:
            db.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        proxy = SchemaProxy.for_url(database_url, schema=schema).start()
        try:
            app_url = proxy.url(database_url, hostport=expose(proxy.port))
            yield Scratch(schema, {"DATABASE_URL": app_url}, database_url)
        finally:
            proxy.stop()
            with psycopg.connect(database_url, autocommit=True, connect_timeout=5) as db:
                db.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))

    return make


@pytest.fixture
def scratch(new_scratch: Callable[[], AbstractContextManager[Scratch]]) -> Iterator[Scratch]:
    """A fresh, empty schema for one check."""
    with new_scratch() as made:
        yield made


@pytest.fixture(scope="session")
def run_tag() -> str:
    return uuid.uuid4().hex[:6]


@pytest.fixture(scope="session")
def seeded(app: RunningApp, database_url: str, run_tag: str) -> Seeded:
    """10 000 books of 500 authors and 500 tags, added in the database directly, then ANALYZE."""
    try:
        with psycopg.connect(database_url, autocommit=True, connect_timeout=5) as db:
            started = time.monotonic()
            data = seed_catalog(db, run_tag)
            db.execute("ANALYZE authors, tags, books, book_tags")
            data.seed_seconds = time.monotonic() - started
            return data
    except psycopg.Error as exc:
        setup_failed(
            f"The grader could not fill the contract's tables (authors, tags, books, book_tags): "
            f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}",
            cause="the large tables could not be seeded",
            hint="The grader writes authors(name), tags(name), books(title, isbn, author_id, "
            "published_year) and book_tags(book_id, tag_id) directly: compare your migrations with the "
            "contract's tables.",
            expected="the tables and columns of the contract, built by your migrations",
        )


@pytest.fixture(scope="session")
def big_book(seeded: Seeded, app: RunningApp, database_url: str) -> Seeded:
    """A book with 5 reviews written through the API and a cursor after the first 2, then 20 000
    newer reviews added directly: that cursor now sits behind all of them."""
    with httpx.Client(base_url=app.base_url, timeout=10) as client:
        try:
            book_id = new_book(client, seeded.author_id, title="The big book")["id"]
            written = [
                new_review(client, book_id, rating=1 + i % 5, body=f"early review {i}")["id"]
                for i in range(5)
            ]
            first, cursor = page(client.get(f"/books/{book_id}/reviews", params={"limit": 2}))
        except SetupFailed:
            raise
        except CheckFailed as exc:
            setup_failed(
                f"The grader could not prepare a book with reviews: {exc.message}",
                cause="GET /books/{id}/reviews?limit=2 did not answer a page",
                hint="The checks about listing reviews say what is wrong with it.",
            )
        if cursor is None or len(first) != 2:
            setup_failed(
                f"GET /books/{book_id}/reviews?limit=2 on a book with 5 reviews: expected 2 reviews and a "
                "next_cursor, to prepare the large table.",
                cause="GET /books/{id}/reviews?limit=2 did not answer a page",
                hint="The checks about listing reviews say what is wrong with it.",
                actual=f"{len(first)} items, next_cursor {cursor!r}",
            )
    seen = {item["id"] for item in first}
    try:
        with psycopg.connect(database_url, autocommit=True, connect_timeout=5) as db:
            seed_reviews(db, book_id)
            db.execute("ANALYZE reviews")
    except psycopg.Error as exc:
        setup_failed(
            f"The grader could not add reviews to the reviews table: {str(exc).strip().splitlines()[0]}",
            cause="the reviews table could not be seeded",
            hint="The grader writes reviews(book_id, rating, body, created_at) directly: compare your "
            "migrations with the contract's tables.",
        )
    seeded.big_book_id = book_id
    seeded.deep_cursor = cursor
    seeded.deep_expected = [review for review in sorted(written, reverse=True) if review not in seen]
    return seeded
