"""Fixtures of the lab11 suite.

The app talks to the run's database through a statement-counting proxy (grader.pgproxy) that the
suite runs on 127.0.0.1: `app_env` points the app's DATABASE_URL at it. The checks that count
statements run alone, so the proxy sees only their requests. Everything else is made through the API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from grader.pgproxy import PgProxy

# The report follows the contract.
ORDER = [
    "transport",
    "schema",
    "queries",
    "errors",
    "batching",
    "pagination",
    "limits",
    "auth",
    "subscriptions",
]


@pytest.fixture(scope="session")
def pgproxy(database_url: str) -> Iterator[PgProxy]:
    with PgProxy.for_url(database_url) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def app_env(pgproxy: PgProxy, database_url: str, expose: Callable[[int], str]) -> dict[str, str]:
    return {"DATABASE_URL": pgproxy.url(database_url, hostport=expose(pgproxy.port))}
