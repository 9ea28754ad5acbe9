"""The schema, read by introspection"""

from __future__ import annotations

from typing import Any

import httpx
from lab11_gql import gql

from grader.checks import check, expect, fail

TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"
INTROSPECT = f"""
{{ __schema {{ types {{
  kind name
  fields {{ name type {{ {TYPE_REF} }} args {{ name type {{ {TYPE_REF} }} }} }}
  inputFields {{ name type {{ {TYPE_REF} }} }}
  interfaces {{ name }}
  possibleTypes {{ name }}
  enumValues {{ name }}
}} }} }}
"""

OBJECTS = {
    "Author": {
        "id": "ID!",
        "createdAt": "DateTime!",
        "name": "String!",
        "email": "String",
        "books": "[Book!]!",
    },
    "Book": {
        "id": "ID!",
        "createdAt": "DateTime!",
        "title": "String!",
        "subtitle": "String",
        "genre": "Genre!",
        "publishedAt": "DateTime!",
        "author": "Author!",
    },
    "PageInfo": {"hasNextPage": "Boolean!", "endCursor": "String"},
    "BookEdge": {"cursor": "String!", "node": "Book!"},
    "BookConnection": {"edges": "[BookEdge!]!", "pageInfo": "PageInfo!"},
}
# field: (its type, {argument: type})
OPERATIONS = {
    "Query": {
        "author": ("Author", {"id": "ID!"}),
        "book": ("Book", {"id": "ID!"}),
        "books": ("BookConnection!", {"first": "Int!", "after": "String", "authorId": "ID"}),
        "search": ("[SearchResult!]", {"text": "String!"}),
    },
    "Mutation": {
        "createAuthor": ("Author!", {"input": "NewAuthor!"}),
        "createBook": ("Book!", {"input": "NewBook!"}),
    },
    "Subscription": {"bookAdded": ("Book!", {"authorId": "ID"})},
}
INPUTS = {
    "NewAuthor": {"name": "String!", "email": "String!"},
    "NewBook": {"title": "String!", "genre": "Genre!", "publishedAt": "DateTime!", "subtitle": "String"},
}


def spell(ref: dict[str, Any] | None) -> str:
    """A type reference as SDL spells it: [Book!]!"""
    if not isinstance(ref, dict):
        return "?"
    if ref.get("kind") == "NON_NULL":
        return spell(ref.get("ofType")) + "!"
    if ref.get("kind") == "LIST":
        return "[" + spell(ref.get("ofType")) + "]"
    return str(ref.get("name"))


def schema_types(api: httpx.Client) -> dict[str, dict[str, Any]]:
    answer = gql(api, INTROSPECT)
    data = answer.ok()
    types = (data.get("__schema") or {}).get("types")
    if not isinstance(types, list):
        answer.fail("expected __schema.types, a list.", expected="a list of types", actual=str(data)[:120])
    return {t["name"]: t for t in types if isinstance(t, dict) and isinstance(t.get("name"), str)}


def a_type(types: dict[str, dict[str, Any]], name: str, kind: str) -> dict[str, Any]:
    found = types.get(name)
    if found is None:
        fail(
            f"Introspection: the schema has no type {name}.", expected=f"{kind} {name}", actual="no such type"
        )
    if found.get("kind") != kind:
        fail(
            f"Introspection: {name} is a {found.get('kind')}, not a {kind}.",
            expected=kind,
            actual=found.get("kind"),
        )
    return found


def fields_of(found: dict[str, Any], key: str = "fields") -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in found.get(key) or [] if isinstance(f, dict)}


