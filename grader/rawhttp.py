"""Raw HTTP/1.1 over TCP, for suites that grade the framing itself (a server written from sockets).

A `RawConnection` sends exactly the bytes a check writes and parses what comes back strictly, keeping
both directions for the failure message: the bytes sent and received (escaped, truncated with a
notice) and a `printf '...' | nc HOST PORT` line that replays the exchange. Every read is bounded in
time (the check's deadline shortens it) and in size, so a server that never answers, never closes or
floods bytes cannot hang the grader.
"""

from __future__ import annotations

import re
import socket
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import NoReturn
from urllib.parse import urlsplit

from grader import deadline
from grader.checks import fail

CAP = 256 * 1024  # bytes a connection may receive before the grader stops reading
SHOWN = 600  # escaped characters of each direction shown in a failure message
STATUS_LINE = re.compile(rb"HTTP/(\d)\.(\d) (\d{3}) ([^\r\n]*)")
HEADER = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*")
CHUNK = re.compile(rb"([0-9A-Fa-f]+)(;[^\r\n]*)?")


def address_of(base_url: str) -> tuple[str, int]:
    """`http://127.0.0.1:8000` -> ("127.0.0.1", 8000): where the raw client connects."""
    parts = urlsplit(base_url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def escape(data: bytes | bytearray, limit: int = SHOWN) -> str:
    """Bytes as a Python-style escaped string, cut at `limit` characters with a notice."""
    text = repr(bytes(data))[2:-1]
    if len(text) > limit:
        return f"{text[:limit]}… [{len(data)} bytes in all, truncated]"
    return text


def printf_line(data: bytes, host: str, port: int) -> str:
    """A shell line that sends `data` byte for byte: printf with octal escapes for anything unusual."""
    out = []
    for byte in data:
        char = chr(byte)
        if char == "\r":
            out.append("\\r")
        elif char == "\n":
            out.append("\\n")
        elif char == "%":
            out.append("%%")
        elif 0x20 <= byte < 0x7F and char not in "'\\":
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    text = "".join(out)
    if len(text) > 2000:
        text = text[:2000] + "…"
        return f"printf '{text}' | nc {host} {port}   (truncated: {len(data)} bytes in all)"
    return f"printf '{text}' | nc {host} {port}"


@dataclass
class RawResponse:
    """One response as it came off the wire."""

    version: str  # "1.1"
    status: int
    reason: str
    headers: list[tuple[str, str]]  # (name as sent, value), in order
    body: bytes
    framing: str  # "length", "chunked", "close" (read until the server closed) or "none" (no body)
    raw: bytes = field(repr=False)
    chunks: list[bytes] = field(default_factory=list)  # the data of each chunk, when chunked

    def header(self, name: str) -> str | None:
        values = self.all(name)
        return ", ".join(values) if values else None

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    @property
    def status_line(self) -> str:
        return f"HTTP/{self.version} {self.status} {self.reason}"


class RawConnection:
    """One TCP connection to the app; close it (or use `with`)."""

    def __init__(self, host: str, port: int, *, timeout: float = 5.0) -> None:
        self.host, self.port = host, port
        self.timeout = timeout
        self.sent = bytearray()
        self.received = bytearray()
        self.pending = bytearray()  # received but not yet parsed
        self.eof = False
        try:
            self.sock = socket.create_connection((host, port), timeout=deadline.remaining(timeout))
        except OSError as exc:
            fail(f"could not connect to {host}:{port}: {exc}", expected="the server accepts connections")
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    # -- what failure messages show ----------------------------------------------------------------

    def transcript(self) -> str:
        return f"sent: {escape(self.sent)}\nreceived: {escape(self.received) or '(nothing)'}"

    def replay(self) -> str:
        return printf_line(bytes(self.sent), self.host, self.port)

    def fail(self, message: str, *, expected: object = None) -> NoReturn:
        """Fail the check with the exchange so far and a line that replays it."""
        fail(
            f"{message}\nreplay: {self.replay()}",
            expected=expected,
            actual=f"\n{self.transcript()}",
        )

    # -- sending -----------------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        self.sent += data
        try:
            self.sock.settimeout(deadline.remaining(self.timeout, what="sending"))
            self.sock.sendall(data)
        except OSError as exc:
            self.fail(f"the server stopped reading while the grader was sending ({exc})")

    def send_in_pieces(self, data: bytes, size: int = 1, pause: float = 0.005) -> None:
        """Send `data` `size` bytes at a time, each piece its own TCP segment a few ms after the last
        (pacing the client, not waiting for the server)."""
        for start in range(0, len(data), size):
            self.send(data[start : start + size])
            time.sleep(pause)

    # -- receiving ---------------------------------------------------------------------------------

    def _fill(self, ends: float, what: str) -> None:
        left = ends - time.monotonic()
        if left <= 0:
            self.fail(f"no complete answer within {self.timeout:g} s while waiting for {what}")
        if len(self.received) >= CAP:
            self.fail(f"the server sent more than {CAP} bytes; the grader stopped reading")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            self.fail(f"no complete answer within {self.timeout:g} s while waiting for {what}")
        except OSError as exc:
            data = b""
            if not isinstance(exc, ConnectionResetError):
                self.fail(f"reading the answer failed: {exc}")
        if not data:
            self.eof = True
            return
        self.received += data
        self.pending += data

    def _ends(self, timeout: float | None) -> float:
        return time.monotonic() + deadline.remaining(timeout or self.timeout, what="reading the answer")

    def _line(self, ends: float, what: str) -> bytes:
        while True:
            at = self.pending.find(b"\r\n")
            if at >= 0:
                line = bytes(self.pending[:at])
                del self.pending[: at + 2]
                return line
            if self.eof:
                self.fail(f"the connection closed in the middle of {what}")
            self._fill(ends, what)

    def _exact(self, n: int, ends: float, what: str) -> bytes:
        while len(self.pending) < n:
            if self.eof:
                self.fail(f"the connection closed after {len(self.pending)} of the {n} bytes of {what}")
            self._fill(ends, what)
        data = bytes(self.pending[:n])
        del self.pending[:n]
        return data

    def response(self, *, head: bool = False, timeout: float | None = None) -> RawResponse:
        """Read one response; `head=True` for the answer to a HEAD request (no body follows)."""
        ends = self._ends(timeout)
        start = len(self.received) - len(self.pending)
        while not self.pending and not self.eof:
            self._fill(ends, "a response")
        if not self.pending and self.eof:
            self.fail("the server closed the connection without answering")
        line = self._line(ends, "a status line")
        match = STATUS_LINE.fullmatch(line)
        if match is None:
            self.fail(f"not a status line: {escape(line)}", expected="HTTP/1.1 <code> <reason>")
        version = f"{match.group(1).decode()}.{match.group(2).decode()}"
        status = int(match.group(3))
        headers: list[tuple[str, str]] = []
        while line := self._line(ends, "the response headers"):
            field_match = HEADER.fullmatch(line)
            if field_match is None:
                self.fail(f"not a header line: {escape(line)}", expected="Name: value")
            name, value = field_match.group(1), field_match.group(2)
            headers.append((name.decode("latin-1"), value.decode("latin-1")))
        response = RawResponse(version, status, match.group(4).decode("latin-1"), headers, b"", "none", b"")
        if head or status in (204, 304) or 100 <= status < 200:
            response.raw = bytes(self.received[start : len(self.received) - len(self.pending)])
            return response
        encoding = response.header("transfer-encoding")
        length = response.header("content-length")
        if encoding is not None and encoding.strip().lower() == "chunked":
            response.framing = "chunked"
            response.body = self._chunked(response, ends)
        elif length is not None:
            if not length.strip().isdigit():
                self.fail(f"Content-Length is not a number: {length!r}")
            response.framing = "length"
            response.body = self._exact(int(length), ends, "the body")
        else:
            response.framing = "close"
            while not self.eof:
                self._fill(ends, "the end of a body without Content-Length (the server closing)")
            response.body = bytes(self.pending)
            self.pending.clear()
        response.raw = bytes(self.received[start : len(self.received) - len(self.pending)])
        return response

    def _chunked(self, response: RawResponse, ends: float) -> bytes:
        body = bytearray()
        while True:
            line = self._line(ends, "a chunk size line")
            match = CHUNK.fullmatch(line)
            if match is None:
                self.fail(f"not a chunk size line: {escape(line)}", expected="<hex size>\\r\\n")
            size = int(match.group(1), 16)
            if size == 0:
                break
            data = self._exact(size, ends, "a chunk")
            response.chunks.append(data)
            body += data
            if self._exact(2, ends, "the CRLF after a chunk") != b"\r\n":
                self.fail("a chunk's data is not followed by CRLF")
        while self._line(ends, "the trailer section"):
            pass
        return bytes(body)

    def closes(self, within: float) -> bool:
        """Whether the server closes the connection within `within` seconds. Bytes it sends
        meanwhile are kept (and `extra` says so); a reset counts as closed."""
        ends = time.monotonic() + deadline.remaining(within, what="waiting for the server to close")
        while not self.eof:
            if time.monotonic() >= ends:
                return False
            if len(self.received) >= CAP:
                return False
            self.sock.settimeout(max(0.001, ends - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                return False
            except OSError:
                self.eof = True
                break
            if not data:
                self.eof = True
                break
            self.received += data
            self.pending += data
        return True

    def is_open(self) -> bool:
        """Nothing has closed the connection yet (checked without waiting)."""
        return not self.closes(0.05)


def connect(base_url: str, *, timeout: float = 5.0) -> RawConnection:
    host, port = address_of(base_url)
    return RawConnection(host, port, timeout=timeout)
