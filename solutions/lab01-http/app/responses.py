"""Writing responses: a status line, framed headers, a body."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus

TEXT = "text/plain; charset=utf-8"


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = TEXT
    headers: list[tuple[str, str]] = field(default_factory=list)
    chunks: list[bytes] | None = None  # sent with Transfer-Encoding: chunked to HTTP/1.1 clients


def text(status: int, body: str, **kwargs: object) -> Response:
    return Response(status, body.encode("utf-8"), **kwargs)  # type: ignore[arg-type]


def serialize(response: Response, *, head: bool, version: tuple[int, int], keep_alive: bool) -> bytes:
    """The bytes of a response. HEAD gets the headers GET would get and no body."""
    reason = HTTPStatus(response.status).phrase
    lines = [
        f"HTTP/1.1 {response.status} {reason}",
        f"Date: {formatdate(usegmt=True)}",  # IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        "Server: lab01",
        f"Content-Type: {response.content_type}",
    ]
    lines += [f"{name}: {value}" for name, value in response.headers]
    chunked = response.chunks is not None and version == (1, 1)
    body = response.body if response.chunks is None else b"".join(response.chunks)
    if response.status in (204, 304):  # no body, and no Content-Length on a 204 (RFC 9110 §8.6)
        body = b""
    elif chunked:
        lines.append("Transfer-Encoding: chunked")
        body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in response.chunks or [] if c) + b"0\r\n\r\n"
    else:
        lines.append(f"Content-Length: {len(body)}")
    if not keep_alive:
        lines.append("Connection: close")
    elif version == (1, 0):
        lines.append("Connection: keep-alive")
    head_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head_bytes if head else head_bytes + body
