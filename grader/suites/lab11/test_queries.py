"""Queries and mutations"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lab11_gql import CREATE_BOOK, PUBLISHED, gql, new_author, new_book, unique

from grader.checks import check, expect

AUTHOR = "query($id: ID!) { author(id: $id) { id name createdAt books { id title } } }"
BOOK = (
    "query($id: ID!) { book(id: $id) { id title subtitle genre publishedAt createdAt author { id name } } }"
)


def instant(value: object) -> datetime | None:
    """An ISO 8601 date-time with an offset, or None."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


@check(
    "createAuthor stores the name and email as given and returns the author with a new id",
    points=2,
    rules=["R3.1"],
    hint="Insert the row with input.name and input.email, untouched, and return what the database "
    "stored, with its id as a string (ID).",
)
def test_create_author(api):
    name = "  " + unique("Ursula K. Le Guin") + " "
    email = unique("ursula").replace(" ", ".") + "@example.com"
    answer = gql(
        api,
        "mutation($i: NewAuthor!) { createAuthor(input: $i) { id name } }",
        {"i": {"name": name, "email": email}},
    )
    made = answer.ok().get("createAuthor") or {}
    expect(
        isinstance(made.get("id"), str) and made.get("name") == name,
        f"{answer.sent}: expected the new author with its id and the name as given.",
        expected={"id": "...", "name": name},
        actual=made,
        response=answer.response,
    )
    query = "query($id: ID!) { author(id: $id) { id name email } }"
    again = gql(api, query, {"id": made["id"]}, token=made["id"])
    want = {"id": made["id"], "name": name, "email": email}
    expect(
        again.ok().get("author") == want,
        f"{again.sent} as that author: expected the author just stored, email as given.",
        expected=want,
        actual=again.data.get("author"),
        response=again.response,
    )
    other = new_author(api)
    expect(other["id"] != made["id"], "Two authors got the same id.", expected="two ids", actual=other["id"])


@check(
    "createBook stores the book of the token's author and returns it (subtitle null when not given)",
    points=3,
    rules=["R3.2"],
    hint="Insert title, subtitle, genre and publishedAt from the input, with the author the bearer token "
    "names; Book.author resolves that author.",
)
def test_create_book(api):
    author = new_author(api)
    for genre, subtitle in (("POETRY", "A subtitle"), ("NONFICTION", None)):
        book = {"title": unique("Book"), "genre": genre, "publishedAt": PUBLISHED}
        if subtitle is not None:
            book["subtitle"] = subtitle
        answer = gql(api, CREATE_BOOK, {"input": book}, token=author["id"])
        made = answer.ok().get("createBook") or {}
        want = {
            "title": book["title"],
            "subtitle": subtitle,
            "genre": genre,
            "author": {"id": author["id"], "name": author["name"]},
        }
        got = {key: made.get(key) for key in want}
        expect(
            got == want and isinstance(made.get("id"), str),
            f"{answer.sent}: expected the book as given.",
            expected=want,
            actual=got,
            response=answer.response,
        )
        stored = gql(api, BOOK, {"id": made["id"]}).ok().get("book") or {}
        expect(
            {key: stored.get(key) for key in want} == want,
            f"book(id: {made['id']!r}): expected the book just stored.",
            expected=want,
            actual=stored,
        )


@check(
    "author(id:) and book(id:) find by id, and answer null without an error for an unknown id",
    points=2,
    rules=["R3.3"],
    hint="An id that names nothing is not an error: return None from the resolver (the field is "
    "nullable), for ids that are not numbers too.",
)
def test_lookup_by_id(api):
    author = new_author(api)
    book = new_book(api, author["id"])
    found = gql(api, BOOK, {"id": book["id"]}).ok().get("book") or {}
    expect(
        found.get("title") == book["title"],
        f"book(id: {book['id']!r}): expected that book.",
        expected=book["title"],
        actual=found,
    )
    for unknown in ("999999999", "0", "-1", "not-an-id"):
        for query, name in ((AUTHOR, "author"), (BOOK, "book")):
            answer = gql(api, query, {"id": unknown})
            data = answer.ok()
            expect(
                data.get(name) is None,
                f"{answer.sent}: expected {name}: null for an id that names none.",
                expected=None,
                actual=data.get(name),
                response=answer.response,
            )


@check(
    "Author.books lists the author's books, the most recently created first",
    points=2,
    rules=["R3.4"],
    hint="Select the author's books ordered newest first (ORDER BY id DESC, or created_at DESC, id DESC), "
    "and only theirs.",
)
def test_author_books(api):
    author, other = new_author(api), new_author(api)
    titles = [new_book(api, author["id"])["title"]]
    # read once before adding more: a list remembered between requests (a loader cache that outlives
    # its request) shows here as books missing from the second read
    for more in (0, 2):
        titles += [new_book(api, author["id"])["title"] for _ in range(more)]
        new_book(api, other["id"])
        answer = gql(api, AUTHOR, {"id": author["id"]})
        books = [b.get("title") for b in (answer.ok().get("author") or {}).get("books") or []]
        expect(
            books == titles[::-1],
            f"{answer.sent}: expected the author's {len(titles)} books, newest first"
            + (" (read again after two more were added)" if len(titles) > 1 else "")
            + ".",
            expected=titles[::-1],
            actual=books,
            response=answer.response,
        )


