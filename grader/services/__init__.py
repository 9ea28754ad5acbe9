"""Services a lab declares (postgres, redis), provided by one of three interchangeable backends."""

from __future__ import annotations

import os

from grader.services.base import Service
from grader.services.embedded import EmbeddedPostgres, EmbeddedRedis
from grader.services.environment import PostgresFromEnvironment, RedisFromEnvironment

VARIABLES = {"postgres": "DATABASE_URL", "redis": "REDIS_URL"}


def local_service(kind: str, run_id: str) -> Service:
    """For the local runner: the server named in DATABASE_URL / REDIS_URL if set, else an embedded one."""
    url = os.environ.get(VARIABLES[kind], "").strip()
    if kind == "postgres":
        return PostgresFromEnvironment(url, run_id) if url else EmbeddedPostgres()
    return RedisFromEnvironment(url, run_id) if url else EmbeddedRedis()


def describe_local(kind: str) -> str:
    """One line for `grade doctor` and the start of a run: which backend the local runner will use."""
    variable = VARIABLES[kind]
    if os.environ.get(variable, "").strip():
        fresh = "database" if kind == "postgres" else "database number"
        return f"{kind}: the server in {variable} (a fresh {fresh} per run)"
    return f"{kind}: embedded ({variable} is not set)"
