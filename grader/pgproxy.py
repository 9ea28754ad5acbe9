"""A PostgreSQL wire-protocol proxy that counts the statements an app sends.

pg_stat_statements is not loaded on every server (it needs ``shared_preload_libraries``), so a suite
that wants to know how many statements a request cost puts this proxy between the app and its
database and points the app's ``DATABASE_URL`` at it:

    with PgProxy.for_url(database_url) as proxy:
        app_url = proxy.url(database_url, hostport=expose(proxy.port))
        ...
        with proxy.measure() as m:
            api.get("/books")
        m.count, m.statements

What counts as one statement: a simple-protocol Query message ('Q', even when its text holds several
statements separated by semicolons), an extended-protocol Execute message ('E', so a prepared
statement counts each time it runs) and a FunctionCall ('F'). Parse/Bind/Close are followed only to
know which SQL text an Execute runs. Everything else, both ways, passes through untouched.

The proxy speaks plain TCP to the server. A client that asks for TLS or GSS encryption first
(SSLRequest, GSSENCRequest) is answered 'N' (not supported) and carries on in clear, which libpq does
with its default ``sslmode=prefer``. A CancelRequest is forwarded as it is: the backend key the server
sent passes through, so cancelling works.

Standard library only; one event loop on a daemon thread; bounded: connections, buffered bytes per
message and recorded statement texts all have limits.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
MAX_STARTUP = 10_000  # the server refuses longer startup packets too
PARSED_PREFIX = 64 * 1024  # bytes of a Query/Parse body kept to read its text; the rest is streamed
CHUNK = 64 * 1024
TEXT_MAX = 2_000  # characters of SQL kept per recorded statement
STARTUP_TIMEOUT = 10.0
CONNECT_TIMEOUT = 5.0
MAX_NAMES = 10_000  # prepared statements / portals remembered per connection

_TRANSACTION_CONTROL = ("BEGIN", "START", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE", "ABORT")


def is_transaction_control(sql: str) -> bool:
    """BEGIN, COMMIT, ROLLBACK, SAVEPOINT...: statements a driver adds around the real work."""
    words = sql.lstrip().split(None, 1)
    return bool(words) and words[0].rstrip(";").upper() in _TRANSACTION_CONTROL


@dataclass
class Measurement:
    """Statements seen between the start and the end of a `PgProxy.measure()` block."""

    statements: list[str] = field(default_factory=list)
    complete: bool = True  # False when more statements ran than the proxy keeps texts for

    @property
    def count(self) -> int:
        return len(self.statements)

    def data_statements(self) -> list[str]:
        """The statements without transaction control (BEGIN/COMMIT/ROLLBACK/SAVEPOINT...)."""
        return [s for s in self.statements if not is_transaction_control(s)]


@dataclass
class _Connection:
    """What one client connection has prepared: statement name -> SQL, portal name -> statement name."""

    prepared: collections.OrderedDict[str, str] = field(default_factory=collections.OrderedDict)
    portals: collections.OrderedDict[str, str] = field(default_factory=collections.OrderedDict)

    @staticmethod
    def remember(table: collections.OrderedDict[str, str], key: str, value: str) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > MAX_NAMES:
            table.popitem(last=False)


def _cstrings(body: bytes, n: int) -> list[str]:
    """The first n NUL-terminated strings of a message body ("" for those a short body lacks)."""
    out: list[str] = []
    start = 0
    for _ in range(n):
        end = body.find(b"\0", start)
        if end < 0:
            out.append(body[start:].decode("utf-8", "replace"))
            start = len(body)
            continue
        out.append(body[start:end].decode("utf-8", "replace"))
        start = end + 1
    return out


class PgProxy:
    """A counting proxy on ``host:port`` (default 127.0.0.1 and a free port) in front of one server."""

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int = 5432,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_connections: int = 256,
        keep: int = 5_000,
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.host = host
        self._requested_port = port
        self.max_connections = max_connections
        self._lock = threading.Lock()
        self._count = 0  # since the last reset()
        self._seq = 0  # statements ever seen: positions for measure()
        self._texts: collections.deque[tuple[int, str]] = collections.deque(maxlen=keep)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0
        self.connections_total = 0
        self.errors: collections.deque[str] = collections.deque(maxlen=50)  # why connections ended badly

    @classmethod
    def for_url(cls, database_url: str, **kwargs: object) -> PgProxy:
        """A proxy in front of the server a ``postgresql://`` URL names."""
        parts = urlsplit(database_url)
        return cls(parts.hostname or "127.0.0.1", parts.port or 5432, **kwargs)  # type: ignore[arg-type]

    def url(self, database_url: str, *, hostport: str | None = None) -> str:
        """`database_url` with host:port replaced by the proxy's (or by `hostport`: as the app sees it)."""
        parts = urlsplit(database_url)
        userinfo = ""
        if parts.username is not None:
            userinfo = parts.username if parts.password is None else f"{parts.username}:{parts.password}"
            userinfo += "@"
        netloc = userinfo + (hostport or f"{self.host}:{self.port}")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

    # -- life cycle -------------------------------------------------------------------------------

    def start(self) -> PgProxy:
        if self._thread is not None:
            return self
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._loop = loop

        def run() -> None:
            asyncio.set_event_loop(loop)
            ready.set()
            loop.run_forever()

        self._thread = threading.Thread(target=run, name="pgproxy", daemon=True)
        self._thread.start()
        ready.wait()
        try:
            self._server = asyncio.run_coroutine_threadsafe(self._listen(), loop).result(timeout=10)
        except BaseException:
            self.stop()
            raise
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _listen(self) -> asyncio.base_events.Server:
        return await asyncio.start_server(self._accept, self.host, self._requested_port, limit=CHUNK)

    def stop(self) -> None:
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

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), timeout=2)

    def __enter__(self) -> PgProxy:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- counting ---------------------------------------------------------------------------------

    def count(self) -> int:
        """Statements seen since the proxy started or since the last reset()."""
        with self._lock:
            return self._count

    def reset(self) -> None:
        with self._lock:
            self._count = 0

    def statements(self) -> list[str]:
        """The texts of the last statements seen (at most `keep`), oldest first."""
        with self._lock:
            return [text for _, text in self._texts]

    @contextlib.contextmanager
    def measure(self) -> Iterator[Measurement]:
        """Statements seen during the block, whoever reset() the counter meanwhile."""
        result = Measurement()
        with self._lock:
            first = self._seq
        try:
            yield result
        finally:
            with self._lock:
                last = self._seq
                kept = [text for seq, text in self._texts if first <= seq < last]
            result.statements = kept
            result.complete = len(kept) == last - first

    def _record(self, text: str) -> None:
        with self._lock:
            self._texts.append((self._seq, text[:TEXT_MAX]))
            self._seq += 1
            self._count += 1

    # -- one connection ---------------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        if len(self._tasks) >= self.max_connections:
            self.errors.append("refused: too many connections")
            writer.close()
            return
        self._tasks.add(task)
        self.connections_total += 1
        upstream: asyncio.StreamWriter | None = None
        try:
            startup = await asyncio.wait_for(self._read_startup(reader, writer), STARTUP_TIMEOUT)
            if startup is None:
                return
            up_reader, upstream = await asyncio.wait_for(
                asyncio.open_connection(*self.upstream, limit=CHUNK), CONNECT_TIMEOUT
            )
            upstream.write(startup)
            await upstream.drain()
            code = struct.unpack("!I", startup[4:8])[0]
            if code == CANCEL_REQUEST:  # the server acts on it and closes; nothing comes back
                return
            await self._relay(reader, writer, up_reader, upstream)
        except asyncio.CancelledError:
            pass
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            for w in (writer, upstream):
                if w is not None:
                    w.close()
            self._tasks.discard(task)

    async def _read_startup(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes | None:
        """The client's startup packet, after answering 'N' to any encryption request before it."""
        for _ in range(3):  # SSLRequest and GSSENCRequest may each come once before the real packet
            try:
                head = await reader.readexactly(4)
            except asyncio.IncompleteReadError:
                return None  # closed before saying anything: a port probe
            length = struct.unpack("!I", head)[0]
            if not 8 <= length <= MAX_STARTUP:
                raise ValueError(f"not a PostgreSQL startup packet (length {length})")
            packet = head + await reader.readexactly(length - 4)
            code = struct.unpack("!I", packet[4:8])[0]
            if code in (SSL_REQUEST, GSSENC_REQUEST):
                writer.write(b"N")
                await writer.drain()
                continue
            return packet
        raise ValueError("too many encryption requests")

    async def _relay(
        self,
        client_r: asyncio.StreamReader,
        client_w: asyncio.StreamWriter,
        server_r: asyncio.StreamReader,
        server_w: asyncio.StreamWriter,
    ) -> None:
        tasks = [
            asyncio.ensure_future(self._client_to_server(client_r, server_w)),
            asyncio.ensure_future(self._pipe(server_r, client_w)),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            exc = task.exception()
            if exc is not None and not isinstance(exc, (asyncio.IncompleteReadError, ConnectionError)):
                raise exc

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()

    async def _client_to_server(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Frontend messages one by one: type byte, int32 length (itself included), body."""
        conn = _Connection()
        while True:
            try:
                header = await reader.readexactly(5)
            except asyncio.IncompleteReadError as exc:
                if exc.partial:
                    writer.write(exc.partial)
                return
            kind = header[:1]
            length = struct.unpack("!I", header[1:])[0]
            if length < 4:
                raise ValueError(f"bad message length {length}")
            remaining = length - 4
            prefix = b""
            if kind in b"QPBECF":
                prefix = await reader.readexactly(min(remaining, PARSED_PREFIX))
                remaining -= len(prefix)
                self._observe(conn, kind, prefix)
            writer.write(header + prefix)
            while remaining > 0:
                chunk = await reader.read(min(remaining, CHUNK))
                if not chunk:
                    raise asyncio.IncompleteReadError(b"", remaining)
                writer.write(chunk)
                remaining -= len(chunk)
                await writer.drain()
            await writer.drain()

    def _observe(self, conn: _Connection, kind: bytes, body: bytes) -> None:
        if kind == b"Q":
            self._record(_cstrings(body, 1)[0])
        elif kind == b"P":
            name, query = _cstrings(body, 2)
            conn.remember(conn.prepared, name, query)
        elif kind == b"B":
            portal, statement = _cstrings(body, 2)
            conn.remember(conn.portals, portal, statement)
        elif kind == b"E":
            portal = _cstrings(body, 1)[0]
            statement = conn.portals.get(portal)
            if statement is None:
                self._record("<unknown portal>")
            else:
                self._record(conn.prepared.get(statement, "<unknown statement>"))
        elif kind == b"C" and body:
            name = _cstrings(body[1:], 1)[0]
            (conn.prepared if body[:1] == b"S" else conn.portals).pop(name, None)
        elif kind == b"F":
            self._record("<function call>")

