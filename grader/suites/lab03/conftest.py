"""Fixtures of the lab03 suite: the contract's settings, the identity provider, a short-lived instance."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import pytest
from lab03_auth import SHORT_ENV
from lab03_oidc import Provider

from grader.stub import StubServer


@pytest.fixture(scope="session")
def env(lab) -> Mapping[str, str]:
    """The variables the contract names, as the grader sets them (lab.toml [app.env])."""
    return lab.app.env


@pytest.fixture(scope="session")
def provider(lab, expose: Callable[[int], str]) -> Iterator[Provider]:
    with StubServer() as stub:
        yield Provider(
            stub=stub,
            issuer=f"http://{expose(stub.port)}",
            client_id=lab.app.env["OIDC_CLIENT_ID"],
            client_secret=lab.app.env["OIDC_CLIENT_SECRET"],
        ).install()


@pytest.fixture(scope="session")
def app_env(provider: Provider) -> dict[str, str]:
    return {"OIDC_ISSUER": provider.issuer}


@pytest.fixture(scope="session")
def short_app(start_app):
    """Another instance of the submission on the same database, with the SHORT_ENV values."""
    return start_app(env=SHORT_ENV)


# The report follows the contract's order, and `needs` may point at earlier categories (pytest would
# otherwise run the modules alphabetically).
ORDER = [
    "registration",
    "passwords",
    "tokens",
    "refresh",
    "sessions",
    "rbac",
    "api_keys",
    "bruteforce",
    "lifetimes",
    "oidc",
]
