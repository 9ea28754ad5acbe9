"""No N+1 queries: statements per request

These checks run alone: the proxy between the app and PostgreSQL counts every statement it relays,
so no other check may send requests meanwhile.
"""

from __future__ import annotations

from lab11_gql import gql, new_author, new_book

from grader.checks import check, expect
from grader.pgproxy import expect_bounded, fewest

NESTED = """query($n: Int!) { books(first: $n) { edges { node {
  title author { name books { title } } } } } }"""


@check(
    "books(first: N) with each book's author and the author's books: the same few statements for 2 and 20",
    points=5,
    rules=["R5.1"],
    alone=True,
    budget=40,
    hint="Resolve Book.author and Author.books through DataLoaders made per request: each collects "
    "the ids asked for by every edge and loads them in one statement (WHERE id = ANY(%s)).",
)
def test_nested_lists(api, pgproxy):
    authors = [new_author(api) for _ in range(20)]
    books = [new_book(api, author["id"]) for author in authors]
    counts = {}
    for n in (2, 20):
        answer, statements = fewest(pgproxy, lambda n=n: gql(api, NESTED, {"n": n}))
        edges = ((answer.ok().get("books") or {}).get("edges")) or []
        want = [(b["title"], a["name"]) for a, b in zip(authors, books, strict=True)][::-1][:n]
        got = [
            ((e.get("node") or {}).get("title"), ((e.get("node") or {}).get("author") or {}).get("name"))
            for e in edges
            if isinstance(e, dict)
        ]
        expect(
            got == want,
            f"{answer.sent} with n = {n}: expected the {n} newest books with their authors.",
            expected=want[:2],
            actual=got[:2],
            response=answer.response,
        )
        expect(
            all(len(((e["node"]["author"]) or {}).get("books") or []) == 1 for e in edges),
            f"{answer.sent}: every author should list their one book.",
            actual=str(edges[:1])[:160],
        )
        counts[n] = statements
    expect_bounded(
        "books(first: N) { ... author { name books { title } } }",
        ("N = 2", counts[2]),
        ("N = 20", counts[20]),
        6,
    )


@check(
    "N aliased author(id:) fields in one document: the same few statements for 2 and 20",
    points=3,
    rules=["R5.2"],
    alone=True,
    budget=30,
    hint="Root fields resolve one by one too: load author(id:) through the request's DataLoader, and "
    "the 20 lookups become one statement.",
)
def test_aliased_lookups(api, pgproxy):
    authors = [new_author(api) for _ in range(20)]
    counts = {}
    for n in (2, 20):
        query = (
            "{ "
            + " ".join(f'a{i}: author(id: "{a["id"]}") {{ name }}' for i, a in enumerate(authors[:n]))
            + " }"
        )
        answer, statements = fewest(pgproxy, lambda query=query: gql(api, query))
        data = answer.ok()
        got = [(data.get(f"a{i}") or {}).get("name") for i in range(n)]
        want = [a["name"] for a in authors[:n]]
        expect(
            got == want,
            f"{answer.sent}: expected each author's name under its alias.",
            expected=want[:3],
            actual=got[:3],
            response=answer.response,
        )
        counts[n] = statements
    expect_bounded(
        "{ a0: author(id: ...) { name } ... } with N aliases", ("N = 2", counts[2]), ("N = 20", counts[20]), 4
    )
