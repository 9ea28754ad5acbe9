"""Services the learner already runs, named by DATABASE_URL / REDIS_URL: used as servers only.

Each run gets its own fresh database on that server, and its own empty Redis database number,
so grading never touches the learner's own data and two runs never see each other's.
"""

from __future__ import annotations

import contextlib
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis

from grader.errors import GraderError
from grader.runners.base import Endpoint
from grader.services.base import create_database, drop_database, run_database_name

CLAIM_KEY = "backend-labs:claim:{db}"


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def normalise_postgres_url(url: str) -> str:
    """postgresql+psycopg:// and postgres:// become postgresql://: what apps receive has no driver."""
    scheme, _, rest = url.partition("://")
    if scheme.split("+")[0] not in ("postgresql", "postgres"):
        raise GraderError(
            f"DATABASE_URL={url!r} is not a PostgreSQL URL.", "Use postgresql://user:password@host:port/db."
        )
    return f"postgresql://{rest}"


class PostgresFromEnvironment:
    kind = "postgres"

    def __init__(self, url: str, run_id: str) -> None:
        self.server_url = normalise_postgres_url(url)
        self.name = run_database_name(run_id)
        self.created = False

    def start(self) -> Endpoint:
        try:
            create_database(self.server_url, self.name)
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise GraderError(
                f"Could not create a fresh database on DATABASE_URL's server: {first}.",
                "Grading needs a user allowed to CREATE DATABASE; "
                "or unset DATABASE_URL to use an embedded server.",
            ) from None
        self.created = True
        url = _with_path(self.server_url, "/" + self.name)
        return Endpoint(kind=self.kind, app_url=url, host_url=url)

    def stop(self) -> None:
        if self.created:
            drop_database(self.server_url, self.name)
            self.created = False


class RedisFromEnvironment:
    """Claims an empty database number (1-15) on the learner's Redis for the run, flushes it at the end."""

    kind = "redis"

    def __init__(self, url: str, run_id: str) -> None:
        self.server_url = url
        self.run_id = run_id
        self.db: int | None = None

    def start(self) -> Endpoint:
        try:
            admin = redis.Redis.from_url(self.server_url, socket_connect_timeout=3, socket_timeout=3)
            for db in range(1, 16):
                if not admin.set(CLAIM_KEY.format(db=db), self.run_id, nx=True, ex=3600):
                    continue
                probe = redis.Redis.from_url(_with_path(self.server_url, f"/{db}"), socket_timeout=3)
                if probe.dbsize() == 0:
                    self.db = db
                    break
                admin.delete(CLAIM_KEY.format(db=db))
        except redis.RedisError as exc:
            raise GraderError(
                f"Could not use the Redis at REDIS_URL: {exc}.",
                "Start it, or unset REDIS_URL to use an embedded server.",
            ) from None
        if self.db is None:
            raise GraderError(
                "REDIS_URL's server has no empty database number (1-15) for a grading run.",
                "Free one (FLUSHDB on a database you do not need); "
                "or unset REDIS_URL to use an embedded server.",
            )
        url = _with_path(self.server_url, f"/{self.db}")
        return Endpoint(kind=self.kind, app_url=url, host_url=url)

    def stop(self) -> None:
        if self.db is None:
            return
        with contextlib.suppress(redis.RedisError):
            redis.Redis.from_url(_with_path(self.server_url, f"/{self.db}"), socket_timeout=3).flushdb()
            admin = redis.Redis.from_url(self.server_url, socket_timeout=3)
            if admin.get(CLAIM_KEY.format(db=self.db)) == self.run_id.encode():
                admin.delete(CLAIM_KEY.format(db=self.db))
        self.db = None
