"""A PostgreSQL wire-protocol proxy that counts the statements an app sends.

pg_stat_statements is not loaded on every server (it needs ``shared_preload_libraries``), so a suite
that wants to know how many statements a request cost puts this proxy between the app and its
database and points the app's ``DATABASE_URL`` at it:

    with PgProxy.for_url(database_url) as proxy:
        app_url = proxy.url(database_url, hostport=expose(proxy.port))
        ...
        with proxy.measure() as m:
            api.get("/books")
        m.count, m.texts(), m.statements[0].params

Every statement is kept with what is needed to run it again exactly as the app did (SQL text,
parameter types, values and formats), so a suite can ask the server for the plan of the app's own
query (EXPLAIN) with `Statement.explain_args()`.

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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
MAX_STARTUP = 10_000  # the server refuses longer startup packets too
PARSED_PREFIX = 64 * 1024  # bytes of a Query/Parse/Bind body read to follow it; the rest is streamed
CHUNK = 64 * 1024
SQL_MAX = 16 * 1024  # characters of SQL kept per statement (longer: kept cut, and not replayable)
PARAMS_MAX = 16 * 1024  # bytes of parameter values kept per statement (more: not kept, not replayable)
STARTUP_TIMEOUT = 10.0
CONNECT_TIMEOUT = 5.0
MAX_NAMES = 10_000  # prepared statements / portals remembered per connection

_T = TypeVar("_T")
ExecArgs = tuple[bytes, list["bytes | None"], list[int], list[int]]  # command, values, type OIDs, formats
_TRANSACTION_CONTROL = {"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE", "ABORT"}
# What drivers and pools send to manage a session, not to read or write data.
_HOUSEKEEPING = _TRANSACTION_CONTROL | {"SET", "RESET", "SHOW", "DEALLOCATE", "DISCARD", "CLOSE", ""}


def _first_word(sql: str) -> str:
    words = sql.lstrip().split(None, 1)
    return words[0].rstrip(";").upper() if words else ""


def is_transaction_control(sql: str) -> bool:
    """BEGIN, COMMIT, ROLLBACK, SAVEPOINT...: statements a driver adds around the real work."""
    return bool(sql.strip()) and _first_word(sql) in _TRANSACTION_CONTROL


def is_housekeeping(sql: str) -> bool:
    """Transaction control, session settings (SET, SHOW, RESET), DEALLOCATE, DISCARD and empty statements
    (a pool's ping): what a driver or a pool sends to manage a session, not to read or write data."""
    return _first_word(sql) in _HOUSEKEEPING


@dataclass(frozen=True)
class Statement:
    """One statement as the server received it."""

    sql: str
    protocol: str  # "simple" (Query), "extended" (Execute) or "function" (FunctionCall)
    param_types: tuple[int, ...] = ()  # type OIDs the client declared at Parse (0: let the server infer)
    params: tuple[bytes | None, ...] | None = ()  # values as sent (None: SQL NULL); None when not kept
    param_formats: tuple[int, ...] = ()  # per value: 0 text, 1 binary
    cut: bool = False  # the SQL text is incomplete

    @property
    def replayable(self) -> bool:
        return self.protocol != "function" and not self.cut and self.params is not None

    def explain_args(self, options: str = "FORMAT JSON") -> ExecArgs:
        """(command, values, types, formats) for psycopg's `pgconn.exec_params`: EXPLAIN of this
        statement with the parameters the app sent."""
        if not self.replayable:
            raise ValueError("this statement was not kept whole and cannot be run again")
        command = f"EXPLAIN ({options}) {self.sql}".encode()
        values = list(self.params or ())
        types = list(self.param_types[: len(values)]) + [0] * max(0, len(values) - len(self.param_types))
        return command, values, types, list(self.param_formats)


@dataclass
class Measurement:
    """Statements seen between the start and the end of a `PgProxy.measure()` block."""

    statements: list[Statement] = field(default_factory=list)
    complete: bool = True  # False when more statements ran than the proxy keeps

    @property
    def count(self) -> int:
        return len(self.statements)

    def texts(self) -> list[str]:
        return [s.sql for s in self.statements]

    def queries(self) -> list[Statement]:
        """The statements that read or write data: all but housekeeping (see is_housekeeping)."""
        return [s for s in self.statements if not is_housekeeping(s.sql)]


@dataclass(frozen=True)
class _Prepared:
    sql: str
    types: tuple[int, ...]
    cut: bool


@dataclass(frozen=True)
class _Portal:
    statement: str
    params: tuple[bytes | None, ...] | None
    formats: tuple[int, ...]


@dataclass
class _Connection:
    """What one client connection has prepared: statement name -> SQL, portal name -> bound statement."""

    prepared: collections.OrderedDict[str, _Prepared] = field(default_factory=collections.OrderedDict)
    portals: collections.OrderedDict[str, _Portal] = field(default_factory=collections.OrderedDict)

    @staticmethod
    def remember(table: collections.OrderedDict[str, _T], key: str, value: _T) -> None:
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


def _parse_message(body: bytes, cut: bool) -> tuple[str, _Prepared]:
    """Parse: statement name, SQL, declared parameter types."""
    end_name = body.find(b"\0")
    end_sql = body.find(b"\0", end_name + 1) if end_name >= 0 else -1
    if end_name < 0 or end_sql < 0:
        return _cstrings(body, 1)[0], _Prepared(_cstrings(body, 2)[1][:SQL_MAX], (), True)
    name = body[:end_name].decode("utf-8", "replace")
    sql = body[end_name + 1 : end_sql].decode("utf-8", "replace")
    types: tuple[int, ...] = ()
    try:
        (n,) = struct.unpack_from("!h", body, end_sql + 1)
        types = struct.unpack_from(f"!{n}I", body, end_sql + 3)
    except struct.error:
        cut = True
    return name, _Prepared(sql[:SQL_MAX], types, cut or len(sql) > SQL_MAX)


def _bind_message(body: bytes, cut: bool) -> tuple[str, _Portal]:
    """Bind: portal name, statement name, parameter formats and values (None when not kept whole)."""
    portal, statement = _cstrings(body, 2)
    pos = len(portal.encode()) + len(statement.encode()) + 2
    try:
        (nformats,) = struct.unpack_from("!h", body, pos)
        formats = struct.unpack_from(f"!{nformats}h", body, pos + 2)
        pos += 2 + 2 * nformats
        (nparams,) = struct.unpack_from("!h", body, pos)
        pos += 2
        values: list[bytes | None] = []
        for _ in range(nparams):
            (size,) = struct.unpack_from("!i", body, pos)
            pos += 4
            if size < 0:
                values.append(None)
                continue
            if pos + size > len(body):
                raise struct.error("value cut short")
            values.append(body[pos : pos + size])
            pos += size
    except struct.error:
        return portal, _Portal(statement, None, ())
    # one format for all values, or one each; none means text
    per_value = formats * nparams if len(formats) == 1 else (formats or (0,) * nparams)
    kept = None if cut or sum(len(v or b"") for v in values) > PARAMS_MAX else tuple(values)
    return portal, _Portal(statement, kept, tuple(per_value))


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
        keep: int = 2_000,
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.host = host
        self._requested_port = port
        self.max_connections = max_connections
        self._lock = threading.Lock()
        self._count = 0  # since the last reset()
        self._seq = 0  # statements ever seen: positions for measure()
        self._kept: collections.deque[tuple[int, Statement]] = collections.deque(maxlen=keep)
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

    def statements(self) -> list[Statement]:
        """The last statements seen (at most `keep`), oldest first."""
        with self._lock:
            return [statement for _, statement in self._kept]

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
                kept = [statement for seq, statement in self._kept if first <= seq < last]
            result.statements = kept
            result.complete = len(kept) == last - first

    def _record(self, statement: Statement) -> None:
        with self._lock:
            self._kept.append((self._seq, statement))
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
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(*self.upstream, limit=CHUNK), CONNECT_TIMEOUT
            )
            upstream = up_writer
            up_writer.write(startup)
            await up_writer.drain()
            code = struct.unpack("!I", startup[4:8])[0]
            if code == CANCEL_REQUEST:  # the server acts on it and closes; nothing comes back
                return
            await self._relay(reader, writer, up_reader, up_writer)
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
        """Frontend messages (type byte, int32 length that counts itself, body), followed as they stream.

        Whatever arrived in one read is forwarded in one write once the messages in it are observed;
        at most PARSED_PREFIX bytes of a message are held back, the rest streams through."""
        conn = _Connection()
        pending = b""  # received, not yet forwarded: the start of a message still being read
        passthrough = 0  # bytes of the current message's body to forward without looking
        while data := await reader.read(CHUNK):
            pending += data
            out = bytearray()
            while True:
                if passthrough:
                    n = min(passthrough, len(pending))
                    out += pending[:n]
                    pending, passthrough = pending[n:], passthrough - n
                    if passthrough:
                        break
                if len(pending) < 5:
                    break
                kind = pending[:1]
                length = struct.unpack("!I", pending[1:5])[0]
                if length < 4:
                    raise ValueError(f"bad message length {length}")
                body = length - 4
                kept = min(body, PARSED_PREFIX) if kind in b"QPBECF" else 0
                if len(pending) < 5 + kept:
                    break  # wait for the part of the message to read
                if kind in b"QPBECF":
                    self._observe(conn, kind, pending[5 : 5 + kept], cut=body > kept)
                out += pending[: 5 + kept]
                pending, passthrough = pending[5 + kept :], body - kept
            if out:
                writer.write(out)
                await writer.drain()
        if pending:
            writer.write(pending)  # a message cut short by the client: the server sees what it sent

    def _observe(self, conn: _Connection, kind: bytes, body: bytes, *, cut: bool) -> None:
        if kind == b"Q":
            sql = _cstrings(body, 1)[0]
            self._record(Statement(sql[:SQL_MAX], "simple", cut=cut or len(sql) > SQL_MAX))
        elif kind == b"P":
            name, prepared = _parse_message(body, cut)
            conn.remember(conn.prepared, name, prepared)
        elif kind == b"B":
            portal, bound = _bind_message(body, cut)
            conn.remember(conn.portals, portal, bound)
        elif kind == b"E":
            portal_run = conn.portals.get(_cstrings(body, 1)[0])
            statement = conn.prepared.get(portal_run.statement) if portal_run is not None else None
            if portal_run is None or statement is None:
                self._record(Statement("<prepared before the proxy saw it>", "extended", params=None))
            else:
                self._record(
                    Statement(
                        statement.sql,
                        "extended",
                        statement.types,
                        portal_run.params,
                        portal_run.formats,
                        statement.cut,
                    )
                )
        elif kind == b"C" and body:
            name = _cstrings(body[1:], 1)[0]
            (conn.prepared if body[:1] == b"S" else conn.portals).pop(name, None)
        elif kind == b"F":
            self._record(Statement("<function call>", "function", params=None))


