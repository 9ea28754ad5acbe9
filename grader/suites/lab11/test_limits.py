"""Limits: query depth and aliases"""

from __future__ import annotations

from lab11_gql import gql, new_author, new_book, unique

from grader.checks import check, expect

# book 1, author 2, books 3, author 4, books 5, author 6, books 7, title 8
EIGHT = (
    "query($id: ID!) { book(id: $id) { author { books { author { books { author { books { title } } } } } } }"
    " }"
)
NINE = (
    "query($id: ID!) { book(id: $id) { author { books { author { books { author { books { author { name }"
    " } } } } } } } }"
)
FRAGMENT = """query($id: ID!) { book(id: $id) { ...Deep } }
fragment Deep on Book { author { books { author { books { author { books { %s } } } } } } }"""
MUTATION = """mutation($name: String!) { createAuthor(input: {name: $name, email: "deep@example.com"}) {
  books { author { books { author { books { author { books { title } } } } } } } } }"""


def expect_refused(answer) -> None:
    messages = [str(e.get("message")) for e in answer.errors]
    expect(
        any("depth" in m.lower() for m in messages),
        f"{answer.sent}: 9 levels deep must be refused with an error that mentions depth.",
        expected="an error whose message contains 'depth'",
        actual=messages or answer.response.text[:120],
        response=answer.response,
    )
    expect(
        answer.data is None,
        f"{answer.sent}: a refused operation has no data.",
        expected="data absent or null",
        actual=str(answer.data)[:100],
        response=answer.response,
    )


@check(
    "An operation 8 levels deep answers; 9 levels (fragments included) is refused before it runs",
    points=4,
    rules=["R7.1"],
    hint="Measure the document before executing it (Strawberry's QueryDepthLimiter, a validation rule "
    "with Ariadne or Graphene): a root field is level 1, and a fragment spread counts as its fields.",
)
def test_depth_limit(api):
    author = new_author(api)
    book = new_book(api, author["id"])
    for query in (EIGHT, FRAGMENT % "title"):
        answer = gql(api, query, {"id": book["id"]})
        data = answer.ok()
        expect(
            data.get("book") is not None,
            f"{answer.sent}: 8 levels deep is allowed.",
            expected="the book",
            actual=data,
            response=answer.response,
        )
    for query in (NINE, FRAGMENT % "author { name }"):
        expect_refused(gql(api, query, {"id": book["id"]}))
    name = unique("Too deep")
    expect_refused(gql(api, MUTATION, {"name": name}))
    found = gql(api, "query($t: String!) { search(text: $t) { __typename } }", {"t": name}).ok()
    expect(
        found.get("search") == [],
        "A mutation 9 levels deep was refused, yet it ran: the author was created.",
        expected=[],
        actual=found.get("search"),
    )


@check(
    "Introspection fields, and the fields inside them, do not count towards the depth",
    points=2,
    rules=["R7.2"],
    hint="Tools introspect with queries 10 levels deep (ofType { ofType { ... } }): skip fields whose "
    "name starts with __ when measuring depth, as Strawberry's QueryDepthLimiter does.",
)
def test_introspection_is_not_limited(api):
    author = new_author(api)
    for query in (
        "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { name } } } } } } }"
        " } } }",
        "query($id: ID!) { author(id: $id) { __typename books { __typename } } "
        '__type(name: "Book") { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } }',
    ):
        answer = gql(api, query, {"id": author["id"]} if "$id" in query else None)
        data = answer.ok()
        expect(
            data.get("__schema") or data.get("__type"),
            f"{answer.sent}: expected the introspection answered.",
            expected="data",
            actual=str(data)[:100],
            response=answer.response,
        )


WIDE = "query($id: ID!) {{ author(id: $id) {{ {} }} }}"
WIDE_FRAGMENT = "query($id: ID!) {{ author(id: $id) {{ {} ...More }} }} fragment More on Author {{ {} }}"
WIDE_MUTATION = (
    "mutation($name: String!, $email: String!) {{ made: createAuthor(input: {{name: $name, email: $email}}) "
    "{{ {} }} }}"
)


def aliases(n: int, start: int = 0) -> str:
    return " ".join(f"a{i}: __typename" for i in range(start, start + n))


@check(
    "20 aliases answer; 21 (fragments included) are refused before anything runs",
    points=3,
    rules=["R7.3"],
    hint="Count the aliases of the document before executing it (Strawberry's MaxAliasesLimiter, or a "
    "validation rule that walks the operations and the fragments they spread).",
)
def test_alias_limit(api):
    author = new_author(api)
    fragment = WIDE_FRAGMENT
    for query, n in (
        (WIDE.format(aliases(20)), 20),
        (fragment.format(aliases(10), aliases(10, 10)), 20),
    ):
        answer = gql(api, query, {"id": author["id"]})
        data = answer.ok()
        expect(
            len(data.get("author") or {}) == n,
            f"{answer.sent}: {n} aliases are allowed.",
            expected=f"{n} fields",
            actual=str(data)[:100],
            response=answer.response,
        )
    name = unique("Too wide")
    for query, variables in (
        (WIDE.format(aliases(21)), {"id": author["id"]}),
        (fragment.format(aliases(11), aliases(10, 11)), {"id": author["id"]}),
        (
            WIDE_MUTATION.format(aliases(20)),
            {"name": name, "email": "wide@example.com"},
        ),
    ):
        answer = gql(api, query, variables)
        messages = [str(e.get("message")) for e in answer.errors]
        expect(
            any("alias" in m.lower() for m in messages) and answer.data is None,
            f"{answer.sent}: 21 aliases must be refused with an error that mentions aliases, and no data.",
            expected="an error whose message contains 'alias', data absent or null",
            actual=messages or answer.response.text[:120],
            response=answer.response,
        )
    found = gql(api, "query($t: String!) { search(text: $t) { __typename } }", {"t": name}).ok()
    expect(
        found.get("search") == [],
        "A mutation with 21 aliases was refused, yet it ran: the author was created.",
        expected=[],
        actual=found.get("search"),
    )
