"""Talking GraphQL to the app: one request, its answer, and the data a check prepares."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from grader.checks import CheckFailed, SetupFailed, expect, fail, setup_failed

PUBLISHED = "2020-05-17T10:00:00+02:00"


def short(query: str, limit: int = 110) -> str:
    text = " ".join(query.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Answer:
    """One GraphQL answer: the response, its JSON body (a dict), and a name for messages."""

    response: httpx.Response
    body: dict[str, Any]
    sent: str
    data: Any = field(init=False)
    errors: list[dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.data = self.body.get("data")
        errors = self.body.get("errors")
        self.errors = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []

    def first_error(self) -> str:
        return short(str(self.errors[0].get("message")), 140) if self.errors else "no error"

    def codes(self) -> list[Any]:
        return [
            (e.get("extensions") or {}).get("code") if isinstance(e.get("extensions"), dict) else None
            for e in self.errors
        ]

    def fail(self, message: str, *, expected: object = None, actual: object = None) -> None:
        fail(f"{self.sent}: {message}", expected=expected, actual=actual, response=self.response)

    def ok(self) -> Any:
        """The data of an answer that must have no errors."""
        if self.errors:
            self.fail("expected no errors.", expected="no errors", actual=self.first_error())
        if self.response.status_code != 200:
            self.fail(
                "an answer without errors has status 200.",
                expected=200,
                actual=self.response.status_code,
            )
        if not isinstance(self.data, dict):
            self.fail(
                "expected an object under `data`.", expected="data: {...}", actual=short(self.response.text)
            )
        return self.data

    def refused(self, code: str | None = None) -> dict[str, Any]:
        """The first error of an answer that must have one (with that extensions.code)."""
        if not self.errors:
            self.fail(
                "expected an error in `errors`.", expected="errors: [...]", actual=short(self.response.text)
            )
        if code is not None and code not in self.codes():
            self.fail(
                f"expected an error with extensions.code {code}.",
                expected=code,
                actual=f"codes {self.codes()}: {self.first_error()}",
            )
            return {}
        return next(e for e, c in zip(self.errors, self.codes(), strict=True) if code is None or c == code)


def gql(
    api: httpx.Client,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    operation: str | None = None,
    method: str = "POST",
    statuses: tuple[int, ...] = (200, 400),
) -> Answer:
    """Send one operation; the answer must have one of `statuses` and a JSON object body (200 or 400:
    an answer with errors may be either, and Answer.ok() requires 200)."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    if operation is not None:
        payload["operationName"] = operation
    if method == "GET":
        params = {k: (json.dumps(v) if k == "variables" else v) for k, v in payload.items()}
        response = api.get("/graphql", params=params, headers=headers)
    else:
        response = api.post("/graphql", json=payload, headers=headers)
    sent = f"{method} /graphql `{short(query)}`" + (
        f" with {short(json.dumps(variables), 80)}" if variables else ""
    )
    if response.status_code not in statuses:
        fail(
            f"{sent}: expected status {' or '.join(map(str, statuses))}, got {response.status_code}.",
            expected=" or ".join(map(str, statuses)),
            actual=f"{response.status_code} {short(response.text, 100)}",
            response=response,
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        fail(
            f"{sent}: expected a JSON object with data and/or errors.",
            expected='{"data": ...}',
            actual=short(response.text, 100),
            response=response,
        )
    return Answer(response, body, sent)


def expect_no_data(answer: Answer) -> None:
    """An answer refused as a whole: `data` absent or null beside its errors."""
    expect(
        answer.data is None,
        f"{answer.sent}: expected no data (absent or null) with the error.",
        expected="data absent or null",
        actual=str(answer.data)[:100],
        response=answer.response,
    )


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:10]}"


CREATE_AUTHOR = "mutation($input: NewAuthor!) { createAuthor(input: $input) { id name createdAt } }"
CREATE_BOOK = (
    "mutation($input: NewBook!) { createBook(input: $input) "
    "{ id title subtitle genre publishedAt createdAt author { id name } } }"
)


def _prepared(
    api: httpx.Client, query: str, variables: dict[str, Any], token: str | None, field_name: str
) -> dict[str, Any]:
    """Run the mutation that prepares a check's data; any failure is that mutation's, not the check's."""
    try:
        answer = gql(api, query, variables, token=token)
        made = answer.ok().get(field_name)
        if not isinstance(made, dict) or not isinstance(made.get("id"), str):
            answer.fail(
                f"expected {field_name} with its id.",
                expected=f"{field_name}.id",
                actual=short(answer.response.text),
            )
    except SetupFailed:
        raise
    except CheckFailed as exc:
        setup_failed(
            f"The grader could not prepare its data: {exc.message}",
            cause=f"{field_name} did not work",
            hint=f"The checks about {field_name} say what is wrong with it.",
            expected=exc.expected,
            actual=exc.actual,
            response=exc.response,
        )
    return made


def new_author(api: httpx.Client, name: str | None = None) -> dict[str, Any]:
    """A new author: {id, name, createdAt} and the email it was given."""
    name = name or unique("Author")
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    made = _prepared(api, CREATE_AUTHOR, {"input": {"name": name, "email": email}}, None, "createAuthor")
    return {**made, "email": email}


def new_book(api: httpx.Client, token: str, title: str | None = None, **extra: Any) -> dict[str, Any]:
    """A new book by the author `token` names."""
    book = {"title": title or unique("Book"), "genre": "FICTION", "publishedAt": PUBLISHED, **extra}
    return _prepared(api, CREATE_BOOK, {"input": book}, token, "createBook")
