"""The endpoint: POST and GET on /graphql"""

from __future__ import annotations

import json

from lab11_gql import gql, new_author, unique

from grader.checks import check, expect, expect_header

TWO_OPERATIONS = """
query First($id: ID!) { author(id: $id) { name } }
query Second($id: ID!) { author(id: $id) { email } }
"""


@check(
    "POST /graphql runs the operation that operationName picks, with its variables, and answers JSON",
    points=2,
    rules=["R1.1"],
    hint="Read the JSON body's query, variables and operationName and hand all three to the GraphQL "
    "engine; answer 200 with Content-Type application/json.",
)
def test_post_with_variables_and_operation_name(api):
    author = new_author(api)
    for operation in ("First", "Second"):
        answer = gql(api, TWO_OPERATIONS, {"id": author["id"]}, operation=operation, token=author["id"])
        expect_header(answer.response, "Content-Type", contains="application/json")
        data = answer.ok()
        want = {"name": author["name"]} if operation == "First" else {"email": author["email"]}
        expect(
            data.get("author") == want,
            f"{answer.sent} with operationName {operation}: expected that operation's answer.",
            expected={"author": want},
            actual=data,
            response=answer.response,
        )


@check(
    "GET /graphql?query=...&variables=... runs a query",
    points=2,
    rules=["R1.2"],
    hint="For GET, take query, variables (URL-encoded JSON) and operationName from the query string: "
    "Strawberry, Ariadne and Graphene can all serve queries over GET, some only once enabled.",
)
def test_get_runs_a_query(api):
    author = new_author(api)
    answer = gql(api, "query($id: ID!) { author(id: $id) { id name } }", {"id": author["id"]}, method="GET")
    expect_header(answer.response, "Content-Type", contains="application/json")
    data = answer.ok()
    expect(
        data.get("author") == {"id": author["id"], "name": author["name"]},
        f"{answer.sent}: expected the author.",
        expected={"author": {"id": author["id"], "name": author["name"]}},
        actual=data,
        response=answer.response,
    )


@check(
    "A mutation sent with GET is refused (400 or 405) and does not run",
    points=3,
    rules=["R1.3"],
    hint="GET must be safe: a link or a prefetch must never change data. Run only query operations "
    "over GET, and answer 405 (or 400) to a mutation.",
)
def test_get_refuses_mutations(api):
    name = unique("Via GET")
    mutation = 'mutation($n: String!) { createAuthor(input: {name: $n, email: "get@example.com"}) { id } }'
    response = api.get("/graphql", params={"query": mutation, "variables": json.dumps({"n": name})})
    expect(
        response.status_code in (400, 405),
        f"GET /graphql?query=`{mutation}` (n={name!r}): expected the mutation refused with 400 or 405.",
        expected="400 or 405",
        actual=f"{response.status_code} {response.text[:100]}",
        response=response,
    )
    found = gql(api, "query($t: String!) { search(text: $t) { __typename } }", {"t": name}).ok()
    expect(
        found.get("search") == [],
        f"GET /graphql with a createAuthor mutation was refused, yet the author {name!r} was created.",
        expected="search finds no such author",
        actual=found,
    )
