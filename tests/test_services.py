"""One compliance test for every service backend: environment, embedded and containers behave alike.

Each must start an empty service, isolate two runs from each other, give the app and the suite URLs
that reach it, and leave nothing behind when stopped.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

import psycopg
import pytest
import redis

from grader.manifest import AppSection, Manifest
from grader.services.base import Service
from grader.services.embedded import EmbeddedPostgres, EmbeddedRedis
from grader.services.environment import PostgresFromEnvironment, RedisFromEnvironment
from tests.conftest import IN_CI

LOCAL_PG = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
LOCAL_REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
MANIFEST = Manifest(
    id="lab99",
    slug="services",
    title="services test",
    stage="Databases",
    app=AppSection(command="python -m app"),
)


def _reachable(kind: str) -> bool:
    try:
        if kind == "postgres":
            psycopg.connect(LOCAL_PG, connect_timeout=2).close()
        else:
            redis.Redis.from_url(LOCAL_REDIS, socket_connect_timeout=2).ping()
        return True
    except (psycopg.Error, redis.RedisError):
        return False


@pytest.fixture(params=["environment", "embedded", pytest.param("containers", marks=pytest.mark.docker)])
def make_service(request: pytest.FixtureRequest) -> Iterator[Callable[[str], Service]]:
    made: list[Service] = []
    cleanup: list[Callable[[], None]] = []

    def make(kind: str) -> Service:
        if request.param == "environment":
            if not _reachable(kind):
                message = f"no local {kind} to use as DATABASE_URL / REDIS_URL"
                pytest.fail(message) if IN_CI else pytest.skip(message)
            service: Service = (
                PostgresFromEnvironment(LOCAL_PG, "svc")
                if kind == "postgres"
                else RedisFromEnvironment(LOCAL_REDIS, "svc")
            )
        elif request.param == "embedded":
            service = EmbeddedPostgres() if kind == "postgres" else EmbeddedRedis()
        else:
            from grader.runners.docker import DockerRunner
            from grader.services.containers import ContainerService

            runner = DockerRunner(MANIFEST)
            cleanup.append(runner.close)
            tunnel = runner._ensure_network()
            service = ContainerService(
                kind,
                network=runner.network.name,
                tunnel=tunnel,
                labels=runner.labels,
                name=f"backend-labs-{runner.run_id}-{kind}",
            )
        made.append(service)
        return service

    yield make
    for service in made:
        with contextlib.suppress(Exception):
            service.stop()
    for step in cleanup:
        step()


def test_postgres_starts_empty_isolated_and_is_removed(make_service):
    first, second = make_service("postgres"), make_service("postgres")
    one, two = first.start(), second.start()
    assert one.variable == "DATABASE_URL"
    assert one.app_url.startswith("postgresql://")
    assert one.host_url != two.host_url
    with psycopg.connect(one.host_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)
        conn.execute("CREATE TABLE marker (id int)")
    with psycopg.connect(two.host_url, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('public.marker')").fetchone() == (None,)
    first.stop()
    with pytest.raises(psycopg.Error):
        psycopg.connect(one.host_url, connect_timeout=2).close()
    second.stop()
    second.stop()  # stopping twice is harmless


def test_redis_starts_empty_isolated_and_is_emptied(make_service):
    first, second = make_service("redis"), make_service("redis")
    one, two = first.start(), second.start()
    assert one.variable == "REDIS_URL"
    assert one.app_url.startswith("redis://")
    a = redis.Redis.from_url(one.host_url)
    b = redis.Redis.from_url(two.host_url)
    assert a.dbsize() == 0
    a.set("marker", "1")
    assert b.get("marker") is None
    first.stop()
    try:
        remaining = redis.Redis.from_url(one.host_url, socket_connect_timeout=1).dbsize()
    except redis.RedisError:
        remaining = 0  # the server is gone: nothing left either
    assert remaining == 0
    second.stop()
