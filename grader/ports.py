"""Free loopback ports, and starting a server on one when another process may take it first.

A port found free is released before the server binds it, so a parallel grade (or anything else) can
take it in between. Whoever starts a server on such a port says how it learns that the port was lost
(the server exited with "address in use", or the listener is not its own) by raising `PortLost`;
`on_a_free_port` then starts it again on another port. Used by the runners and the embedded services.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

PORT_ATTEMPTS = 3  # three ports lost in a row means something else is wrong: the last error is reported


class PortLost(Exception):
    """The server's port was taken by another process before the server bound it."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (another process may take it before you do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def on_a_free_port(start: Callable[[int], T], *, attempts: int = PORT_ATTEMPTS) -> T:
    """`start(port)` on a port found free; when it raises `PortLost`, again on another port.

    `start` cleans up after itself before it raises. The last attempt's `PortLost` propagates."""
    for attempt in range(attempts):
        try:
            return start(free_port())
        except PortLost:
            if attempt + 1 == attempts:
                raise
    raise AssertionError("unreachable")
