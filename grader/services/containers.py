"""Services as containers (testcontainers) on a docker run's private network, for the docker runner.

The app reaches them by name (postgres:5432, redis:6379); the suite reaches them through the run's
gateway tunnel on 127.0.0.1. Nothing is published on the host.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from docker.errors import DockerException

from grader.errors import GraderError
from grader.runners.base import Endpoint
from grader.runners.tunnel import Tunnel
from grader.services.base import (
    APP_DB,
    APP_USER,
    NetworkedContainer,
    least_privilege_database,
    redis_acl,
    wait_for_postgres,
    wait_for_redis,
)

POSTGRES_IMAGE = os.environ.get("GRADE_POSTGRES_IMAGE", "postgres:17")
REDIS_IMAGE = os.environ.get("GRADE_REDIS_IMAGE", "redis:8")
os.environ.setdefault(
    "TESTCONTAINERS_RYUK_DISABLED", "true"
)  # the reaper image cannot be assumed; runs clean up


class ContainerService(NetworkedContainer):
    """One service container: start() -> Endpoint, stop() removes it."""

    def __init__(self, kind: str, *, network: str, tunnel: Tunnel, labels: dict[str, str], name: str) -> None:
        super().__init__(network=network, tunnel=tunnel, labels=labels, name=name)
        self.kind = kind
        self.app_password = secrets.token_urlsafe(24)
        self.admin_password = ""

    def _make(self) -> tuple[Any, int, str]:
        """The container, its port, and the app's URL. The image's superuser gets a random password the
        grader keeps; the app's credentials are a role or user of least privilege (see start())."""
        from testcontainers.community.postgres import PostgresContainer
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.wait_strategies import LogMessageWaitStrategy

        if self.kind == "postgres":
            self.admin_password = secrets.token_urlsafe(24)
            postgres = PostgresContainer(
                POSTGRES_IMAGE,
                username="postgres",
                password=self.admin_password,
                dbname="postgres",
                driver=None,
            )
            postgres.with_command(
                "postgres -c shared_preload_libraries=pg_stat_statements -c fsync=off -c max_connections=200"
            )
            return postgres, 5432, f"postgresql://{APP_USER}:{self.app_password}@postgres:5432/{APP_DB}"
        # The ACL goes through a file written by the shell from the environment: on redis-server's
        # command line the password would be readable by any local user (ps).
        redis_container = (
            DockerContainer(REDIS_IMAGE)
            .with_env("REDIS_ACL", redis_acl(self.app_password))
            .with_command(
                [
                    "sh",
                    "-c",
                    'printf "%s" "$REDIS_ACL" > /tmp/users.conf && exec redis-server /tmp/users.conf '
                    "--bind 0.0.0.0 --protected-mode no --save '' --appendonly no",
                ]
            )
            .waiting_for(LogMessageWaitStrategy("Ready to accept connections"))
        )
        return redis_container, 6379, f"redis://{APP_USER}:{self.app_password}@redis:6379/0"

    def start(self) -> Endpoint:
        from testcontainers.core.network import Network

        container, port, app_url = self._make()
        network = Network()
        network.name = self.network  # the run's own network, made by the docker runner
        container.ports = {}  # nothing published: the suite goes through the gateway
        container.with_network(network).with_network_aliases(self.kind).with_name(self.name)
        container.with_kwargs(labels=self.labels, mem_limit="1g")
        self.container = container
        try:
            container.start()
        except (DockerException, TimeoutError, RuntimeError) as exc:
            raise GraderError(
                f"The {self.kind} container did not start: {str(exc).splitlines()[0][:200]}.",
                "Run `grade doctor`, or grade with --runner local.",
            ) from None
        local = self.tunnel.forward(self.kind, port)
        host_url = app_url.replace(f"{self.kind}:{port}", f"127.0.0.1:{local}")
        if self.kind == "postgres":
            admin = f"postgresql://postgres:{self.admin_password}@127.0.0.1:{local}/postgres"
            wait_for_postgres(admin, timeout=30)
            least_privilege_database(admin, self.app_password)
        else:
            wait_for_redis(host_url, timeout=30)
        return Endpoint(kind=self.kind, app_url=app_url, host_url=host_url)


def start_on_network(container: Any, *, kind: str, network: str, name: str, labels: dict[str, str]) -> None:
    """Start a prepared testcontainers container on the run's network as `kind` (its alias), with the
    run's labels and nothing published; a failure is one GraderError sentence."""
    from testcontainers.core.network import Network

    run_network = Network()
    run_network.name = network  # the run's own network, made by the docker runner
    container.ports = {}  # nothing published: the suite goes through the gateway
    container.with_network(run_network).with_network_aliases(kind).with_name(name)
    container.with_kwargs(labels=labels, mem_limit="1g")
    try:
        container.start()
    except (DockerException, TimeoutError, RuntimeError) as exc:
        raise GraderError(
            f"The {kind} container did not start: {str(exc).splitlines()[0][:200]}.",
            "Run `grade doctor`, or grade with --runner local.",
        ) from None


def container_service(kind: str, *, network: str, tunnel: Tunnel, labels: dict[str, str], name: str) -> Any:
    """The container backend of a service kind, for the docker runner."""
    if kind == "rabbitmq":
        from grader.services.rabbitmq import RabbitMQContainer

        return RabbitMQContainer(network=network, tunnel=tunnel, labels=labels, name=name)
    if kind == "mongodb":
        from grader.services.mongodb import MongoContainer

        return MongoContainer(network=network, tunnel=tunnel, labels=labels, name=name)
    return ContainerService(kind, network=network, tunnel=tunnel, labels=labels, name=name)
