"""Reading a request"""

from __future__ import annotations

from lab01_kit import (
    HOST,
    MAX_HEADER,
    expect_body,
    expect_refused,
    expect_status,
    get,
    request,
)

from grader.checks import check


def refused(raw, data: bytes, status: int) -> None:
    """Send `data` on a fresh connection: it must be answered `status`, then closed."""
    conn = raw()
    conn.send(data)
    expect_refused(conn, conn.response(), status)


@check(
    "a request line without exactly three space-separated parts, or not an absolute path, answers 400",
    points=2,
    hint="Split the request line on single spaces: method, target, version, nothing more or less. The "
    "target must start with '/'.",
    rules=["R2.1", "R3.7"],
)
def test_bad_request_line(raw):
    for line in (
        b"GET  /hello HTTP/1.1\r\n",
        b"GET /hello\r\n",
        b"GET /hello HTTP/1.1 extra\r\n",
        b"GET hello HTTP/1.1\r\n",
    ):
        refused(raw, line + HOST + b"\r\n", 400)


@check(
    "a version other than HTTP/1.0 and HTTP/1.1 answers 505",
    points=2,
    hint="Parse the version as HTTP/<digit>.<digit>; well-formed but unsupported is 505, not 400.",
    rules=["R2.2", "R3.7"],
)
def test_unsupported_version(raw):
    for version in ("2.0", "1.2", "0.9"):
        refused(raw, request("/hello", version=version), 505)


@check(
    "a malformed version (HTTP/1, http/1.1) answers 400",
    points=1,
    hint="The version is exactly `HTTP/` (upper case), a digit, a dot and a digit.",
    rules=["R2.2", "R3.7"],
)
def test_malformed_version(raw):
    for line in (b"GET /hello HTTP/1\r\n", b"GET /hello http/1.1\r\n", b"GET /hello HTTP/1.1x\r\n"):
        refused(raw, line + HOST + b"\r\n", 400)


@check(
    "an HTTP/1.0 request without Host is served",
    points=1,
    hint="Host is required from HTTP/1.1 on; an HTTP/1.0 request may omit it.",
    rules=["R2.2", "R2.4"],
)
def test_http10_without_host(raw):
    conn = raw()
    response = expect_status(conn, get(conn, "/hello", version="1.0", headers=b""), 200)
    expect_body(conn, response, b"Hello, world!\n")


@check(
    "an HTTP/1.1 request without Host, or with two, answers 400",
    points=2,
    hint="Count the Host header lines of an HTTP/1.1 request: exactly one.",
    rules=["R2.4", "R3.7"],
)
def test_host_required(raw):
    refused(raw, request("/hello", headers=b"Accept: */*\r\n"), 400)
    refused(raw, request("/hello", headers=HOST + b"host: other\r\n"), 400)


@check(
    "header names are matched whatever their case (HOST, content-LENGTH)",
    points=1,
    hint="Lower-case header names when you read them, and look them up lower-cased.",
    rules=["R2.3"],
)
def test_header_names_any_case(raw):
    conn = raw()
    conn.send(b"POST /echo HTTP/1.1\r\nHOST: lab\r\ncontent-LENGTH: 4\r\n\r\nbody")
    expect_body(conn, expect_status(conn, conn.response(), 200), b"body")


@check(
    "a folded header line (starting with a space or tab) answers 400",
    points=2,
    hint="Obsolete line folding is refused (RFC 9112 §5.2): a header line may not start with whitespace.",
    rules=["R2.5", "R3.7"],
)
def test_folding_refused(raw):
    refused(raw, request("/hello", headers=HOST + b"X-Long: one\r\n  two\r\n"), 400)
    refused(raw, request("/hello", headers=HOST + b"X-Long: one\r\n\ttwo\r\n"), 400)


@check(
    "a header line without a colon, or with a space before the colon, answers 400",
    points=2,
    hint="A field is `name: value` with no whitespace between the name and the colon (RFC 9112 §5.1).",
    rules=["R2.5", "R3.7"],
)
def test_malformed_header(raw):
    refused(raw, request("/hello", headers=HOST + b"X-No-Colon here\r\n"), 400)
    refused(raw, request("/hello", headers=HOST + b"X-Space : here\r\n"), 400)


def _head_of(size: int) -> bytes:
    """A GET /hello whose head (request line to the empty line, CRLFs included) is `size` bytes."""
    start = b"GET /hello HTTP/1.1\r\n" + HOST + b"X-Pad: "
    padding = size - len(start) - len(b"\r\n\r\n")
    data = start + b"p" * padding + b"\r\n\r\n"
    assert len(data) == size
    return data


@check(
    "a request head of exactly MAX_HEADER bytes is served, one byte more answers 431",
    points=3,
    hint="Count every byte from the request line to the empty line, CRLFs included; the limit is inclusive.",
    rules=["R2.6", "R3.7"],
)
def test_header_limit(raw):
    conn = raw()
    conn.send(_head_of(MAX_HEADER))
    expect_body(conn, expect_status(conn, conn.response(), 200), b"Hello, world!\n")
    refused(raw, _head_of(MAX_HEADER + 1), 431)


@check(
    "a long header list over the limit answers 431, even when each line is short",
    points=1,
    hint="The limit is on the whole head, not on each line.",
    rules=["R2.6", "R3.7"],
)
def test_header_limit_many_lines(raw):
    lines = b"".join(b"X-Field-%03d: value\r\n" % i for i in range(MAX_HEADER // 20))
    refused(raw, request("/hello", headers=HOST + lines), 431)


@check(
    "a request sent one byte at a time is answered",
    points=2,
    hint="Keep reading into a buffer until the head's empty line (and then the body's length) has "
    "arrived: one recv is not one request.",
    rules=["R2.7"],
)
def test_byte_by_byte(raw):
    conn = raw()
    conn.send_in_pieces(request("/echo", method="POST", body=b"slowly"))
    expect_body(conn, expect_status(conn, conn.response(), 200), b"slowly")


@check(
    "a request split inside its CRLFs and its body is answered",
    points=2,
    hint="A CRLF may arrive as '\\r' in one segment and '\\n' in the next; look for the line end in "
    "what is buffered, not in the last recv.",
    rules=["R2.7"],
)
def test_split_segments(raw):
    conn = raw()
    data = request("/echo", method="POST", body=b"0123456789") + request("/echo/next")
    end = data.index(b"\r\n\r\n")
    cuts = [data.index(b"\r\n") + 1, end + 3, end + 7, end + 11]  # mid-CRLF, then the body in 3 pieces
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    for piece in pieces:
        conn.send_in_pieces(piece, size=len(piece), pause=0.05)
    expect_body(conn, expect_status(conn, conn.response(), 200), b"0123456789")
    expect_body(conn, expect_status(conn, conn.response(), 200), b"next")
