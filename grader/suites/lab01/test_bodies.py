"""Request bodies"""

from __future__ import annotations

from lab01_kit import HOST, MAX_BODY, expect_body, expect_refused, expect_status, request

from grader.checks import check

CHUNKED = HOST + b"Transfer-Encoding: chunked\r\n"


def post(body: bytes, headers: bytes = HOST) -> bytes:
    """POST /echo with `body` sent as is (the caller frames it through `headers`)."""
    return b"POST /echo HTTP/1.1\r\n" + headers + b"\r\n" + body


@check(
    "a Content-Length body is read exactly; the bytes after it are the next request",
    points=2,
    hint="Read exactly Content-Length bytes, and keep whatever came after them in your buffer: it is "
    "the start of the next request.",
    rules=["R3.1"],
)
def test_content_length_exact(raw):
    conn = raw()
    conn.send(request("/echo", method="POST", body=b"hello") + request("/echo/next"))
    expect_body(conn, expect_status(conn, conn.response(), 200), b"hello")
    expect_body(conn, expect_status(conn, conn.response(), 200), b"next")


@check(
    "a chunked body is decoded: hex sizes in either case, chunk extensions ignored",
    points=3,
    hint="Each chunk is `<hex size>[;ext]\\r\\n<data>\\r\\n`; int(size, 16) after cutting at ';'. The "
    "body ends at the chunk of size 0.",
    rules=["R3.2"],
)
def test_chunked_body(raw):
    conn = raw()
    data = b"A\r\n0123456789\r\nb;name=value\r\nabcdefghijk\r\n1F\r\n" + b"x" * 31 + b"\r\n0\r\n\r\n"
    conn.send(post(data, CHUNKED))
    expect_body(conn, expect_status(conn, conn.response(), 200), b"0123456789abcdefghijk" + b"x" * 31)


@check(
    "trailer fields after the last chunk are read before the next request",
    points=3,
    hint="After `0\\r\\n` come optional trailer lines up to an empty line: read them all, or the next "
    "request starts in the middle of them.",
    rules=["R3.2"],
)
def test_chunked_trailers(raw):
    conn = raw()
    data = b"5\r\nhello\r\n0\r\nX-Checksum: 42\r\nX-Other: yes\r\n\r\n"
    conn.send(post(data, CHUNKED) + request("/echo/after"))
    expect_body(conn, expect_status(conn, conn.response(), 200), b"hello")
    expect_body(conn, expect_status(conn, conn.response(), 200), b"after")


@check(
    "a request with both Transfer-Encoding and Content-Length answers 400",
    points=3,
    hint="Two framings that disagree is how requests are smuggled past proxies: refuse the request "
    "(RFC 9112 §6.1) rather than pick one.",
    rules=["R3.3", "R3.7"],
)
def test_both_framings(raw):
    conn = raw()
    conn.send(post(b"0\r\n\r\n", CHUNKED + b"Content-Length: 5\r\n"))
    expect_refused(conn, conn.response(), 400)
    conn = raw()
    conn.send(post(b"0\r\n\r\n", HOST + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"))
    expect_refused(conn, conn.response(), 400)


@check(
    "a POST without Content-Length or Transfer-Encoding answers 411",
    points=2,
    hint="Without framing the server cannot know where the body ends: 411 Length Required.",
    rules=["R3.4", "R3.7"],
)
def test_length_required(raw):
    conn = raw()
    conn.send(post(b""))
    expect_refused(conn, conn.response(), 411)


@check(
    "a Content-Length of exactly MAX_BODY is served, one more answers 413 before the body is sent",
    points=3,
    hint="Compare the announced length with MAX_BODY before reading the body (the limit is inclusive), "
    "and answer at once.",
    rules=["R3.5", "R3.7"],
)
def test_body_limit_content_length(raw):
    conn = raw()
    body = bytes(range(256)) * (MAX_BODY // 256)
    conn.send(request("/echo", "POST", body=body))
    expect_body(conn, expect_status(conn, conn.response(), 200), body)
    conn = raw()
    conn.send(post(b"", HOST + b"Content-Length: %d\r\n" % (MAX_BODY + 1)))  # the head only
    expect_refused(conn, conn.response(), 413)


@check(
    "chunks adding up to MAX_BODY are served; one byte more answers 413",
    points=3,
    hint="Add up the chunk sizes as they come and refuse as soon as the total passes MAX_BODY.",
    rules=["R3.5", "R3.7"],
)
def test_body_limit_chunked(raw):
    conn = raw()
    half = MAX_BODY // 2
    data = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (half, b"a" * half, half, b"b" * half)
    conn.send(post(data, CHUNKED))
    expect_body(conn, expect_status(conn, conn.response(), 200), b"a" * half + b"b" * half)
    conn = raw()
    conn.send(post(b"%x\r\n%s\r\n%x\r\n" % (half, b"a" * half, half + 1), CHUNKED))  # no data after
    expect_refused(conn, conn.response(), 413)


@check(
    "a Content-Length that is not a number, or two different ones, answers 400",
    points=2,
    hint="Content-Length is decimal digits only; two lines with different values is broken framing.",
    rules=["R3.6", "R3.7"],
)
def test_bad_content_length(raw):
    for headers in (
        HOST + b"Content-Length: five\r\n",
        HOST + b"Content-Length: -5\r\n",
        HOST + b"Content-Length: \xb2\r\n",  # a digit to str.isdigit() ('²' in Latin-1), not to HTTP
        HOST + b"Content-Length: 5\r\nContent-Length: 6\r\n",
    ):
        conn = raw()
        conn.send(post(b"hello!", headers))
        expect_refused(conn, conn.response(), 400)


@check(
    "a chunk size that is not hexadecimal, or chunk data not followed by CRLF, answers 400",
    points=2,
    hint="Check the CRLF after each chunk's data, and refuse a size line that is not hex digits.",
    rules=["R3.6", "R3.7"],
)
def test_bad_chunks(raw):
    for data in (b"zz\r\nhello\r\n0\r\n\r\n", b"5\r\nhelloXY0\r\n\r\n", b"-1\r\nhello\r\n0\r\n\r\n"):
        conn = raw()
        conn.send(post(data, CHUNKED))
        expect_refused(conn, conn.response(), 400)
