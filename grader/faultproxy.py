"""A TCP proxy between the app and one of its services that a suite can cut and restore.

Fault injection for checks such as "the app keeps its events while the broker is down and sends them
when it comes back" (an outbox): the suite points the app's service variable at the proxy (in its
``app_env``), and during a check makes the service unavailable to the app, then brings it back:

    with FaultProxy("127.0.0.1", 5672) as proxy:          # upstream: where the host reaches the service
        app_url = proxy.url(endpoint.app_url, hostport=expose(proxy.port))
        ...
        with proxy.outage():                               # every open connection is reset,
            api.post("/orders", json=...)                  # and new ones are reset at once
        eventually(lambda: proxy.accepted > before, ...)   # the app connected again

The plugin's ``service_proxy(kind)`` and ``broker_proxy`` fixtures build one for a service of the run
(see docs/authoring.md). Under the docker runner the proxy runs on the host like here and the app
reaches it through the gateway (``expose``): a reset on the host side reaches the app as a reset.

Only the service's own bytes pass, untouched; the proxy never reads them. Standard library only; one
event loop on a daemon thread; bounded: at most ``max_connections`` open connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine, Iterator
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from grader.runners.gateway import relay, reset

T = TypeVar("T")

CONNECT_TIMEOUT = 5.0
STREAM_LIMIT = 64 * 1024


class FaultProxy:
    """A plain TCP relay on ``host:port`` (default 127.0.0.1 and a free port) in front of one server."""

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_connections: int = 512,
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.host = host
        self._requested_port = port
        self.max_connections = max_connections
        self.port = 0
        self.app_url: str | None = None  # set by the plugin's service_proxy: the URL the app is given
        self.accepted = 0  # connections relayed since start (not those refused during an outage)
        self.refused = 0  # connections reset because the service was cut
        self._down = False
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None

    @classmethod
    def for_url(cls, url: str, default_port: int, **kwargs: object) -> FaultProxy:
        """A proxy in front of the server a URL names (its host and port, or `default_port`)."""
        parts = urlsplit(url)
        return cls(parts.hostname or "127.0.0.1", parts.port or default_port, **kwargs)  # type: ignore[arg-type]

    def url(self, url: str, *, hostport: str | None = None) -> str:
        """`url` with host:port replaced by the proxy's (or by `hostport`: the proxy as the app sees it);
        the scheme, credentials, path and query stay."""
        parts = urlsplit(url)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = (userinfo + "@" if "@" in parts.netloc else "") + (hostport or f"{self.host}:{self.port}")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

    # -- faults -----------------------------------------------------------------------------------

    @property
    def down(self) -> bool:
        return self._down

    @property
    def connections(self) -> int:
        """Connections relayed right now."""
        return len(self._pairs)

    def cut(self) -> None:
        """Make the service unavailable: reset every open connection, and every new one until restore()."""
        self._call(self._cut())

    def restore(self) -> None:
        """Relay new connections again (the app has to connect anew: the old ones are gone)."""
        self._down = False

    @contextlib.contextmanager
    def outage(self) -> Iterator[FaultProxy]:
        """The service is unavailable during the block, available again after it, even on an error."""
        self.cut()
        try:
            yield self
        finally:
            self.restore()

    async def _cut(self) -> None:
        self._down = True
        for pair in list(self._pairs):
            for writer in pair:
                reset(writer)

    # -- life cycle -------------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        if self._thread is not None:
            return self
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="faultproxy", daemon=True)
        self._thread.start()
        try:
            server = self._call(
                asyncio.start_server(self._accept, self.host, self._requested_port, limit=STREAM_LIMIT)
            )
        except BaseException:
            self.stop()
            raise
        self._server = server
        self.port = int(server.sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        """Close the listener and every connection; safe to call twice."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if loop.is_running():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        if not thread.is_alive():
            loop.close()
        self._loop = self._thread = self._server = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _call(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        assert self._loop is not None, "start() first"
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for pair in list(self._pairs):
            for writer in pair:
                writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)

    # -- one connection ---------------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._down or len(self._tasks) >= self.max_connections:
            self.refused += 1
            reset(writer)  # the app learns at once that the service is not there
            return
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            try:
                up_reader, up_writer = await asyncio.wait_for(
                    asyncio.open_connection(*self.upstream, limit=STREAM_LIMIT), CONNECT_TIMEOUT
                )
            except (OSError, TimeoutError):
                reset(writer)
                return
            if self._down:  # cut while connecting
                reset(writer)
                reset(up_writer)
                return
            self.accepted += 1
            pair = (writer, up_writer)
            self._pairs.add(pair)
            try:
                await relay(reader, writer, up_reader, up_writer)
            finally:
                self._pairs.discard(pair)
        except asyncio.CancelledError:
            writer.transport.abort()  # shutdown; not re-raised (3.11's stream server logs it as an error)
        finally:
            self._tasks.discard(task)
