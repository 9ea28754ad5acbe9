"""What a service is: start() gives an Endpoint (URL for the app, URL for the suite), stop() removes it.

Three backends honour the same protocol (tests/test_services.py runs one compliance test on each):
environment (DATABASE_URL / REDIS_URL the learner already has), embedded (servers the grader starts
from Python packages), and containers (testcontainers, under the docker runner).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import psycopg
import redis
from psycopg import sql
from psycopg.conninfo import make_conninfo

from grader.runners.base import Endpoint

T = TypeVar("T")

if TYPE_CHECKING:
    from grader.runners.tunnel import Tunnel

APP_USER, APP_DB = "lab", "lab"  # the app's role (or user) and database on the services a run starts


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


class ServerExited(Exception):
    """The server process we started exited before it was ready (a taken port, most often)."""


def _while_alive(probe: Callable[[], T], alive: Callable[[], bool] | None) -> Callable[[], T]:
    def guarded() -> T:
        if alive is not None and not alive():
            raise ServerExited("the server exited before it was ready")
        return probe()

    return guarded


def wait_for_redis(url: str, timeout: float, alive: Callable[[], bool] | None = None) -> None:
    from grader.polling import eventually

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        eventually(
            _while_alive(client.ping, alive),
            timeout=timeout,
            transient=(redis.RedisError,),
            what=f"Redis at {url}",
        )
    finally:
        client.close()


def wait_for_postgres(url: str, timeout: float, alive: Callable[[], bool] | None = None) -> None:
    from grader.polling import eventually

    def probe() -> bool:
        with psycopg.connect(url, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True

    eventually(
        _while_alive(probe, alive), timeout=timeout, transient=(psycopg.Error,), what=f"PostgreSQL at {url}"
    )


def least_privilege_database(admin: str, password: str) -> None:
    """The app's role (APP_USER) owns its database (APP_DB) and nothing else: no superuser, no
    CREATEDB/CREATEROLE, so no COPY ... PROGRAM and no ALTER SYSTEM; no connection to the others."""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD {}"
            ).format(sql.Identifier(APP_USER), sql.Literal(password))
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(APP_DB), sql.Identifier(APP_USER))
        )
        for database in ("postgres", "template1", APP_DB):
            conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)))
        conn.execute(
            sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
                sql.Identifier(APP_DB), sql.Identifier(APP_USER)
            )
        )
    with psycopg.connect(make_conninfo(admin, dbname=APP_DB), autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(APP_USER)))
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")


def redis_acl(password: str) -> str:
    """Redis users as a config file: no default user; the app's user runs every command but the
    server's administration (CONFIG, MODULE, DEBUG, SHUTDOWN, REPLICAOF, ...) and MIGRATE: it cannot
    make the server write files where it likes, load code, or reach another server."""
    return f"user default off\nuser {APP_USER} on >{password} ~* &* +@all -@admin -migrate\n"


class NetworkedContainer:
    """A service container on the docker run's network: where it lives, and stop() that removes it.
    Subclasses prepare and start `self.container` (a testcontainers container) in start()."""

    def __init__(self, *, network: str, tunnel: Tunnel, labels: dict[str, str], name: str) -> None:
        self.network = network
        self.tunnel = tunnel
        self.labels = labels
        self.name = name
        self.container: Any = None

    def stop(self) -> None:
        if self.container is not None:
            with contextlib.suppress(Exception):
                self.container.stop()
            self.container = None
