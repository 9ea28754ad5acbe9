"""In-memory storage: dictionaries of dataclasses, ids from counters.

CONCURRENCY, READ BEFORE CHANGING A ROUTE: the store has no lock, and that is safe for three reasons
only. (1) The app is one process (`uvicorn` without `--workers`), serving requests on one event loop.
(2) Every route that touches the store is `async def`, so it runs on that loop, never in a thread.
(3) No route awaits between a read and the write that depends on it (the ISBN check and the insert,
the If-Match check and the update, "has no books" and the delete): a coroutine is only interrupted at
an `await`, so no other request can run inside a read-check-write. Break any of the three (an
`await` in such a route, a `def` route, a second worker) and two requests can both pass a check:
then guard each read-check-write with an asyncio.Lock (a threading.Lock for `def` routes), or move
to a database that enforces the rules itself (unique constraints, transactions), as lab04 does.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Author:
    id: int
    name: str
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)


@dataclass
class Book:
    id: int
    title: str
    isbn: str
    year: int
    author_id: int
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)


SORT_KEYS = {"id", "title", "year"}


class Store:
    def __init__(self) -> None:
        self.authors: dict[int, Author] = {}
        self.books: dict[int, Book] = {}
        self._author_ids = count(1)
        self._book_ids = count(1)

    # authors
    def add_author(self, name: str) -> Author:
        author = Author(id=next(self._author_ids), name=name)
        author.updated_at = author.created_at
        self.authors[author.id] = author
        return author

    def has_books(self, author_id: int) -> bool:
        return any(book.author_id == author_id for book in self.books.values())

    # books
    def add_book(self, *, title: str, isbn: str, year: int, author_id: int) -> Book:
        book = Book(id=next(self._book_ids), title=title, isbn=isbn, year=year, author_id=author_id)
        book.updated_at = book.created_at
        self.books[book.id] = book
        return book

    def isbn_owner(self, isbn: str) -> int | None:
        return next((book.id for book in self.books.values() if book.isbn == isbn), None)

    def find_books(self, *, author_id: int | None, year: int | None, sort: str) -> list[Book]:
        books: Iterable[Book] = self.books.values()
        if author_id is not None:
            books = (b for b in books if b.author_id == author_id)
        if year is not None:
            books = (b for b in books if b.year == year)
        key = sort.removeprefix("-")
        # Sort by id first: Python's sort is stable, so equal keys then stay in id order, also when
        # sorting in reverse (reverse=True keeps equal items in their original order).
        by_id = sorted(books, key=lambda b: b.id)
        return sorted(by_id, key=lambda b: getattr(b, key), reverse=sort.startswith("-"))


def update(entity: Author | Book, changes: dict[str, object]) -> None:
    for name, value in changes.items():
        setattr(entity, name, value)
    entity.updated_at = now()


store = Store()


def get_store() -> Store:
    return store
