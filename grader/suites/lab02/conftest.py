"""Fixtures of the lab02 suite.

Every check is its own client (`X-Client-Id`), so the rate limit of the contract never gets in
the way of the other checks; the data a check needs is created through `library`, each request
as yet another client, so seeding never spends the check's own budget.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from lab02_support import new_client_id, new_isbn

from grader.checks import describe, require_status, setup_failed
from grader.http import Api

# Modules in the order of the contract: the report follows it.
ORDER = [
    "resources",
    "validation",
    "errors",
    "json",
    "lists",
    "versions",
    "conditional",
    "idempotency",
    "rate_limit",
]


ROTATE_EVERY = 10  # requests per identity: half the RATE_LIMIT the manifest sets


@pytest.fixture(autouse=True)
def _own_client(api: Api) -> None:
    """Give the check's client a fresh X-Client-Id every few requests. A request that names its
    own X-Client-Id (the rate limit and idempotency checks) keeps it: explicit headers win."""
    api.headers["X-Client-Id"] = new_client_id()
    sent = 0

    def rotate(request: object) -> None:
        nonlocal sent
        sent += 1
        if sent % ROTATE_EVERY == 0:
            api.headers["X-Client-Id"] = new_client_id()

    api.event_hooks["request"].append(rotate)


@pytest.fixture
def other_api(new_api: Callable[..., Api]) -> Api:
    """A second client of the same app, with its own identity."""
    client = new_api()
    client.headers["X-Client-Id"] = new_client_id("other")
    return client


class Library:
    """Creates authors and books for a check, and says clearly when it cannot."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.api.post(path, json=body, headers={"X-Client-Id": new_client_id("seed")})
        # Test data is the scenario, not the subject: a failure here blames the request that made it.
        require_status(response, 201, purpose="create test data")
        try:
            created = response.json()
        except ValueError:
            created = None
        if not isinstance(created, dict) or type(created.get("id")) is not int:
            setup_failed(
                f"could not create test data: {describe(response)} answered no object with an integer id.",
                cause=f"POST {path} answered no integer id",
                hint="The checks of creation and of JSON numbers say what is wrong with it.",
                expected='{"id": 1, ...}',
                actual=response.text[:120],
                response=response,
            )
        return created

    def author(self, name: str | None = None) -> dict[str, Any]:
        return self._post("/v1/authors", {"name": name or f"Author {uuid.uuid4().hex[:8]}"})

    @staticmethod
    def book_body(author_id: int, /, **fields: Any) -> dict[str, Any]:
        body = {
            "title": "The Left Hand of Darkness",
            "isbn": new_isbn(),
            "year": 1969,
            "author_id": author_id,
        }
        body.update(fields)
        return body

    def book(self, author_id: int | None = None, /, **fields: Any) -> dict[str, Any]:
        if author_id is None:
            author_id = self.author()["id"]
        return self._post("/v1/books", self.book_body(author_id, **fields))


@pytest.fixture
def library(api: Api) -> Library:
    return Library(api)
