"""Fixtures of the lab11 suite.

The app talks to the run's database through a statement-counting proxy (grader.pgproxy) that the
suite runs on 127.0.0.1: `app_env` points the app's DATABASE_URL at it. The checks that count
statements run alone, so the proxy sees only their requests. Everything else is made through the API.
"""

from __future__ import annotations

import pytest

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
def app_env(pgproxy_env: dict[str, str]) -> dict[str, str]:
    """The app reaches the database through the plugin's `pgproxy`."""
    return pgproxy_env
