"""Errors"""

from __future__ import annotations

from lab11_gql import CREATE_BOOK, PUBLISHED, expect_no_data, gql, new_author, unique

from grader.checks import check, expect

SEARCH = "query($t: String!) { search(text: $t) { __typename } }"
LEAKS = ("Traceback", 'File "', "psycopg", "NUL", "0x00", "SELECT", "Error:", "line ")


def stored(api, text: str) -> list:
    return gql(api, SEARCH, {"t": text}).ok().get("search") or []


@check(
    "A document that does not parse answers an error with the line and column where parsing failed",
    points=2,
    rules=["R4.1"],
    hint="Hand the document to the GraphQL engine as it is: its syntax errors carry `locations`; do not "
    "turn them into a 500 or a message of your own.",
)
def test_syntax_error(api):
    for query, where in (
        ('{\n  book(id: "1") {\n    title\n', {"line": 4, "column": 1}),
        ('query {\n  author(id: "1") { name ] }\n}', {"line": 2, "column": 26}),
    ):
        answer = gql(api, query)
        error = answer.refused()
        expect(
            isinstance(error.get("message"), str) and error.get("locations") == [where],
            f"{answer.sent}: expected a message and the location of the syntax error.",
            expected={"locations": [where]},
            actual=error,
            response=answer.response,
        )
        expect_no_data(answer)


@check(
    "An invalid document answers errors located at each offending field or argument, and runs nothing",
    points=3,
    rules=["R4.2"],
    hint="The engine validates the whole document against the schema before any resolver runs; keep "
    "its errors and their locations.",
)
def test_validation_errors(api):
    name = unique("Never stored")
    query = (
        "mutation {\n"
        f'  createAuthor(input: {{name: "{name}", email: "x@example.com"}}) {{\n'
        "    id\n"
        "    nickname\n"
        "  }\n"
        "}"
    )
    answer = gql(api, query)
    error = answer.refused()
    expect(
        error.get("locations") == [{"line": 4, "column": 5}],
        f"{answer.sent}: expected the error located at `nickname`, line 4, column 5.",
        expected=[{"line": 4, "column": 5}],
        actual=error,
        response=answer.response,
    )
    expect_no_data(answer)
    expect(
        stored(api, name) == [],
        f"{answer.sent} failed validation, yet the author was created.",
        expected="nothing stored",
        actual=stored(api, name),
    )
    answer = gql(api, '{\n  book { title }\n  books(first: "ten") { pageInfo { hasNextPage } }\n}')
    located = sorted((e.get("locations") or [{}])[0].get("line", 0) for e in answer.errors)
    expect(
        len(answer.errors) >= 2 and located[0] == 2 and located[-1] == 3,
        f"{answer.sent}: expected an error for the missing id (line 2) and one for the string given "
        "as an Int (line 3).",
        expected="errors located on lines 2 and 3",
        actual=[e.get("locations") for e in answer.errors],
        response=answer.response,
    )
    expect_no_data(answer)


@check(
    "Blank names, emails and titles are refused with BAD_USER_INPUT at the mutation's path, storing nothing",
    points=3,
    rules=["R4.3"],
    hint="Raise a GraphQLError with extensions={'code': 'BAD_USER_INPUT'}; createAuthor and createBook "
    "are non-null, so their failure makes `data` null.",
)
def test_domain_errors(api):
    author = new_author(api)
    mark = unique("Blank")
    cases = [
        (
            "mutation($i: NewAuthor!) { createAuthor(input: $i) { id } }",
            {"name": "   ", "email": f"{mark}@x"},
            "createAuthor",
            None,
            f"{mark}@x",
        ),
        (
            "mutation($i: NewAuthor!) { createAuthor(input: $i) { id } }",
            {"name": mark, "email": ""},
            "createAuthor",
            None,
            mark,
        ),
        (
            CREATE_BOOK,
            {"title": " \t", "genre": "FICTION", "publishedAt": PUBLISHED, "subtitle": mark},
            "createBook",
            author["id"],
            None,
        ),
    ]
    for query, given, field, token, probe in cases:
        answer = gql(api, query, {"i" if field == "createAuthor" else "input": given}, token=token)
        error = answer.refused("BAD_USER_INPUT")
        expect(
            error.get("path") == [field],
            f"{answer.sent}: expected the error's path [{field!r}].",
            expected=[field],
            actual=error.get("path"),
            response=answer.response,
        )
        expect(
            answer.data is None,
            f"{answer.sent}: {field} is non-null, so `data` is null.",
            expected=None,
            actual=answer.data,
            response=answer.response,
        )
        if probe is not None:
            expect(
                stored(api, probe) == [],
                f"{answer.sent} was refused, yet something was stored.",
                expected=[],
                actual=stored(api, probe),
            )


@check(
    "An unexpected failure answers `Internal server error`, never the exception's text or a traceback",
    points=3,
    rules=["R4.4"],
    hint="Mask errors your code did not raise on purpose: Strawberry's MaskErrors extension, Ariadne's "
    "error_formatter (debug off), Graphene's format_error. Log the details on the server instead.",
)
def test_unexpected_failure_is_masked(api):
    answer = gql(api, SEARCH, {"t": "null \u0000 byte"})
    error = answer.refused()
    expect(
        error.get("message") == "Internal server error",
        f"{answer.sent}: expected the message `Internal server error`.",
        expected="Internal server error",
        actual=str(error.get("message"))[:120],
        response=answer.response,
    )
    leaked = [word for word in LEAKS if word in answer.response.text]
    expect(
        not leaked,
        f"{answer.sent}: the answer shows internals ({', '.join(leaked)}).",
        expected="no exception text, SQL or traceback",
        actual=answer.response.text[:160],
        response=answer.response,
    )
    author = new_author(api)
    expect(isinstance(author.get("id"), str), "The app stopped answering after an unexpected failure.")


@check(
    "A failing field leaves the other fields answered: partial data with an error at its path",
    points=3,
    rules=["R4.5"],
    hint="GraphQL resolves each field on its own: let the failing resolver raise, and the engine puts "
    "null there, keeps the rest and adds an error with the field's path. search is nullable for this.",
)
def test_partial_data(api):
    author = new_author(api)
    query = "query($id: ID!, $t: String!) { author(id: $id) { name } search(text: $t) { __typename } }"
    answer = gql(api, query, {"id": author["id"], "t": "\u0000"})
    want = {"author": {"name": author["name"]}, "search": None}
    expect(
        answer.data == want,
        f"{answer.sent}: expected the author answered and search null.",
        expected=want,
        actual=answer.data,
        response=answer.response,
    )
    paths = [e.get("path") for e in answer.errors]
    expect(
        paths == [["search"]],
        f'{answer.sent}: expected one error, at path ["search"].',
        expected=[["search"]],
        actual=paths,
        response=answer.response,
    )
