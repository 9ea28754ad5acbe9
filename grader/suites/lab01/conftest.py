"""Fixtures of the lab01 suite: raw TCP connections to the app, closed after each check; the DNS server
/resolve asks (section 7), started before the app so its address is in the app's environment."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from grader.dns import DnsServer
from grader.rawhttp import RawConnection, connect
from grader.runners.base import RunningApp

# Modules in the order of the contract: the report follows it.
ORDER = [
    "resources",
    "requests",
    "bodies",
    "responses",
    "connections",
    "concurrency",
    "dns",
    "notes",
    "static",
]


@pytest.fixture(scope="session")
def dns() -> Iterator[DnsServer]:
    with DnsServer() as server:
        yield server


@pytest.fixture(scope="session")
def app_env(dns: DnsServer, expose_udp: Callable[..., str]) -> dict[str, str]:
    return {"DNS_SERVER": expose_udp(dns.port)}


@pytest.fixture
def raw(app: RunningApp) -> Iterator[Callable[[], RawConnection]]:
    """`raw()` opens a new connection to the app; every one is closed when the check ends."""
    opened: list[RawConnection] = []

    def make() -> RawConnection:
        connection = connect(app.base_url)
        opened.append(connection)
        return connection

    yield make
    for connection in opened:
        connection.close()
