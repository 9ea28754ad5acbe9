"""Cursor connections"""

from __future__ import annotations

from lab11_gql import Answer, gql, new_author, new_book

from grader.checks import check, expect

PAGE = """query($a: ID, $first: Int!, $after: String) { books(authorId: $a, first: $first, after: $after) {
  edges { cursor node { id title } } pageInfo { hasNextPage endCursor } } }"""
DEFAULT = "query($a: ID) { books(authorId: $a) { edges { node { title } } pageInfo { hasNextPage } } }"


def page(api, author: str, first: int, after: str | None = None) -> tuple[Answer, list[str], dict]:
    answer = gql(api, PAGE, {"a": author, "first": first, "after": after})
    books = answer.ok().get("books") or {}
    edges = [e for e in books.get("edges") or [] if isinstance(e, dict)]
    titles = [(e.get("node") or {}).get("title") for e in edges]
    info = dict(books.get("pageInfo") or {})
    info["cursors"] = [e.get("cursor") for e in edges]
    return answer, titles, info


def shelf(api, n: int) -> tuple[str, list[str]]:
    """A new author with n books; their titles newest first."""
    author = new_author(api)["id"]
    return author, [new_book(api, author)["title"] for _ in range(n)][::-1]


@check(
    "books: newest first, `first` of them (10 by default), each edge with a cursor, pageInfo right",
    points=3,
    rules=["R6.1"],
    hint="ORDER BY id DESC LIMIT first + 1: the extra row tells hasNextPage without a COUNT; endCursor "
    "is the last edge's cursor, null on an empty page.",
)
def test_first_page(api):
    author, titles = shelf(api, 12)
    answer, got, info = page(api, author, 3)
    expect(
        got == titles[:3],
        f"{answer.sent}: expected the author's 3 newest books.",
        expected=titles[:3],
        actual=got,
        response=answer.response,
    )
    cursors = info["cursors"]
    expect(
        all(isinstance(c, str) and c for c in cursors) and len(set(cursors)) == 3,
        f"{answer.sent}: every edge needs its own cursor.",
        expected="3 different strings",
        actual=cursors,
    )
    expect(
        info.get("hasNextPage") is True and info.get("endCursor") == cursors[-1],
        f"{answer.sent}: 9 more books follow: hasNextPage true, endCursor the last edge's cursor.",
        expected={"hasNextPage": True, "endCursor": cursors[-1]},
        actual={k: info.get(k) for k in ("hasNextPage", "endCursor")},
        response=answer.response,
    )
    answer = gql(api, DEFAULT, {"a": author})
    got = [(e.get("node") or {}).get("title") for e in (answer.ok().get("books") or {}).get("edges") or []]
    expect(
        got == titles[:10],
        f"{answer.sent}: without `first`, expected the 10 newest.",
        expected=titles[:10],
        actual=got,
        response=answer.response,
    )
    nobody = new_author(api)["id"]
    answer, got, info = page(api, nobody, 5)
    expect(
        got == [] and info.get("hasNextPage") is False and info.get("endCursor") is None,
        f"{answer.sent} for an author without books: expected no edges, hasNextPage false, endCursor null.",
        expected={"edges": [], "hasNextPage": False, "endCursor": None},
        actual={"edges": got, "hasNextPage": info.get("hasNextPage"), "endCursor": info.get("endCursor")},
        response=answer.response,
    )


@check(
    "Following endCursor visits every book once, in order; a page ending on the last book says so",
    points=3,
    rules=["R6.2"],
    hint="after: a cursor means 'the books older than that edge': WHERE id < decoded cursor. On a "
    "page that holds exactly the last books, the LIMIT first + 1 query finds no extra row.",
)
def test_walk_pages(api):
    author, titles = shelf(api, 6)
    for first in (2, 3, 4):
        seen, after, pages = [], None, 0
        while pages < 6:
            answer, got, info = page(api, author, first, after)
            seen += got
            pages += 1
            if not info.get("hasNextPage"):
                break
            after = info.get("endCursor")
        expect(
            seen == titles,
            f"Walking the author's 6 books {first} at a time: expected each once, newest first.",
            expected=titles,
            actual=seen,
            response=answer.response,
        )
        expect(
            pages == -(-6 // first),
            f"Walking 6 books {first} at a time took {pages} pages: the last page "
            "must say hasNextPage false.",
            expected=-(-6 // first),
            actual=pages,
            response=answer.response,
        )


@check(
    "A cursor stays right when books are created after it was given",
    points=3,
    rules=["R6.3"],
    hint="An offset cursor (skip 2) shifts when a row is added in front; a keyset cursor (the id of the "
    "last edge) does not.",
)
def test_stable_under_inserts(api):
    author, titles = shelf(api, 5)
    answer, first, info = page(api, author, 2)
    expect(
        first == titles[:2], f"{answer.sent}: expected the 2 newest books.", expected=titles[:2], actual=first
    )
    newer = [new_book(api, author)["title"] for _ in range(3)]
    answer, second, _ = page(api, author, 2, info.get("endCursor"))
    expect(
        second == titles[2:4],
        f"{answer.sent}: 3 books were created after page 1; page 2 must still be the 2 books after page 1.",
        expected=titles[2:4],
        actual=second,
        response=answer.response,
    )
    expect(
        not set(second) & set(newer),
        f"{answer.sent}: the newer books do not belong after that cursor.",
        expected=titles[2:4],
        actual=second,
    )


@check(
    "first may be 1 to 50: 50 answers, 0, -1 and 51 are refused with BAD_USER_INPUT",
    points=3,
    rules=["R6.4"],
    hint="Check `first` before querying and raise a GraphQLError with extensions.code BAD_USER_INPUT; "
    "a client must never be able to ask for a million rows.",
)
def test_page_size_limits(api):
    author, titles = shelf(api, 2)
    for first in (1, 50):
        answer, got, _ = page(api, author, first)
        expect(
            got == titles[:first],
            f"{answer.sent}: first = {first} is allowed.",
            expected=titles[:first],
            actual=got,
            response=answer.response,
        )
    for first in (0, -1, 51, 1000):
        answer = gql(api, PAGE, {"a": author, "first": first})
        error = answer.refused("BAD_USER_INPUT")
        expect(
            error.get("path") == ["books"] and not (answer.data or {}).get("books"),
            f"{answer.sent}: first = {first} must be refused on books.",
            expected="path ['books'], no books",
            actual=error,
            response=answer.response,
        )


@check(
    "An `after` the API did not give is refused with BAD_USER_INPUT",
    points=2,
    rules=["R6.5"],
    hint="Decode the cursor defensively (base64, a prefix, a number) and refuse anything else with "
    "BAD_USER_INPUT, not an internal error and not the first page.",
)
def test_bad_cursor(api):
    author, _ = shelf(api, 1)
    for cursor in ("not a cursor", "", "Ym9vazp4", "9999"):
        answer = gql(api, PAGE, {"a": author, "first": 2, "after": cursor})
        answer.refused("BAD_USER_INPUT")
