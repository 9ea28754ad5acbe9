"""Authorisation: the bearer token, createBook and Author.email"""

from __future__ import annotations

from lab11_gql import CREATE_BOOK, PUBLISHED, gql, new_author, unique

from grader.checks import check, expect

EMAIL = "query($id: ID!) { author(id: $id) { name email } }"


def create_book(api, headers: dict[str, str]) -> tuple:
    title = unique("Unauthorised")
    response = api.post(
        "/graphql",
        json={
            "query": CREATE_BOOK,
            "variables": {"input": {"title": title, "genre": "FICTION", "publishedAt": PUBLISHED}},
        },
        headers=headers,
    )
    return response, title


def expect_unauthenticated(api, headers: dict[str, str]) -> None:
    response, title = create_book(api, headers)
    shown = headers.get("Authorization", "no Authorization header")
    try:
        body = response.json()
    except ValueError:
        body = {}
    errors = body.get("errors") if isinstance(body, dict) else None
    codes = [((e or {}).get("extensions") or {}).get("code") for e in errors or [] if isinstance(e, dict)]
    expect(
        "UNAUTHENTICATED" in codes and body.get("data") is None,
        f"POST /graphql createBook with {shown}: expected an UNAUTHENTICATED error and data null.",
        expected="errors[].extensions.code UNAUTHENTICATED, data null",
        actual=f"{response.status_code} {response.text[:140]}",
        response=response,
    )
    found = gql(api, "query($t: String!) { search(text: $t) { __typename } }", {"t": title}).ok()
    expect(
        found.get("search") == [],
        f"createBook with {shown} was refused, yet the book was stored.",
        expected=[],
        actual=found.get("search"),
    )


@check(
    "No viewer without `Authorization: Bearer <id of an author>`: other schemes and unknown ids name nobody",
    points=3,
    rules=["R8.1"],
    hint="Split the header into scheme and token, accept only Bearer, and look the author up: an id that "
    "names no author is no viewer (and not a foreign-key error later).",
)
def test_token_forms(api):
    author = new_author(api)
    for value in (f"Basic {author['id']}", author["id"], "Bearer 999999999", "Bearer not-an-id", "Bearer"):
        expect_unauthenticated(api, {"Authorization": value})
    answer = gql(api, EMAIL, {"id": author["id"]})
    expect(
        (answer.data or {}).get("author", {}).get("email") is None,
        f"{answer.sent} without a token: expected email null.",
        actual=answer.data,
        response=answer.response,
    )


@check(
    "createBook without a token is refused with UNAUTHENTICATED and stores nothing",
    points=3,
    rules=["R8.2"],
    hint="Check the viewer at the top of the createBook resolver and raise a GraphQLError with "
    "extensions.code UNAUTHENTICATED before touching the database.",
)
def test_create_book_needs_a_viewer(api):
    expect_unauthenticated(api, {})


@check(
    "Author.email: its author reads it; anyone else gets null and FORBIDDEN at that field, the rest answered",
    points=4,
    rules=["R8.3"],
    hint="Check in the email field's resolver, not on the endpoint: compare the viewer with the author, "
    "raise a GraphQLError with code FORBIDDEN otherwise. email is nullable, so only it becomes null.",
)
def test_email_is_private(api):
    tag = "zq" + unique("x").split()[1][:8]
    owner = new_author(api, f"{tag} owner")
    other = new_author(api, f"{tag} other")
    answer = gql(api, EMAIL, {"id": owner["id"]}, token=owner["id"])
    expect(
        answer.ok().get("author") == {"name": owner["name"], "email": owner["email"]},
        f"{answer.sent} as that author: expected the email.",
        expected=owner["email"],
        actual=answer.data,
        response=answer.response,
    )
    for token in (other["id"], None):
        answer = gql(api, EMAIL, {"id": owner["id"]}, token=token)
        error = answer.refused("FORBIDDEN")
        expect(
            answer.data == {"author": {"name": owner["name"], "email": None}}
            and error.get("path") == ["author", "email"],
            f"{answer.sent} as {'another author' if token else 'nobody'}: expected the name, email null "
            "and a FORBIDDEN error at path [author, email].",
            expected={"author": {"name": owner["name"], "email": None}, "path": ["author", "email"]},
            actual={"data": answer.data, "path": error.get("path")},
            response=answer.response,
        )
    query = "query($t: String!) { search(text: $t) { ... on Author { name email } } }"
    answer = gql(api, query, {"t": tag}, token=other["id"])
    want = [{"name": owner["name"], "email": None}, {"name": other["name"], "email": other["email"]}]
    paths = [e.get("path") for e in answer.errors if (e.get("extensions") or {}).get("code") == "FORBIDDEN"]
    expect(
        (answer.data or {}).get("search") == want and paths == [["search", 0, "email"]],
        f"{answer.sent} as the second author: expected the first email null with a FORBIDDEN error at "
        "[search, 0, email], the second shown.",
        expected={"search": want, "paths": [["search", 0, "email"]]},
        actual={"search": (answer.data or {}).get("search"), "paths": paths},
        response=answer.response,
    )