def expect_typed(where: str, have: dict[str, dict[str, Any]], want: dict[str, str], *, exact: bool) -> None:
    for name, sdl in want.items():
        if name not in have:
            fail(f"Introspection: {where} has no {name}.", expected=f"{name}: {sdl}", actual=sorted(have))
        got = spell(have[name].get("type"))
        expect(
            got == sdl,
            f"Introspection: {where}.{name} is {got}, the contract says {sdl}.",
            expected=sdl,
            actual=got,
        )
    extra = sorted(set(have) - set(want))
    expect(
        not (exact and extra),
        f"Introspection: {where} has more than the contract's: {extra}.",
        expected=sorted(want),
        actual=sorted(have),
    )


@check(
    "Author, Book, PageInfo, BookEdge and BookConnection have the contract's fields, nullability included",
    points=3,
    rules=["R2.1"],
    hint="Compare your types with the SDL of the contract, ! for !: a Python `str | None` is a nullable "
    "String, `str` a String!, `list[Book]` a [Book!]!.",
)
def test_object_types(api):
    types = schema_types(api)
    for name, fields in OBJECTS.items():
        expect_typed(name, fields_of(a_type(types, name, "OBJECT")), fields, exact=False)


@check(
    "Query, Mutation, Subscription and the input types have the contract's fields, arguments and types",
    points=3,
    rules=["R2.2"],
    hint="Each field of Query and Mutation takes exactly the arguments of the SDL, with their types (an "
    "argument with a default value is still Int!); NewAuthor and NewBook have exactly its fields.",
)
def test_operations_and_inputs(api):
    types = schema_types(api)
    for root, fields in OPERATIONS.items():
        have = fields_of(a_type(types, root, "OBJECT"))
        expect_typed(root, have, {name: sdl for name, (sdl, _) in fields.items()}, exact=False)
        for name, (_, args) in fields.items():
            expect_typed(f"{root}.{name}", fields_of(have[name], "args"), args, exact=True)
    for name, fields in INPUTS.items():
        expect_typed(name, fields_of(a_type(types, name, "INPUT_OBJECT"), "inputFields"), fields, exact=True)


@check(
    "Genre is an enum of exactly FICTION, NONFICTION and POETRY",
    points=2,
    rules=["R2.3"],
    hint="Declare Genre as a GraphQL enum (a Python Enum in Strawberry), not a String.",
)
def test_enum(api):
    genre = a_type(schema_types(api), "Genre", "ENUM")
    values = sorted(v.get("name") for v in genre.get("enumValues") or [] if isinstance(v, dict))
    expect(
        values == ["FICTION", "NONFICTION", "POETRY"],
        "Introspection: Genre has other values than the contract's.",
        expected=["FICTION", "NONFICTION", "POETRY"],
        actual=values,
    )


@check(
    "Node is an interface of Author and Book; SearchResult a union of exactly Author and Book",
    points=3,
    rules=["R2.4"],
    hint="An interface is shared fields a type promises (implements Node); a union is a choice of "
    "types that need share nothing. Declare both, and list both types in each.",
)
def test_interface_and_union(api):
    types = schema_types(api)
    node = a_type(types, "Node", "INTERFACE")
    expect_typed("Node", fields_of(node), {"id": "ID!", "createdAt": "DateTime!"}, exact=False)
    for name in ("Author", "Book"):
        interfaces = [i.get("name") for i in a_type(types, name, "OBJECT").get("interfaces") or []]
        expect(
            "Node" in interfaces,
            f"Introspection: {name} does not implement Node.",
            expected="Node",
            actual=interfaces,
        )
    union = a_type(types, "SearchResult", "UNION")
    members = sorted(t.get("name") for t in union.get("possibleTypes") or [] if isinstance(t, dict))
    expect(
        members == ["Author", "Book"],
        "Introspection: SearchResult is not a union of exactly Author and Book.",
        expected=["Author", "Book"],
        actual=members,
    )


@check(
    "DateTime is a custom scalar",
    points=1,
    rules=["R2.5"],
    hint="Declare `scalar DateTime` (Strawberry's datetime maps to it): a String would say nothing of "
    "the format.",
)
def test_datetime_scalar(api):
    a_type(schema_types(api), "DateTime", "SCALAR")
