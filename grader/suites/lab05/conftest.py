"""Fixtures of the lab05 suite.

The app's upstream is a catalog this suite runs (a StubServer): the app gets its address through
`app_env`, under every runner. Every request carries a fresh `X-Client-Id` unless the check sets
one, so the rate limit only ever meets the checks that are about it. Extra instances: `second`
shares the run's Redis, `no_redis` points REDIS_URL at a closed loopback port, `no_upstream` does the
same with UPSTREAM_URL.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from lab05_support import Catalog, Settings

from grader.checks import fail
from grader.http import Api
from grader.runners.base import AppStartError, RunningApp
from grader.stub import StubServer

ORDER = [
    "cache_aside",
    "invalidation",
    "stampede",
    "upstream_failure",
    "http_caching",
    "rate_limit",
    "redis_down",
]
# Nothing listens on port 1 of loopback, in any runner: a refused connection, at once.
CLOSED_REDIS = "redis://127.0.0.1:1/0"
CLOSED_UPSTREAM = "http://127.0.0.1:1"


@pytest.fixture(scope="session")
def catalog() -> Iterator[Catalog]:
    with StubServer() as stub:
        yield Catalog(stub)


@pytest.fixture(scope="session")
def app_env(catalog: Catalog, expose: Callable[[int], str]) -> dict[str, str]:
    return {"UPSTREAM_URL": f"http://{expose(catalog.stub.port)}"}


def _fresh_client_id(request: httpx.Request) -> None:
    if "x-client-id" not in request.headers:
        request.headers["X-Client-Id"] = f"grader-{uuid.uuid4().hex[:12]}"


def with_client_ids(client: Api) -> Api:
    client.event_hooks["request"].append(_fresh_client_id)
    return client


@pytest.fixture(autouse=True)
def _client_ids(api: Api) -> None:
    with_client_ids(api)


@dataclass
class Instance:
    app: RunningApp | None
    problem: str = ""
    log_tail: str = ""


def _start(start_app: Callable[..., RunningApp], env: dict[str, str | None]) -> Instance:
    try:
        return Instance(start_app(env=env))
    except AppStartError as exc:
        return Instance(None, exc.reason, exc.log_tail)


@pytest.fixture(scope="session")
def second(start_app: Callable[..., RunningApp]) -> Instance:
    """Another instance of the submission on the same Redis."""
    return _start(start_app, {})


@pytest.fixture(scope="session")
def no_redis(start_app: Callable[..., RunningApp]) -> Instance:
    """An instance whose REDIS_URL points where nothing listens."""
    return _start(start_app, {"REDIS_URL": CLOSED_REDIS})


def _client_of(instance: Instance, new_api: Callable[..., Api], what: str) -> Api:
    if instance.app is None:
        tail = instance.log_tail.strip().splitlines()[-1:] or [""]
        fail(
            f"{what} did not start: {instance.problem}. {tail[0][:200]}".strip(),
            expected="GET /health answering 200",
            actual=instance.problem,
        )
    return with_client_ids(new_api(instance.app))


@pytest.fixture(scope="session")
def no_upstream(start_app: Callable[..., RunningApp]) -> Instance:
    """An instance whose UPSTREAM_URL points where nothing listens."""
    return _start(start_app, {"UPSTREAM_URL": CLOSED_UPSTREAM})


@pytest.fixture
def other_api(second: Instance, new_api: Callable[..., Api]) -> Api:
    """A client of the second instance (same Redis, same catalog)."""
    return _client_of(second, new_api, "A second instance of the app (same REDIS_URL)")


@pytest.fixture
def no_redis_api(no_redis: Instance, new_api: Callable[..., Api]) -> Api:
    return _client_of(no_redis, new_api, f"An instance with REDIS_URL={CLOSED_REDIS}")


@pytest.fixture(scope="session")
def cfg(lab: object) -> Settings:
    env = lab.app.env  # type: ignore[attr-defined]
    return Settings(
        ttl=int(env["CACHE_TTL_SECONDS"]),
        stale=int(env["CACHE_STALE_SECONDS"]),
        timeout=float(env["UPSTREAM_TIMEOUT_SECONDS"]),
        limit=int(env["RATE_LIMIT"]),
        window=int(env["RATE_WINDOW_SECONDS"]),
    )


@pytest.fixture
def no_upstream_api(no_upstream: Instance, new_api: Callable[..., Api]) -> Api:
    return _client_of(no_upstream, new_api, f"An instance with UPSTREAM_URL={CLOSED_UPSTREAM}")
