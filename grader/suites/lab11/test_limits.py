"""Limits: query depth, aliases and cost"""

from __future__ import annotations

from lab11_gql import expect_no_data, gql, new_author, new_book, short, unique

from grader.checks import check, expect, fail
from grader.pgproxy import fewest

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


def expect_refused(answer, word: str, what: str) -> None:
    """An operation refused before it ran: an error whose message contains `word`, and no data."""
    messages = [str(e.get("message")) for e in answer.errors]
    expect(
        any(word in m.lower() for m in messages),
        f"{answer.sent}: {what} must be refused with an error that mentions {word}.",
        expected=f"an error whose message contains '{word}'",
        actual=messages or answer.response.text[:120],
        response=answer.response,
    )
    expect_no_data(answer)


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
        expect_refused(gql(api, query, {"id": book["id"]}), "depth", "9 levels deep")
    name = unique("Too deep")
    expect_refused(gql(api, MUTATION, {"name": name}), "depth", "9 levels deep")
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
        expect_refused(gql(api, query, variables), "alias", "21 aliases")
    found = gql(api, "query($t: String!) { search(text: $t) { __typename } }", {"t": name}).ok()
    expect(
        found.get("search") == [],
        "A mutation with 21 aliases was refused, yet it ran: the author was created.",
        expected=[],
        actual=found.get("search"),
    )


# -- cost (R7.4, R7.5) ---------------------------------------------------------------------------------
COST_MAX = 2000
# Per book of a page: edges 1, node 1, id title genre 3, author 1, id name createdAt 3, and
# books 1 + 10 × (id title genre) 30: 40. So books(first: n) { NODE } costs 1 + 40 × n.
NODE = "edges { node { id title genre author { id name createdAt books { id title genre } } } }"
PRICED = "id title genre author { id name createdAt books { id title genre } }"  # 38, ...Priced on Book
# author 1 + books (1 + 10 × 3): 32; book 1 + 5 fields: 6 (`extra` adds one field: 7)
TAIL = (
    "author(id: $a) {{ books {{ id title genre }} }} "
    "book(id: $b) {{ id title genre subtitle publishedAt {extra} }}"
)
# 441 + 1521 + 32 + 6 = 2000; `__typename` is free, `createdAt` makes 2001
AT_LIMIT = (
    "query($a: ID!, $b: ID!) {{ __typename books(first: 11) {{ {node} }} more: books(first: 38) {{ {node} }} "
    "author(id: $a) {{ __typename books {{ id title genre }} }} "
    "book(id: $b) {{ id title genre subtitle publishedAt {extra} }} }}"
)
# 1 + 40 × n + 1561 + 38: 2000 for n = 10, the default when `first` is absent
BY_FIRST = (
    "query($a: ID!, $b: ID!{var}) {{ books{first} {{ {node} }} more: books(first: 39) {{ {node} }} {tail} }}"
)
# the fragment (38) spread twice: (1 + 10 × 40) + (1 + 39 × 40) + 38 = 2000
BY_FRAGMENT = (
    "query($a: ID!, $b: ID!) {{ books(first: 10) {{ edges {{ node {{ ...Priced }} }} }} "
    "more: books(first: 39) {{ edges {{ node {{ ...Priced }} }} }} {tail} }} "
    "fragment Priced on Book {{ {priced} }}"
)
# 1681 + search 1 + 10 × (books 1 + 10 × 3) 311 + book 7 + author 1: 2000; `id` in the author makes 2001
BY_NESTING = (
    "query($a: ID!, $b: ID!, $t: String!) {{ books(first: 42) {{ {node} }} "
    "search(text: $t) {{ ... on Author {{ books {{ id title genre }} }} }} "
    "book(id: $b) {{ id title genre subtitle publishedAt createdAt }} author(id: $a) {{ {extra} }} }}"
)

# createAuthor 1 + books 1 + 10 × (author 1 + books 1 + 10 × (author 1 + books 1 + 10 × 4)): 4222
COSTLY_MUTATION = """mutation($name: String!) {
  createAuthor(input: {name: $name, email: "cost@example.com"}) {
    books { author { books { author { books { id title genre subtitle } } } } } } }"""


def priced(api) -> dict:
    """An author with one book: the ids the priced documents ask for."""
    author = new_author(api)
    book = new_book(api, author["id"])
    return {"a": author["id"], "b": book["id"]}


def expect_at_limit(api, query: str, variables: dict, cost: str) -> None:
    answer = gql(api, query, variables)
    data = answer.ok()
    expect(
        isinstance(data.get("books"), dict) and (data.get("book") or {}).get("id") == variables["b"],
        f"{answer.sent}: this document costs exactly {COST_MAX} ({cost}), the maximum: it must answer.",
        expected="books and the book",
        actual=str(data)[:120],
        response=answer.response,
    )


