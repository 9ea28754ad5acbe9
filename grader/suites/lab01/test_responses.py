"""Responses"""

from __future__ import annotations

from datetime import UTC, datetime

from lab01_kit import HOST, date_of, expect_body, expect_status, expect_text, get, request

from grader.checks import check


@check(
    "the status line is HTTP/1.1 <code> <reason>, to HTTP/1.0 requests too",
    points=1,
    hint="Always answer `HTTP/1.1 200 OK`: the version is what the server speaks, whatever the client's.",
    rules=["R4.1"],
)
def test_status_line(raw):
    conn = raw()
    for version in ("1.1", "1.0"):
        headers = HOST + (b"Connection: keep-alive\r\n" if version == "1.0" else b"")
        response = get(conn, "/hello", version=version, headers=headers)
        if response.version != "1.1" or response.status != 200 or not response.reason.strip():
            conn.fail(f"the status line was {response.status_line!r}", expected="HTTP/1.1 200 OK")


@check(
    "every response has a Date in IMF-fixdate format giving the current time",
    points=2,
    hint="email.utils.formatdate(usegmt=True) gives `Sun, 06 Nov 1994 08:49:37 GMT`, in UTC, on every "
    "answer (errors too).",
    rules=["R4.2"],
)
def test_date(raw):
    conn = raw()
    for target in ("/hello", "/nope"):
        response = get(conn, target)
        skew = abs((date_of(conn, response) - datetime.now(UTC)).total_seconds())
        if skew > 5:
            conn.fail(f"Date is {skew:.0f} s away from the current time", expected="the current UTC time")
    conn = raw()
    conn.send(b"GET /hello HTTP/9.9\r\n\r\n")
    date_of(conn, conn.response())


@check(
    "every answer has a Content-Type, text ones text/plain; charset=utf-8 (404, 405 and empty included)",
    points=1,
    hint="Name the charset: without it a client has to guess how to decode the body.",
    rules=["R4.3"],
)
def test_content_type(raw):
    conn = raw()
    for target, method in (("/hello", "GET"), ("/echo/x", "GET"), ("/nope", "GET"), ("/hello", "DELETE")):
        expect_text(conn, get(conn, target, method=method))
    response = expect_status(conn, get(conn, "/echo", method="POST", body=b""), 200)
    if not response.header("content-type"):
        conn.fail("an empty POST /echo answer had no Content-Type", expected="application/octet-stream")


@check(
    "Content-Length counts bytes, not characters",
    points=2,
    hint="len(body.encode('utf-8')), not len(text): 'é' is two bytes and '€' three.",
    rules=["R4.4"],
)
def test_length_in_bytes(raw):
    conn = raw()
    conn.send(request("/echo/%C3%A9%E2%82%AC%F0%9F%93%9A") + request("/hello"))
    response = expect_status(conn, conn.response(), 200)
    expect_body(conn, response, "é€📚".encode())
    expect_body(conn, expect_status(conn, conn.response(), 200), b"Hello, world!\n")


@check(
    "error answers are framed too (Content-Length), so the client knows where they end",
    points=1,
    hint="A 400 or 404 is a response like any other: give it a Content-Length.",
    rules=["R4.4"],
)
def test_errors_framed(raw):
    conn = raw()
    response = expect_status(conn, get(conn, "/nope"), 404)
    if response.framing not in ("length", "chunked"):
        conn.fail("the 404 had neither Content-Length nor chunked coding", expected="a framed answer")
    conn = raw()
    conn.send(b"GET /hello HTTP/1.1\r\n\r\n")
    response = expect_status(conn, conn.response(), 400)
    if response.framing not in ("length", "chunked"):
        conn.fail("the 400 had neither Content-Length nor chunked coding", expected="a framed answer")


@check(
    "HEAD on /hello and /echo/{text} answers GET's status and headers, Content-Length included, no body",
    points=2,
    hint="Build the GET response, then send only its head: same Content-Length, no body bytes.",
    rules=["R4.5"],
)
def test_head(raw):
    conn = raw()
    response = expect_status(conn, get(conn, "/hello", method="HEAD"), 200)
    if response.header("content-length") != "14":
        conn.fail(f"Content-Length was {response.header('content-length')!r}", expected="14, as for GET")
    expect_text(conn, response)
    response = expect_status(conn, get(conn, "/echo/caf%C3%A9", method="HEAD"), 200)
    if response.header("content-length") != "5":
        conn.fail(f"Content-Length was {response.header('content-length')!r}", expected="5, as for GET")
    # If a body followed the head, it would be read here instead of the next status line.
    expect_body(conn, expect_status(conn, get(conn, "/echo/after-head"), 200), b"after-head")


@check(
    "HEAD on a chunked resource says Transfer-Encoding: chunked and sends no chunks",
    points=1,
    hint="HEAD gets the headers GET would get, framing headers included, and nothing after them.",
    rules=["R4.5"],
)
def test_head_chunked(raw):
    conn = raw()
    response = expect_status(conn, get(conn, "/chunked/2", method="HEAD"), 200)
    if (response.header("transfer-encoding") or "").lower() != "chunked":
        conn.fail("HEAD /chunked/2 did not say Transfer-Encoding: chunked", expected="as GET would")
    expect_body(conn, expect_status(conn, get(conn, "/echo/after-head"), 200), b"after-head")
