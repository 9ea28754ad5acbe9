"""What a service is: start() gives an Endpoint (URL for the app, URL for the suite), stop() removes it.

Three backends honour the same protocol (tests/test_services.py runs one compliance test on each):
environment (DATABASE_URL / REDIS_URL the learner already has), embedded (servers the grader starts
from Python packages), and containers (testcontainers, under the docker runner).
"""

from __future__ import annotations

import contextlib
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import psycopg
import redis
from psycopg import sql

from grader.runners.base import Endpoint


class Service(Protocol):
    kind: str

    def start(self) -> Endpoint: ...

    def stop(self) -> None: ...


def start_all(services: list[Service]) -> list[Endpoint]:
    """Start services side by side (a database and a cache need not wait for each other)."""
    if len(services) == 1:
        return [services[0].start()]
    with ThreadPoolExecutor(max_workers=len(services)) as pool:
        futures = [pool.submit(service.start) for service in services]
        return [future.result() for future in futures]  # raises the first failure; close() stops the rest


def run_database_name(run_id: str) -> str:
    """A fresh database name per grading run, so two runs never see each other's data."""
    return f"grade_{run_id}_{secrets.token_hex(3)}"


def create_database(admin_url: str, name: str, owner: str | None = None) -> None:
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if owner:
            statement = sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(owner)
            )
        conn.execute(statement)


def drop_database(admin_url: str, name: str) -> None:
    with (
        contextlib.suppress(psycopg.Error),
        psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn,
    ):
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def wait_for_redis(url: str, timeout: float) -> None:
    from grader.polling import eventually

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        eventually(client.ping, timeout=timeout, transient=(redis.RedisError,), what=f"Redis at {url}")
    finally:
        client.close()


def wait_for_postgres(url: str, timeout: float) -> None:
    from grader.polling import eventually

    def probe() -> bool:
        with psycopg.connect(url, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True

    eventually(probe, timeout=timeout, transient=(psycopg.Error,), what=f"PostgreSQL at {url}")