# -- what the suites do with it -----------------------------------------------------------------------


def fewest(proxy: PgProxy, send: Callable[[], _T], times: int = 2) -> tuple[_T, list[Statement]]:
    """What `send()` returned and the statements it ran (housekeeping left out), `times` times, keeping
    the run with the fewest: a request that happens to open a new connection may run the driver's
    set-up queries once, which is not the app's doing."""
    runs = []
    for _ in range(times):
        with proxy.measure() as m:
            result = send()
        runs.append((result, m.queries()))
    return min(runs, key=lambda run: len(run[1]))


def _short(sql: str, limit: int) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def expect_bounded(
    what: str, small: tuple[str, list[Statement]], large: tuple[str, list[Statement]], most: int
) -> None:
    """No N+1: the request ran as many statements for the `large` case as for the `small` one (each a
    label and its statements), and at most `most`; the failure names the statement that repeats."""
    from grader.checks import expect, fail  # the proxy itself runs without the checks' machinery

    (few_label, few), (many_label, many) = small, large
    if len(many) > len(few):
        repeated, times = collections.Counter(s.sql for s in many).most_common(1)[0]
        fail(
            f"{what}: {len(few)} statements for {few_label}, {len(many)} for {many_label}: the statement "
            f"`{_short(repeated, 160)}` ran {times} times.",
            expected=f"the same number for {few_label} and {many_label}",
            actual=f"{len(few)} vs {len(many)}",
        )
    expect(
        len(many) <= most,
        f"{what} ran {len(many)} statements for {many_label}.",
        expected=f"at most {most}",
        actual="; ".join(_short(s.sql, 60) for s in many),
    )
