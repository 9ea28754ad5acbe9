"""Services a lab declares (postgres, redis, rabbitmq, mongodb), provided by one of three interchangeable
backends."""

from __future__ import annotations

import os

from grader.services.base import Service
from grader.services.embedded import EmbeddedPostgres, EmbeddedRedis
from grader.services.environment import PostgresFromEnvironment, RedisFromEnvironment

VARIABLES = {
    "postgres": "DATABASE_URL",
    "redis": "REDIS_URL",
    "rabbitmq": "AMQP_URL",
    "mongodb": "MONGODB_URL",
}
FRESH = {
    "postgres": "a fresh database",
    "redis": "a fresh database number",
    "rabbitmq": "a fresh vhost and user",
    "mongodb": "a fresh database",
}


def local_service(kind: str, run_id: str) -> Service:
    """For the local runner: the server named in the kind's variable if set, else an embedded one."""
    url = os.environ.get(VARIABLES[kind], "").strip()
    if kind == "rabbitmq":
        from grader.services.rabbitmq import EmbeddedRabbitMQ, RabbitMQFromEnvironment

        return RabbitMQFromEnvironment(url, run_id) if url else EmbeddedRabbitMQ()
    if kind == "mongodb":
        from grader.services.mongodb import EmbeddedMongo, MongoFromEnvironment

        return MongoFromEnvironment(url, run_id) if url else EmbeddedMongo()
    if kind == "postgres":
        return PostgresFromEnvironment(url, run_id) if url else EmbeddedPostgres()
    return RedisFromEnvironment(url, run_id) if url else EmbeddedRedis()


def describe_local(kind: str) -> str:
    """One line for `grade doctor` and the start of a run: which backend the local runner will use."""
    variable = VARIABLES[kind]
    if os.environ.get(variable, "").strip():
        return f"{kind}: the server in {variable} ({FRESH[kind]} per run)"
    return f"{kind}: embedded ({variable} is not set)"
