"""Services as containers (testcontainers) on a docker run's private network, for the docker runner.

The app reaches them by name (postgres:5432, redis:6379); the suite reaches them through the run's
gateway tunnel on 127.0.0.1. Nothing is published on the host.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from docker.errors import DockerException

from grader.errors import GraderError
from grader.runners.base import Endpoint
from grader.runners.tunnel import Tunnel
from grader.services.base import wait_for_postgres, wait_for_redis

POSTGRES_IMAGE = os.environ.get("GRADE_POSTGRES_IMAGE", "postgres:17")
REDIS_IMAGE = os.environ.get("GRADE_REDIS_IMAGE", "redis:8")
os.environ.setdefault(
    "TESTCONTAINERS_RYUK_DISABLED", "true"
)  # the reaper image cannot be assumed; runs clean up


class ContainerService:
    """One service container: start() -> Endpoint, stop() removes it."""

    def __init__(self, kind: str, *, network: str, tunnel: Tunnel, labels: dict[str, str], name: str) -> None:
        self.kind = kind
        self.network = network
        self.tunnel = tunnel
        self.labels = labels
        self.name = name
        self.container: Any = None

    def _make(self) -> tuple[Any, int, str]:
        from testcontainers.community.postgres import PostgresContainer
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.wait_strategies import LogMessageWaitStrategy

        if self.kind == "postgres":
            container = PostgresContainer(
                POSTGRES_IMAGE, username="lab", password="lab", dbname="lab", driver=None
            )
            container.with_command(
                "postgres -c shared_preload_libraries=pg_stat_statements -c fsync=off -c max_connections=200"
            )
            return container, 5432, "postgresql://lab:lab@postgres:5432/lab"
        container = DockerContainer(REDIS_IMAGE).waiting_for(
            LogMessageWaitStrategy("Ready to accept connections")
        )
        return container, 6379, "redis://redis:6379/0"

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
            wait_for_postgres(host_url, timeout=30)
            import psycopg

            with psycopg.connect(host_url, autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        else:
            wait_for_redis(host_url, timeout=30)
        return Endpoint(kind=self.kind, app_url=app_url, host_url=host_url)

    def stop(self) -> None:
        if self.container is not None:
            with contextlib.suppress(Exception):
                self.container.stop()
            self.container = None
