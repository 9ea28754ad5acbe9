"""What the lab01 checks share: building raw requests and judging raw responses."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from grader.rawhttp import RawConnection, RawResponse

HOST = b"Host: lab\r\n"
TEXT = "text/plain; charset=utf-8"
IMF_FIXDATE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d{2}:\d{2}:\d{2} GMT"
)
MAX_BODY = 1024  # the manifest's [app.env]
MAX_HEADER = 2048
IDLE_TIMEOUT = 2.0
IDLE_LEEWAY = 2.0  # the contract: "the grader waits up to two seconds more"


def request(
    target: str,
    method: str = "GET",
    *,
    version: str = "1.1",
    headers: bytes = HOST,
    body: bytes | None = None,
) -> bytes:
    """A request's bytes; `headers` are raw header lines (Host included by default), a body gets its
    Content-Length unless the headers already frame it."""
    head = f"{method} {target} HTTP/{version}\r\n".encode() + headers
    if body is not None and b"content-length" not in headers.lower() and b"chunked" not in headers.lower():
        head += b"Content-Length: %d\r\n" % len(body)
    return head + b"\r\n" + (body or b"")


def expect_status(conn: RawConnection, response: RawResponse, *codes: int) -> RawResponse:
    if response.status not in codes:
        conn.fail(
            f"the answer was {response.status_line}",
            expected=" or ".join(str(code) for code in codes),
        )
    return response


def expect_body(conn: RawConnection, response: RawResponse, body: bytes) -> None:
    if response.body != body:
        conn.fail(f"the body was {response.body[:200]!r}", expected=repr(body))


def expect_text(conn: RawConnection, response: RawResponse) -> None:
    content_type = " ".join((response.header("content-type") or "").lower().split())
    if content_type.replace("; ", ";") != TEXT.replace("; ", ";"):
        conn.fail(f"Content-Type was {response.header('content-type')!r}", expected=TEXT)


def expect_refused(conn: RawConnection, response: RawResponse, status: int) -> None:
    """A framing error: the status, `Connection: close`, and the server closes the connection."""
    expect_status(conn, response, status)
    tokens = {t.strip().lower() for t in (response.header("connection") or "").split(",")}
    if "close" not in tokens:
        conn.fail(f"a {status} answer did not say Connection: close", expected="Connection: close")
    if not conn.closes(1.0):
        conn.fail(f"the server kept the connection open after answering {status}", expected="it closes")


def get(conn: RawConnection, target: str, **kwargs: object) -> RawResponse:
    """Send one request and read its answer."""
    conn.send(request(target, **kwargs))  # type: ignore[arg-type]
    return conn.response(head=kwargs.get("method") == "HEAD")


def date_of(conn: RawConnection, response: RawResponse) -> datetime:
    value = response.header("date")
    if value is None or not IMF_FIXDATE.fullmatch(value):
        conn.fail(f"Date was {value!r}", expected="IMF-fixdate, e.g. Sun, 06 Nov 1994 08:49:37 GMT")
    return parsedate_to_datetime(value).astimezone(UTC)