def expect_too_complex(api, query: str, variables: dict, cost: str):
    answer = gql(api, query, variables)
    expect(
        "QUERY_TOO_COMPLEX" in answer.codes(),
        f"{answer.sent}: this document costs {cost}, more than {COST_MAX}: it must be refused with "
        "extensions.code QUERY_TOO_COMPLEX.",
        expected="an error with extensions.code QUERY_TOO_COMPLEX",
        actual=f"codes {answer.codes()}: {answer.first_error()}" if answer.errors else "no error",
        response=answer.response,
    )
    expect_no_data(answer)
    return answer


@check(
    "A document that costs exactly 2000 answers; 2001 is refused with QUERY_TOO_COMPLEX before anything runs",
    points=4,
    rules=["R7.4", "R7.5"],
    alone=True,
    budget=40,
    hint="Compute the cost from the document before executing it (a validation rule, or an extension "
    "that adds one): 1 a field, `__` fields free, a list's selection times its page; refuse when it is "
    "more than 2000 (not 2000 itself) with a GraphQLError whose extensions.code is QUERY_TOO_COMPLEX.",
)
def test_cost_limit(api, pgproxy):
    ids = priced(api)
    expect_at_limit(api, AT_LIMIT.format(node=NODE, extra="__typename"), ids, "`__typename` is free")
    over = AT_LIMIT.format(node=NODE, extra="createdAt")
    answer, statements = fewest(pgproxy, lambda: expect_too_complex(api, over, ids, "2001"))
    _, invalid = fewest(pgproxy, lambda: gql(api, "{ nope }"))
    if len(statements) > len(invalid):
        fail(
            f"{answer.sent} was refused, yet it ran {len(statements)} SQL statements (an invalid document "
            f"runs {len(invalid)}): the cost must be measured before the operation runs.",
            expected=f"at most {len(invalid)} statements",
            actual="; ".join(short(s.sql, 60) for s in statements[:4]),
            response=answer.response,
        )
    name = unique("Too costly")
    expect_too_complex(api, COSTLY_MUTATION, {"name": name}, "4222")
    found = gql(api, "query($t: String!) { search(text: $t) { __typename } }", {"t": name}).ok()
    expect(
        found.get("search") == [],
        "A mutation that costs 4222 was refused, yet it ran: the author was created.",
        expected=[],
        actual=found.get("search"),
    )


@check(
    "books(first: n) costs n times its selection, given literally or in a variable; 10 times without `first`",
    points=3,
    rules=["R7.4"],
    hint="Read `first` from the field's arguments, through the request's variables when it is one "
    "(graphql-core's value_from_ast does both), and use 10, the schema's default, when it is absent.",
)
def test_cost_multiplies_by_first(api):
    ids = priced(api)
    tail = TAIL.format(extra="")
    by_variable = BY_FIRST.format(var=", $n: Int!", first="(first: $n)", node=NODE, tail=tail)
    expect_at_limit(api, by_variable, {**ids, "n": 10}, "n = 10: 401 + 1561 + 38")
    expect_too_complex(api, by_variable, {**ids, "n": 11}, "2040 with n = 11")
    expect_at_limit(
        api, BY_FIRST.format(var="", first="", node=NODE, tail=tail), ids, "`first` absent counts 10"
    )
    expect_too_complex(
        api,
        BY_FIRST.format(var="", first="", node=NODE, tail=TAIL.format(extra="createdAt")),
        ids,
        "2001 with `first` absent, which counts 10",
    )


@check(
    "A fragment costs its fields each time it is spread: spread twice, it counts twice",
    points=2,
    rules=["R7.4"],
    hint="Walk the operation and replace each `...Fragment` by the fragment's fields where it stands, "
    "as the depth and alias limits do; do not price the fragment definitions once on their own.",
)
def test_cost_counts_fragments(api):
    ids = priced(api)
    query = BY_FRAGMENT.format(tail=TAIL.format(extra=""), priced=PRICED)
    expect_at_limit(api, query, ids, "the fragment, 38, spread twice")
    over = BY_FRAGMENT.format(tail=TAIL.format(extra="createdAt"), priced=PRICED)
    expect_too_complex(api, over, ids, "2001, the fragment spread twice")


@check(
    "Nested lists multiply: Author.books and search count 10 times their selection, inside a page too",
    points=2,
    rules=["R7.4"],
    hint="A field's cost is 1 plus its multiplier times the cost of what it selects, computed from the "
    "innermost field out: Author.books inside books(first: 42) counts 42 × 10 times its fields.",
)
def test_cost_multiplies_nested_lists(api):
    ids = {**priced(api), "t": unique("Nobody")}
    expect_at_limit(api, BY_NESTING.format(node=NODE, extra="__typename"), ids, "42 × 40 + 311 + 7 + 1")
    expect_too_complex(api, BY_NESTING.format(node=NODE, extra="id"), ids, "2001")
