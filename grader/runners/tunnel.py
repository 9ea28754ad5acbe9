"""Host side of the docker run's gateway (see ``grader/runners/gateway.py`` for the protocol).

Under the docker runner the app and its services sit on an ``--internal`` network: the host cannot
reach them by a published port (there is none) nor, on Docker Desktop, by address. The run's gateway
container publishes one port on the host's loopback; a ``Tunnel`` turns it into what a suite needs:

* ``forward("app", 8000)`` -> a port on 127.0.0.1 of the host that reaches ``app:8000``;
* ``reverse(port, local)`` -> ``"gateway:<port>"``, an address the app dials to reach a server the suite
  runs on the host's 127.0.0.1 (an upstream stub, a database proxy, an identity provider).
* ``reverse_udp(port, local)`` -> ``"gateway:<port>"`` for UDP: datagrams the app sends there reach
  127.0.0.1:<local> of the host (a DNS server the suite runs), and the answers come back.

The suite is synchronous (pytest, httpx), so the tunnel runs its own asyncio loop in one daemon thread
and its methods block until the loop has done the work.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar

from grader.runners.gateway import (
    BACKLOG,
    MAX_UDP_CLIENTS,
    STREAM_LIMIT,
    UDP_BACKLOG,
    UDP_HEADER,
    relay,
    reset,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

CONNECT_TIMEOUT = 5.0  # opening a mux connection to the gateway (it is on loopback: fast or broken)
ANSWER_TIMEOUT = 7.0  # the gateway's own connect timeout is 5 s: its answer comes within that
CLOSE_TIMEOUT = 5.0
RETRY_FIRST = 0.05  # slot workers retry a lost gateway with a backoff from this ...
RETRY_MAX = 2.0  # ... up to this


class TunnelError(Exception):
    """The gateway refused or could not be reached; the message says which and why."""


@dataclass
class _Reverse:
    remote_port: int
    local_port: int
    ready: asyncio.Future[None]
    workers: list[asyncio.Task[None]] = field(default_factory=list)


class _UdpAnswers(asyncio.DatagramProtocol):
    """What the host's server answers one app address: framed back to the gateway under its id."""

    def __init__(self, writer: asyncio.StreamWriter, client: int) -> None:
        self.writer = writer
        self.client = client

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if not self.writer.is_closing() and self.writer.transport.get_write_buffer_size() <= UDP_BACKLOG:
            self.writer.write(UDP_HEADER.pack(self.client, len(data)) + data)

    def error_received(self, exc: Exception) -> None:
        pass  # nothing listens there (ICMP port unreachable): the datagram is lost, as UDP allows