@check(
    "Every DateTime is ISO 8601 with a UTC offset; createdAt is the time of creation",
    points=2,
    rules=["R3.5"],
    hint="Serialise datetimes with isoformat() on an aware datetime (timestamptz columns give one): "
    "2026-05-17T08:00:00+00:00. A naive datetime has no offset, and a number is not ISO 8601.",
)
def test_datetimes_are_iso(api):
    before = datetime.now(UTC)
    author = new_author(api)
    book = new_book(api, author["id"])
    after = datetime.now(UTC)
    window = timedelta(seconds=60)
    for what, value in (
        ("Author.createdAt", author.get("createdAt")),
        ("Book.createdAt", book.get("createdAt")),
        ("Book.publishedAt", book.get("publishedAt")),
    ):
        expect(
            instant(value) is not None,
            f"createAuthor / createBook: {what} is not ISO 8601 with an offset.",
            expected="like 2026-05-17T08:00:00+00:00",
            actual=value,
        )
    for what, value in (("Author.createdAt", author["createdAt"]), ("Book.createdAt", book["createdAt"])):
        at = instant(value)
        expect(
            at is not None and before - window <= at <= after + window,
            f"{what} is {value}, not the time the row was created ({before.isoformat(timespec='seconds')}).",
            expected=f"within a minute of {before.isoformat(timespec='seconds')}",
            actual=value,
        )


@check(
    "publishedAt comes back as the instant given, and one without an offset is refused",
    points=2,
    rules=["R3.6"],
    hint="Parse publishedAt as an ISO 8601 date-time and refuse one without an offset (which instant "
    "would it be?); store it in a timestamptz column, which keeps the instant.",
)
def test_published_at(api):
    author = new_author(api)
    given = "1999-12-31T23:30:00-05:00"
    book = new_book(api, author["id"], publishedAt=given)
    expect(
        instant(book.get("publishedAt")) == datetime.fromisoformat(given),
        f"createBook with publishedAt {given}: expected the same instant back.",
        expected=f"{given} (or 2000-01-01T04:30:00Z)",
        actual=book.get("publishedAt"),
    )
    for bad in ("2020-05-17T10:00:00", "17/05/2020", "yesterday"):
        title = unique("Undated")
        answer = gql(
            api,
            CREATE_BOOK,
            {"input": {"title": title, "genre": "FICTION", "publishedAt": bad}},
            token=author["id"],
            statuses=(200, 400),
        )
        expect(
            answer.errors and not (answer.data or {}).get("createBook"),
            f"{answer.sent}: expected an error and no book.",
            expected="errors, createBook absent or null",
            actual=answer.response.text[:120],
            response=answer.response,
        )
        found = gql(api, "query($t: String!) { search(text: $t) { __typename } }", {"t": title}).ok()
        expect(
            found.get("search") == [],
            f"createBook with publishedAt {bad!r} was refused, yet the book was stored.",
            expected=[],
            actual=found.get("search"),
        )


SEARCH = """query($t: String!) { search(text: $t) {
  __typename ... on Node { id createdAt } ... on Author { name } ... on Book { title } } }"""


@check(
    "search(text:) finds authors by name and books by title, authors first, each oldest first",
    points=3,
    rules=["R3.7"],
    hint="Match with ILIKE '%' || text || '%' after escaping \\, % and _ (or position(lower(text) in "
    "lower(title)) > 0), authors then books, each ORDER BY id; return the objects, the union's resolver "
    "tells their types apart.",
)
def test_search(api):
    tag = "zq" + unique("x").split()[1][:8]
    first = new_author(api, f"First {tag.upper()} author")
    second = new_author(api, f"second {tag} author")
    book_one = new_book(api, first["id"], title=f"{tag} one")
    book_two = new_book(api, second["id"], title=f"The {tag.upper()} two")
    new_book(api, second["id"], title=f"100% {tag[:4]}%{tag[5:]}")
    answer = gql(api, SEARCH, {"t": tag})
    got = answer.ok().get("search")
    want = [
        {"__typename": "Author", "id": first["id"], "name": first["name"]},
        {"__typename": "Author", "id": second["id"], "name": second["name"]},
        {"__typename": "Book", "id": book_one["id"], "title": book_one["title"]},
        {"__typename": "Book", "id": book_two["id"], "title": book_two["title"]},
    ]
    trimmed = [
        {k: v for k, v in item.items() if k != "createdAt"} for item in got or [] if isinstance(item, dict)
    ]
    expect(
        trimmed == want,
        f"{answer.sent}: expected 2 authors then 2 books, each oldest first.",
        expected=want,
        actual=trimmed,
        response=answer.response,
    )
    expect(
        all(instant(item.get("createdAt")) for item in got),
        f"{answer.sent}: `... on Node {{ createdAt }}` should apply to authors and books.",
        expected="createdAt on every result",
        actual=got,
    )
    for pattern in ("%", "_"):
        wild = f"{tag[:4]}{pattern}{tag[5:]}"
        answer = gql(api, SEARCH, {"t": wild})
        titles = [i.get("title") or i.get("name") for i in answer.ok().get("search") or []]
        want_titles = [f"100% {tag[:4]}%{tag[5:]}"] if pattern == "%" else []
        expect(
            titles == want_titles,
            f"{answer.sent}: {pattern!r} is a plain character, not a wildcard.",
            expected=want_titles,
            actual=titles,
            response=answer.response,
        )
