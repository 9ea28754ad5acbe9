"""Network gateway of a docker run: the only way between the grader (host) and the run's containers.

The app and its services sit on a Docker network made with ``--internal``: no route out, and no port
of theirs can be published. This program runs in one trusted container attached to that network
(alias ``gateway``) and to the default bridge, where it publishes one TCP port (the "mux") on the
host's loopback. The grader's ``grader.runners.tunnel.Tunnel`` speaks a one-line protocol over it:

``CONNECT <token> <host> <port>\\n``
    connect to host:port as seen from inside the run's network (``app:8000``, ``postgres:5432``),
    answer ``OK\\n`` or ``ERR <reason>\\n``, then relay bytes both ways.
``LISTEN <token> <port>\\n``
    make sure <port> listens here (on the configured host, like the mux), answer ``OK\\n`` and keep
    the connection as an idle slot.
    A client of that port (the app reaching ``gateway:<port>``) takes one slot: the gateway writes
    ``GO\\n`` on it and relays both ways. With no slot free, the client waits a little for one.
``PING <token>\\n``
    answer ``OK\\n`` and close: the host's readiness probe.
``UDP <token> <port>\\n``
    make sure UDP <port> is bound here, answer ``OK\\n``, then carry its datagrams on this
    connection as frames (``UDP_HEADER``: a 4-byte client id, a 2-byte length, then the datagram): a
    datagram from an app's address goes to the host under that address's id, a frame from the host
    goes back to the address of its id. A new UDP line for the same port takes the port over (a host
    that reconnected); when the connection ends, the port is closed. Datagrams the host cannot take
    in time are dropped, as UDP allows.

The app can reach the mux port too, but without the token every line is refused, and only ports the
host asked for with LISTEN are served: the gateway is no way out for the app.

It is started as ``python3 -c "<this file>" '<json config>'`` in a stock python image, so it uses the
standard library only and keeps to one file. Config: ``{"token": ..., "port": 7070, "host": "0.0.0.0"}``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hmac
import json
import os
import signal
import socket
import struct
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

STREAM_LIMIT = 64 * 1024  # asyncio stream buffer limit per direction and connection
CHUNK = 64 * 1024
LINE_MAX = 512  # longest command line accepted (it is read within STREAM_LIMIT, then checked)
HEADER_TIMEOUT = 10.0  # a connection must say what it wants within this
CONNECT_TIMEOUT = 5.0
CLAIM_TIMEOUT = 10.0  # how long a reverse client waits for a free slot
MAX_CONNECTIONS = 2048  # open sockets of relays and of connections still saying what they want
MAX_REVERSE_PORTS = 128
MAX_SLOTS_PER_PORT = 512
MAX_WAITERS_PER_PORT = 1024
BACKLOG = 1024  # a burst of connections must queue, not be reset (the kernel caps it at somaxconn)
UDP_HEADER = struct.Struct("!IH")  # client id, datagram length: one frame of a UDP relay connection
MAX_UDP_CLIENTS = 1024  # source addresses remembered per UDP port (the oldest is forgotten)
UDP_BACKLOG = 1 << 20  # bytes of frames queued toward the host before datagrams are dropped


class Log:
    """One short line per error on stdout (the container's log), rate-limited so a flood of bad
    connections cannot fill the disk; what was suppressed is counted in the next line printed."""

    def __init__(self, per_window: int = 30, window: float = 10.0) -> None:
        self.per_window = per_window
        self.window = window
        self.start = time.monotonic()
        self.count = 0
        self.suppressed = 0

    def __call__(self, message: str) -> None:
        now = time.monotonic()
        if now - self.start > self.window:
            self.start, self.count = now, 0
        if self.count >= self.per_window:
            self.suppressed += 1
            return
        self.count += 1
        if self.suppressed:
            message += f" ({self.suppressed} earlier lines suppressed)"
            self.suppressed = 0
        print("gateway: " + message[:300], flush=True)


log = Log()


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset, so the peer learns of a failure instead of reading a clean, empty end."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy one direction until EOF, then half-close the other side so the reverse direction
    keeps flowing (a client that shuts down its sending side still gets its answer)."""
    while True:
        data = await reader.read(CHUNK)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    if writer.can_write_eof() and not writer.is_closing():
        writer.write_eof()


async def relay(
    r1: asyncio.StreamReader, w1: asyncio.StreamWriter, r2: asyncio.StreamReader, w2: asyncio.StreamWriter
) -> None:
    """Relay both ways until both directions ended; a reset on one side resets the other."""
    tasks = {asyncio.ensure_future(copy(r1, w2)), asyncio.ensure_future(copy(r2, w1))}
    failed = False
    try:
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        errors = [t.exception() for t in done]  # retrieve every one, or asyncio logs them as lost
        failed = bool(pending) or any(e is not None for e in errors)
    except asyncio.CancelledError:
        failed = True
        raise
    finally:
        for task in tasks:
            task.cancel()
        for writer in (w1, w2):
            if failed:
                reset(writer)  # propagate the failure, not a clean EOF the peer could take for an answer
            else:
                writer.close()


class Slot:
    """An idle LISTEN connection from the host, waiting to be paired with one reverse client."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        # The host sends nothing until GO: a read that completes means the slot died (or misbehaved).
        self.watch = asyncio.ensure_future(reader.read(1))

    def alive(self) -> bool:
        return not self.watch.done() and not self.writer.is_closing()


class ReversePort:
    """A listener on <port> with its idle slots and the clients waiting for one."""

    def __init__(self, gateway: Gateway, port: int) -> None:
        self.gateway = gateway
        self.port = port
        self.bound: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.slots: collections.deque[Slot] = collections.deque()
        self.waiters: collections.deque[asyncio.Future[Slot]] = collections.deque()

    def add(self, slot: Slot) -> None:
        """Hand the slot to the longest-waiting client, or keep it idle."""
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                slot.watch.cancel()
                waiter.set_result(slot)
                return
        self.slots.append(slot)
        slot.watch.add_done_callback(lambda _: self.drop(slot))

    def drop(self, slot: Slot) -> None:
        """The slot's connection ended while idle: forget it (its watch is done)."""
        if slot.watch.cancelled():
            return  # it was taken, not lost
        with contextlib.suppress(ValueError):
            self.slots.remove(slot)
        slot.writer.transport.abort()

    def take(self) -> Slot | None:
        while self.slots:
            slot = self.slots.popleft()
            if slot.alive():
                slot.watch.cancel()
                return slot
        return None

    async def client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """A client of gateway:<port>: pair it with a slot, or wait for the host to send one."""
        slot = self.take()
        if slot is None:
            if len(self.waiters) >= MAX_WAITERS_PER_PORT:
                log(f"port {self.port}: too many clients waiting for a slot, one refused")
                reset(writer)
                return
            waiter: asyncio.Future[Slot] = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            # asyncio.wait never cancels the future, so a slot handed over at the deadline is not lost.
            await asyncio.wait({waiter}, timeout=CLAIM_TIMEOUT)
            if not waiter.done():
                waiter.cancel()
                log(f"port {self.port}: no slot from the host within {CLAIM_TIMEOUT:g} s, client closed")
                reset(writer)
                return
            slot = waiter.result()
        self.gateway.track(slot.writer)
        try:
            slot.writer.write(b"GO\n")
            await slot.writer.drain()
            await relay(reader, writer, slot.reader, slot.writer)
        except (ConnectionError, OSError) as exc:
            log(f"port {self.port}: slot failed: {exc!r}")
            reset(writer)
            reset(slot.writer)
        finally:
            self.gateway.untrack(slot.writer)


class UdpPort(asyncio.DatagramProtocol):
    """A UDP port of the gateway whose datagrams travel as frames on one host connection."""

    def __init__(self, port: int, writer: asyncio.StreamWriter) -> None:
        self.port = port
        self.writer = writer
        self.transport: asyncio.DatagramTransport | None = None
        self.ids: collections.OrderedDict[tuple[str, int], int] = collections.OrderedDict()
        self.addresses: dict[int, tuple[str, int]] = {}
        self.next_id = 1

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.writer.is_closing() or self.writer.transport.get_write_buffer_size() > UDP_BACKLOG:
            return  # the host is not keeping up: drop, as UDP may
        key = (addr[0], addr[1])
        client = self.ids.get(key)
        if client is None:
            client, self.next_id = self.next_id, self.next_id % 0xFFFFFFFF + 1
            self.ids[key] = client
            self.addresses[client] = key
            if len(self.ids) > MAX_UDP_CLIENTS:
                _, oldest = self.ids.popitem(last=False)
                self.addresses.pop(oldest, None)
        else:
            self.ids.move_to_end(key)
        self.writer.write(UDP_HEADER.pack(client, len(data)) + data)

    def reply(self, client: int, data: bytes) -> None:
        address = self.addresses.get(client)
        if address is not None and self.transport is not None:
            self.transport.sendto(data, address)

    def error_received(self, exc: Exception) -> None:
        pass  # an ICMP error for an earlier datagram: nothing to do for UDP

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Gateway:
    def __init__(self, token: str, host: str, port: int) -> None:
        self.token = token.encode()
        self.host = host
        self.port = port
        self.reverse: dict[int, ReversePort] = {}
        self.udp: dict[int, UdpPort] = {}
        self.writers: set[asyncio.StreamWriter] = set()
        self.servers: list[asyncio.AbstractServer] = []

    def track(self, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)

    def untrack(self, writer: asyncio.StreamWriter) -> None:
        self.writers.discard(writer)

    async def serve(self, stop: asyncio.Event) -> None:
        server = await asyncio.start_server(
            self.guarded(self.mux),
            self.host,
            self.port,
            limit=STREAM_LIMIT,
            reuse_address=True,
            backlog=BACKLOG,
        )
        self.servers.append(server)
        # Port 0 (tests) picks a free port: this line tells which, and that the gateway is ready.
        self.port = server.sockets[0].getsockname()[1]
        print(f"gateway: listening on {self.host}:{self.port}", flush=True)
        await stop.wait()
        self.shutdown()

    def shutdown(self) -> None:
        """Stop accepting and drop every connection; Server.wait_closed is not awaited on purpose:
        since 3.12 it waits for the clients too."""
        for server in self.servers:
            server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        for state in self.reverse.values():
            for slot in state.slots:
                slot.writer.transport.abort()

    def guarded(self, handler: Handler) -> Handler:
        """Wrap a connection handler: count it, cap concurrency, never let an exception escape."""

        async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if len(self.writers) >= MAX_CONNECTIONS:
                log("too many connections, one refused")
                reset(writer)
                return
            self.track(writer)
            try:
                await handler(reader, writer)
            except (ConnectionError, OSError, asyncio.IncompleteReadError):
                reset(writer)
            except asyncio.CancelledError:
                # Shutdown. Not re-raised: Python 3.11's stream server logs a cancelled handler as an error.
                writer.transport.abort()
            except Exception as exc:  # noqa: BLE001 - a bug in one connection must not kill the gateway
                log(f"internal error: {exc!r}")
                reset(writer)
            finally:
                self.untrack(writer)

        return run

    async def refuse(self, writer: asyncio.StreamWriter, reason: str) -> None:
        log("refused: " + reason)
        writer.write(b"ERR " + reason.encode("ascii", "replace")[:200] + b"\n")
        with contextlib.suppress(TimeoutError, OSError):
            await asyncio.wait_for(writer.drain(), 1.0)
        writer.close()  # a clean close, so the ERR line is read (unread input still makes it a reset)

    async def mux(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readuntil(b"\n"), HEADER_TIMEOUT)
        except TimeoutError:
            await self.refuse(writer, "no command line in time")
            return
        except asyncio.IncompleteReadError:
            writer.transport.abort()  # closed before saying anything: a probe, not worth a log line
            return
        except asyncio.LimitOverrunError:
            await self.refuse(writer, "command line too long")
            return
        if len(line) > LINE_MAX:
            await self.refuse(writer, "command line too long")
            return
        words = line.split()
        if len(words) < 2 or not hmac.compare_digest(words[1], self.token):
            await self.refuse(writer, "bad token or malformed line")
            return
        verb = words[0]
        if verb == b"CONNECT" and len(words) == 4:
            port = parse_port(words[3])
            if port is None:
                await self.refuse(writer, "bad port")
                return
            await self.connect(reader, writer, words[2].decode("ascii", "replace"), port)
        elif verb == b"PING" and len(words) == 2:  # readiness probe of the host: the gateway is up
            writer.write(b"OK\n")
            await writer.drain()
            writer.close()
        elif verb == b"LISTEN" and len(words) == 3:
            port = parse_port(words[2])
            if port is None or port == self.port:
                await self.refuse(writer, "bad port")
                return
            await self.listen(reader, writer, port)
        elif verb == b"UDP" and len(words) == 3:
            port = parse_port(words[2])
            if port is None:
                await self.refuse(writer, "bad port")
                return
            await self.relay_udp(reader, writer, port)
        else:
            await self.refuse(writer, "malformed line")

    async def connect(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, port: int
    ) -> None:
        try:
            target_reader, target_writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, limit=STREAM_LIMIT), CONNECT_TIMEOUT
            )
        except TimeoutError:
            await self.refuse(writer, f"connect {host}:{port}: timed out after {CONNECT_TIMEOUT:g} s")
            return
        except OSError as exc:
            await self.refuse(writer, f"connect {host}:{port}: {exc.strerror or exc!r}")
            return
        except UnicodeError:
            await self.refuse(writer, f"connect {host}:{port}: bad host name")
            return
        self.track(target_writer)
        try:
            writer.write(b"OK\n")
            await writer.drain()
            await relay(reader, writer, target_reader, target_writer)
        finally:
            self.untrack(target_writer)

    async def listen(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int) -> None:
        state = self.reverse.get(port)
        if state is None:
            if len(self.reverse) >= MAX_REVERSE_PORTS:
                await self.refuse(writer, "too many reverse ports")
                return
            state = self.reverse[port] = ReversePort(self, port)
            try:
                server = await asyncio.start_server(
                    self.guarded(state.client),
                    self.host,
                    port,
                    limit=STREAM_LIMIT,
                    reuse_address=True,
                    backlog=BACKLOG,
                )
            except OSError as exc:
                del self.reverse[port]
                state.bound.set_exception(exc)
                state.bound.exception()  # mark it retrieved: the concurrent LISTENs may be none
                await self.refuse(writer, f"listen on {port}: {exc.strerror or exc!r}")
                return
            self.servers.append(server)
            state.bound.set_result(None)
        else:
            try:
                await state.bound  # the host opens its first slots at once: wait for the one binding
            except OSError as exc:
                await self.refuse(writer, f"listen on {port}: {exc.strerror or exc!r}")
                return
        if len(state.slots) >= MAX_SLOTS_PER_PORT:
            await self.refuse(writer, f"port {port}: too many idle slots")
            return
        writer.write(b"OK\n")
        await writer.drain()
        # From here the slot belongs to the port (then to the client it is handed to), which tracks it;
        # idle slots are dropped by shutdown() through the port's slot list.
        self.untrack(writer)
        state.add(Slot(reader, writer))

    async def relay_udp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int) -> None:
        """Bind UDP <port> (or take it over from an earlier host connection) and relay its datagrams as
        frames on this connection until it ends; then the port is closed."""
        state = self.udp.get(port)
        if state is None:
            if len(self.udp) >= MAX_REVERSE_PORTS:
                await self.refuse(writer, "too many UDP ports")
                return
            try:
                _, protocol = await asyncio.get_running_loop().create_datagram_endpoint(
                    lambda: UdpPort(port, writer), local_addr=(self.host, port)
                )
            except OSError as exc:
                await self.refuse(writer, f"udp {port}: {exc.strerror or exc!r}")
                return
            state = self.udp[port] = protocol
        else:
            previous, state.writer = state.writer, writer
            previous.transport.abort()
        writer.write(b"OK\n")
        await writer.drain()
        try:
            while True:
                client, length = UDP_HEADER.unpack(await reader.readexactly(UDP_HEADER.size))
                state.reply(client, await reader.readexactly(length))
        except asyncio.IncompleteReadError:
            pass  # the host closed the relay
        finally:
            if state.writer is writer:  # not taken over by a newer connection
                state.close()
                self.udp.pop(port, None)


def parse_port(word: bytes) -> int | None:
    if not word.isdigit() or len(word) > 5:
        return None
    port = int(word)
    return port if 0 < port < 65536 else None


async def main(config: dict[str, Any]) -> None:
    host = str(config.get("host", "0.0.0.0"))  # in its container: every network it is attached to
    gateway = Gateway(str(config["token"]), host, int(config.get("port", 7070)))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)  # as PID 1 in a container, SIGTERM is otherwise ignored
    await gateway.serve(stop)


if __name__ == "__main__":
    # The config (its token) comes from GATEWAY_CONFIG: on the command line any local user could read it
    raw = sys.argv[1] if len(sys.argv) == 2 else os.environ.get("GATEWAY_CONFIG", "")
    if not raw:
        sys.exit('usage: GATEWAY_CONFIG=\'{"token": "...", "port": 7070, "host": "0.0.0.0"}\' gateway.py')
    conf = json.loads(raw)
    if not conf.get("token"):
        sys.exit("gateway: config needs a non-empty token")
    asyncio.run(main(conf))
    print("gateway: stopped", flush=True)