class Tunnel:
    """Forward and reverse TCP through one gateway; thread-safe, blocking, closed by ``close()``."""

    def __init__(
        self, gateway_host: str, gateway_port: int, token: str, *, wait: float | None = 10.0
    ) -> None:
        """Start the tunnel's loop; with `wait`, also wait that long for the gateway to answer (a
        container's port is published before the program in it listens), raising TunnelError if not."""
        if not token or any(c.isspace() for c in token):
            raise ValueError("the token must be a non-empty word (it travels on a space-separated line)")
        self.gateway_host = gateway_host
        self.gateway_port = gateway_port
        self._token = token
        self._loop = asyncio.new_event_loop()
        self._forwards: dict[tuple[str, int], asyncio.Task[tuple[asyncio.AbstractServer, int]]] = {}
        self._reverses: dict[int, _Reverse] = {}
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        self._lock = threading.Lock()  # guards _closed against close() racing a call from another thread
        self._thread = threading.Thread(
            target=self._run, name=f"tunnel-{gateway_host}:{gateway_port}", daemon=True
        )
        self._thread.start()
        if wait:
            try:
                self.wait_ready(wait)
            except BaseException:
                self.close()
                raise

    # -- public, called from any thread but the tunnel's own ------------------------------------------

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Poll the gateway (PING) until it answers OK; TunnelError after `timeout` or on a refusal."""
        self._call(self._wait_ready(timeout), timeout + 1.0)

    def forward(self, host: str, port: int) -> int:
        """Listen on 127.0.0.1 of the host and relay each connection to host:port inside the run.

        Returns the local port. Calling it again for the same target returns the same port. The target
        is not contacted until a client connects; if it cannot be reached then, that client's
        connection is reset (the gateway's reason is logged at debug level).
        """
        return self._call(self._forward(host, port), CONNECT_TIMEOUT)

    def reverse(self, remote_port: int, local_port: int, slots: int = 16) -> str:
        """Let the app reach 127.0.0.1:<local_port> of the host as ``gateway:<remote_port>``.

        Keeps ``slots`` idle connections parked at the gateway, each ready to carry one app connection;
        a used slot is replaced at once, so bursts larger than ``slots`` only wait a round trip.
        Returns once every slot is parked (so the port is listening), or raises TunnelError with the
        gateway's reason (bad token, port taken). Same remote and local port again: a no-op.
        """
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self._call(self._reverse(remote_port, local_port, slots), CONNECT_TIMEOUT + ANSWER_TIMEOUT)
        return f"gateway:{remote_port}"

    def reverse_udp(self, remote_port: int, local_port: int) -> str:
        """Let the app send UDP datagrams to ``gateway:<remote_port>`` and have them reach
        127.0.0.1:<local_port> of the host; answers go back to the app's address.

        Each address the app sends from gets its own socket here (like a NAT), so a server that answers
        each datagram where it came from works unchanged. Returns once the gateway bound the port, or
        raises TunnelError with the gateway's reason. Same ports again: a no-op. A relay connection that
        breaks is opened again (the gateway binds the port anew)."""
        self._call(self._reverse_udp(remote_port, local_port), CONNECT_TIMEOUT + ANSWER_TIMEOUT)
        return f"gateway:{remote_port}"

    def close(self) -> None:
        """Stop the listeners, drop every connection, stop the loop and join its thread (bounded)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._thread.is_alive():
            deadline = time.monotonic() + CLOSE_TIMEOUT  # the whole of close(), join included
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
            try:
                future.result(CLOSE_TIMEOUT * 0.8)
            except (concurrent.futures.TimeoutError, RuntimeError) as exc:
                log.warning("tunnel shutdown incomplete: %r", exc)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(max(0.1, deadline - time.monotonic()))

    def __enter__(self) -> Tunnel:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- the loop thread -------------------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    def _call(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run coro on the tunnel's loop and wait for it (a deadlock if called from that loop)."""
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("Tunnel methods block: do not call them from the tunnel's own loop")
        with self._lock:
            if self._closed:
                coro.close()
                raise TunnelError("the tunnel is closed")
            future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TunnelError(f"the tunnel did not answer within {timeout:g} s") from None

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Start a task and keep a reference (the loop only keeps weak ones) until it ends."""
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _open(self, line: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Open a mux connection, send one command line and return once the gateway answered OK."""
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.gateway_host, self.gateway_port, limit=STREAM_LIMIT),
                CONNECT_TIMEOUT,
            )
        except (TimeoutError, OSError) as exc:
            raise TunnelError(
                f"gateway {self.gateway_host}:{self.gateway_port} unreachable: {exc!r}"
            ) from None
        self._writers.add(writer)
        try:
            writer.write(line.encode() + b"\n")
            await writer.drain()
            answer = await asyncio.wait_for(reader.readuntil(b"\n"), ANSWER_TIMEOUT)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            self._drop(writer)
            raise TunnelError(f"gateway gave no answer: {exc!r}") from None
        if answer != b"OK\n":
            self._drop(writer)
            reason = answer.decode("ascii", "replace").strip()
            raise TunnelError(f"gateway refused: {reason.removeprefix('ERR ')}")
        return reader, writer

    def _drop(self, writer: asyncio.StreamWriter) -> None:
        """Reset a connection that cannot be served, so its peer sees a failure, not an empty answer."""
        reset(writer)
        self._writers.discard(writer)

    async def _pipe(
        self,
        r1: asyncio.StreamReader,
        w1: asyncio.StreamWriter,
        r2: asyncio.StreamReader,
        w2: asyncio.StreamWriter,
    ) -> None:
        self._writers.update((w1, w2))
        try:
            await relay(r1, w1, r2, w2)
        finally:
            self._writers.discard(w1)
            self._writers.discard(w2)

    async def _wait_ready(self, timeout: float) -> None:
        deadline = self._loop.time() + timeout
        delay = 0.01
        while True:
            try:
                _, writer = await self._open(f"PING {self._token}")
            except TunnelError as exc:
                if "refused" in str(exc):
                    raise  # a wrong token will not get better
                if self._loop.time() + delay > deadline:
                    raise TunnelError(f"the gateway did not come up within {timeout:g} s: {exc}") from None
                await asyncio.sleep(delay)  # bounded polling of a process that is starting
                delay = min(delay * 1.5, 0.2)
                continue
            self._writers.discard(writer)
            writer.close()
            return

    # forward ------------------------------------------------------------------------------------------

    async def _forward(self, host: str, port: int) -> int:
        key = (host, port)
        task = self._forwards.get(key)
        if task is None:
            task = self._forwards[key] = self._loop.create_task(self._listen_forward(host, port))
        try:
            _, local_port = await asyncio.shield(task)  # a caller timing out must not cancel it for all
        except Exception:
            if self._forwards.get(key) is task:
                del self._forwards[key]
            raise
        return local_port

    async def _listen_forward(self, host: str, port: int) -> tuple[asyncio.AbstractServer, int]:
        async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self._writers.add(writer)
            try:
                mux_reader, mux_writer = await self._open(f"CONNECT {self._token} {host} {port}")
            except TunnelError as exc:
                log.debug("forward to %s:%s: %s", host, port, exc)
                self._drop(writer)  # a reset: the client knows at once that nothing is there
                return
            except asyncio.CancelledError:
                # close(). Not re-raised: Python 3.11's stream server logs a cancelled handler as an error.
                self._drop(writer)
                return
            with contextlib.suppress(asyncio.CancelledError):  # the same
                await self._pipe(reader, writer, mux_reader, mux_writer)

        server = await asyncio.start_server(accepted, "127.0.0.1", 0, limit=STREAM_LIMIT, backlog=BACKLOG)
        return server, int(server.sockets[0].getsockname()[1])

    # reverse ------------------------------------------------------------------------------------------

    async def _reverse(self, remote_port: int, local_port: int, slots: int) -> None:
        existing = self._reverses.get(remote_port)
        if existing is not None:
            if existing.local_port != local_port:
                raise ValueError(
                    f"gateway:{remote_port} already leads to port {existing.local_port}, not {local_port}"
                )
            await asyncio.shield(existing.ready)
            return
        reverse = self._reverses[remote_port] = _Reverse(remote_port, local_port, self._loop.create_future())
        firsts = [self._loop.create_future() for _ in range(slots)]
        reverse.workers = [self._spawn(self._slot_worker(reverse, first)) for first in firsts]
        try:
            await asyncio.gather(*firsts)
        except BaseException as exc:
            for worker in reverse.workers:
                worker.cancel()
            for first in firsts:  # retrieve the other refusals too (all say the same)
                if first.done() and not first.cancelled():
                    first.exception()
            del self._reverses[remote_port]
            reverse.ready.set_exception(exc if isinstance(exc, Exception) else TunnelError("cancelled"))
            reverse.ready.exception()  # retrieved: nobody else may be waiting on it
            raise
        reverse.ready.set_result(None)

    async def _slot_worker(self, reverse: _Reverse, first: asyncio.Future[None]) -> None:
        """Keep one slot parked at the gateway; on GO, hand it to a relay and park a new one at once."""
        delay = RETRY_FIRST
        line = f"LISTEN {self._token} {reverse.remote_port}"
        while True:
            try:
                reader, writer = await self._open(line)
            except TunnelError as exc:
                if not first.done():
                    first.set_exception(exc)
                    return
                # One warning per outage, not one per retry: a gateway removed before close() is no flood.
                level = logging.WARNING if delay == RETRY_FIRST else logging.DEBUG
                log.log(level, "reverse gateway:%s: %s; retrying", reverse.remote_port, exc)
                await asyncio.sleep(delay)  # backoff against a gateway that went away, not synchronisation
                delay = min(delay * 2, RETRY_MAX)
                continue
            if not first.done():
                first.set_result(None)
            delay = RETRY_FIRST
            try:
                go = await reader.readuntil(b"\n")  # parked until the app connects
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                self._drop(writer)  # the gateway dropped the slot: park another
                continue
            if go != b"GO\n":
                log.warning(
                    "reverse gateway:%s: unexpected %r from the gateway", reverse.remote_port, go[:40]
                )
                self._drop(writer)
                continue
            self._spawn(self._reverse_connection(reverse, reader, writer))

    async def _reverse_connection(
        self, reverse: _Reverse, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            local_reader, local_writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", reverse.local_port, limit=STREAM_LIMIT), CONNECT_TIMEOUT
            )
        except (TimeoutError, OSError) as exc:
            log.debug("reverse gateway:%s -> 127.0.0.1:%s: %r", reverse.remote_port, reverse.local_port, exc)
            self._drop(writer)  # the app sees its connection reset
            return
        await self._pipe(reader, writer, local_reader, local_writer)

    # reverse UDP --------------------------------------------------------------------------------------

    async def _reverse_udp(self, remote_port: int, local_port: int) -> None:
        udp: dict[int, _Reverse] = self.__dict__.setdefault("_udp_reverses", {})  # loop thread only
        existing = udp.get(remote_port)
        if existing is not None:
            if existing.local_port != local_port:
                raise ValueError(
                    f"gateway:{remote_port}/udp already leads to port {existing.local_port}, not {local_port}"
                )
            await asyncio.shield(existing.ready)
            return
        reverse = udp[remote_port] = _Reverse(remote_port, local_port, self._loop.create_future())
        first: asyncio.Future[None] = self._loop.create_future()
        reverse.workers = [self._spawn(self._udp_worker(reverse, first))]
        try:
            await first
        except BaseException as exc:
            del udp[remote_port]
            reverse.ready.set_exception(exc if isinstance(exc, Exception) else TunnelError("cancelled"))
            reverse.ready.exception()
            raise
        reverse.ready.set_result(None)

    async def _udp_worker(self, reverse: _Reverse, first: asyncio.Future[None]) -> None:
        """Keep one relay connection for the port; each frame's client gets a socket toward the server."""
        delay = RETRY_FIRST
        while True:
            try:
                reader, writer = await self._open(f"UDP {self._token} {reverse.remote_port}")
            except TunnelError as exc:
                if not first.done():
                    first.set_exception(exc)
                    return
                level = logging.WARNING if delay == RETRY_FIRST else logging.DEBUG
                log.log(level, "reverse gateway:%s/udp: %s; retrying", reverse.remote_port, exc)
                await asyncio.sleep(delay)  # backoff against a gateway that went away, not synchronisation
                delay = min(delay * 2, RETRY_MAX)
                continue
            if not first.done():
                first.set_result(None)
            delay = RETRY_FIRST
            clients: dict[int, asyncio.DatagramTransport] = {}
            try:
                while True:
                    client, length = UDP_HEADER.unpack(await reader.readexactly(UDP_HEADER.size))
                    data = await reader.readexactly(length)
                    transport = clients.get(client)
                    if transport is None:
                        if len(clients) >= MAX_UDP_CLIENTS:
                            clients.pop(next(iter(clients))).close()
                        transport, _ = await self._loop.create_datagram_endpoint(
                            functools.partial(_UdpAnswers, writer, client),
                            remote_addr=("127.0.0.1", reverse.local_port),
                        )
                        clients[client] = transport
                    transport.sendto(data)
            except (OSError, asyncio.IncompleteReadError):
                pass  # the relay connection broke: open another
            finally:
                for transport in clients.values():
                    transport.close()
                self._drop(writer)

    # shutdown -----------------------------------------------------------------------------------------

    async def _shutdown(self) -> None:
        for task in self._forwards.values():
            if task.done() and not task.cancelled() and task.exception() is None:
                # close() shuts the listening socket at once; wait_closed() would wait for the clients
                task.result()[0].close()
            else:
                task.cancel()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        current = asyncio.current_task()
        others = [t for t in asyncio.all_tasks() if t is not current]
        for task in others:
            task.cancel()
        if others:
            await asyncio.wait(others, timeout=CLOSE_TIMEOUT / 2)  # they only need to see the cancel
        for task in others:  # a task that ended in error was logged by its owner already
            if task.done() and not task.cancelled():
                task.exception()
        # Aborted transports close their sockets in a callback: let those run before the loop stops.
        for _ in range(3):
            await asyncio.sleep(0)
