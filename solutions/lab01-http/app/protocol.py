"""Reading HTTP/1.1 requests off a socket: the request head, then the body by its framing."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field

from app.config import Settings

TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
VERSION = re.compile(rb"HTTP/(\d)\.(\d)")
CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]+)[ \t]*(;.*)?")


class Closed(Exception):
    """The client closed the connection or went silent: nothing more to answer."""


class HttpError(Exception):
    """A request the server refuses: answered with `status`, then the connection is closed."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass
class Request:
    method: str
    target: str
    version: tuple[int, int]
    headers: list[tuple[str, str]] = field(default_factory=list)  # (lower-case name, value), in order
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """All values of a header, joined with ", " as if they had been sent on one line."""
        values = [value for key, value in self.headers if key == name.lower()]
        return ", ".join(values) if values else None

    def count(self, name: str) -> int:
        return sum(1 for key, _ in self.headers if key == name.lower())

    @property
    def keep_alive(self) -> bool:
        tokens = {t.strip().lower() for t in (self.header("connection") or "").split(",")}
        if self.version == (1, 1):
            return "close" not in tokens
        return "keep-alive" in tokens


class Reader:
    """A buffered reader on a socket; every recv waits at most the idle timeout."""

    def __init__(self, sock: socket.socket, settings: Settings) -> None:
        self.sock = sock
        self.settings = settings
        self.buffer = bytearray()
        sock.settimeout(settings.idle_timeout)

    def _fill(self) -> None:
        try:
            data = self.sock.recv(65536)
        except (TimeoutError, OSError) as exc:
            raise Closed from exc
        if not data:
            raise Closed
        self.buffer += data

    def readline(self, limit: int, status: int) -> bytes:
        """One line with its CRLF; `status` answers a line longer than `limit` bytes."""
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0:
                if end + 1 > limit:
                    raise HttpError(status, "line too long")
                line = bytes(self.buffer[: end + 1])
                del self.buffer[: end + 1]
                return line
            if len(self.buffer) > limit:
                raise HttpError(status, "line too long")
            self._fill()

    def read_exact(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self._fill()
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        return data

    @property
    def waiting(self) -> bool:
        return bool(self.buffer)


def _strip_eol(line: bytes) -> bytes:
    if line.endswith(b"\r\n"):
        return line[:-2]
    return line[:-1]


def read_head(reader: Reader) -> Request:
    """The request line and the header fields, at most MAX_HEADER bytes in all."""
    budget = reader.settings.max_header
    line = reader.readline(budget, 431)
    used = len(line)
    parts = _strip_eol(line).split(b" ")
    if len(parts) != 3 or not TOKEN.fullmatch(parts[0]) or not parts[1]:
        raise HttpError(400, "malformed request line")
    method, target, version = parts
    match = VERSION.fullmatch(version)
    if match is None:
        raise HttpError(400, "malformed HTTP version")
    major, minor = int(match.group(1)), int(match.group(2))
    if (major, minor) not in ((1, 0), (1, 1)):
        raise HttpError(505, "only HTTP/1.0 and HTTP/1.1 are served")
    if not target.startswith(b"/"):
        raise HttpError(400, "the target must be an absolute path")
    request = Request(method.decode("ascii"), target.decode("latin-1"), (major, minor))
    while True:
        line = reader.readline(budget - used, 431)
        used += len(line)
        if used > budget:
            raise HttpError(431, "request head too large")
        line = _strip_eol(line)
        if not line:
            break
        if line[:1] in (b" ", b"\t"):
            raise HttpError(400, "obsolete line folding is not accepted")
        name, colon, value = line.partition(b":")
        if not colon or not TOKEN.fullmatch(name):
            raise HttpError(400, "malformed header field")
        request.headers.append((name.decode("ascii").lower(), value.strip(b" \t").decode("latin-1")))
    if request.version == (1, 1) and request.count("host") != 1:
        raise HttpError(400, "an HTTP/1.1 request needs exactly one Host header")
    return request


def read_body(reader: Reader, request: Request) -> None:
    """The body, framed by Transfer-Encoding: chunked or by Content-Length."""
    encoding = request.header("transfer-encoding")
    length = request.header("content-length")
    if encoding is not None:
        if length is not None:
            raise HttpError(400, "Transfer-Encoding and Content-Length together")
        if encoding.strip().lower() != "chunked":
            raise HttpError(501, "only the chunked transfer coding is supported")
        request.body = _read_chunked(reader)
        return
    if length is not None:
        values = {v.strip() for v in length.split(",")}
        # ASCII digits only: str.isdigit() also takes '²', which int() then refuses
        if len(values) != 1 or not next(iter(values)).isascii() or not next(iter(values)).isdigit():
            raise HttpError(400, "invalid Content-Length")
        size = int(values.pop())
        if size > reader.settings.max_body:
            raise HttpError(413, f"a body is at most {reader.settings.max_body} bytes")
        request.body = reader.read_exact(size)
        return
    if request.method == "POST":
        raise HttpError(411, "a body needs Content-Length or Transfer-Encoding: chunked")


def _read_chunked(reader: Reader) -> bytes:
    body = bytearray()
    limit = reader.settings.max_header
    while True:
        line = _strip_eol(reader.readline(limit, 400))
        match = CHUNK_SIZE.fullmatch(line)
        if match is None:
            raise HttpError(400, "invalid chunk size line")
        size = int(match.group(1), 16)
        if size == 0:
            break
        if len(body) + size > reader.settings.max_body:
            raise HttpError(413, f"a body is at most {reader.settings.max_body} bytes")
        body += reader.read_exact(size)
        if reader.read_exact(2) != b"\r\n":
            raise HttpError(400, "a chunk's data must end with CRLF")
    used = 0
    while True:  # trailer fields, up to the empty line; read and dropped
        line = reader.readline(limit - used, 431)
        used += len(line)
        if not _strip_eol(line):
            return bytes(body)
