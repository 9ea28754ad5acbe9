"""Connections"""

from __future__ import annotations

import time

from lab01_kit import HOST, IDLE_LEEWAY, IDLE_TIMEOUT, expect_body, expect_status, get, request

from grader.checks import check


def _tokens(value: str | None) -> set[str]:
    return {t.strip().lower() for t in (value or "").split(",") if t.strip()}


@check(
    "an HTTP/1.1 connection stays open for the next request",
    points=2,
    hint="Loop on the connection: after answering, read the next request unless the client (or an "
    "error) asked to close.",
    rules=["R5.1"],
)
def test_keep_alive_default(raw):
    conn = raw()
    for word in ("one", "two", "three"):
        response = expect_status(conn, get(conn, f"/echo/{word}"), 200)
        expect_body(conn, response, word.encode())
        if "close" in _tokens(response.header("connection")):
            conn.fail("the server said Connection: close to a plain HTTP/1.1 request")


@check(
    "the connection stays open after a 404 and a 405",
    points=1,
    hint="404 and 405 are ordinary answers: the request was framed correctly, so keep the connection.",
    rules=["R5.1"],
)
def test_keep_alive_after_errors(raw):
    conn = raw()
    expect_status(conn, get(conn, "/nope"), 404)
    expect_status(conn, get(conn, "/hello", method="DELETE"), 405)
    expect_body(conn, expect_status(conn, get(conn, "/hello"), 200), b"Hello, world!\n")


@check(
    "Connection: close (any case) is answered with Connection: close, then the server closes",
    points=2,
    hint="Connection is a comma-separated list of case-insensitive tokens; on `close`, answer, say "
    "Connection: close, and close the socket.",
    rules=["R5.2"],
)
def test_connection_close(raw):
    conn = raw()
    response = get(conn, "/hello", headers=HOST + b"Connection: Close\r\n")
    expect_status(conn, response, 200)
    if "close" not in _tokens(response.header("connection")):
        conn.fail("the answer did not say Connection: close", expected="Connection: close")
    if not conn.closes(1.0):
        conn.fail("the server kept the connection open after Connection: close", expected="it closes")


@check(
    "an HTTP/1.0 connection closes after the response",
    points=1,
    hint="HTTP/1.0 connections are not persistent unless the client asks with Connection: keep-alive.",
    rules=["R5.3"],
)
def test_http10_closes(raw):
    conn = raw()
    expect_status(conn, get(conn, "/hello", version="1.0", headers=b""), 200)
    if not conn.closes(1.0):
        conn.fail("an HTTP/1.0 connection stayed open after the response", expected="it closes")


@check(
    "an HTTP/1.0 request with Connection: keep-alive keeps the connection and says so",
    points=2,
    hint="Answer `Connection: keep-alive` to an HTTP/1.0 client that asked for it, and keep reading.",
    rules=["R5.3"],
)
def test_http10_keep_alive(raw):
    conn = raw()
    response = get(conn, "/echo/first", version="1.0", headers=b"Connection: Keep-Alive\r\n")
    expect_body(conn, expect_status(conn, response, 200), b"first")
    if "keep-alive" not in _tokens(response.header("connection")):
        conn.fail("the answer did not say Connection: keep-alive", expected="Connection: keep-alive")
    response = get(conn, "/echo/second", version="1.0", headers=b"Connection: keep-alive\r\n")
    expect_body(conn, expect_status(conn, response, 200), b"second")


@check(
    "pipelined requests are answered in order, each complete",
    points=3,
    hint="Parse requests off one buffer in order and write each response fully before reading the next "
    "request; never drop what is left in the buffer.",
    rules=["R5.4"],
)
def test_pipelining(raw):
    conn = raw()
    conn.send(
        request("/echo/one")
        + request("/echo", "POST", body=b"two")
        + request("/nope")
        + request("/headers/x-four", headers=HOST + b"X-Four: four\r\n")
        + request("/chunked/2")
        + request("/echo/six", headers=HOST + b"Connection: close\r\n")
    )
    expected = [(200, b"one"), (200, b"two"), (404, None), (200, b"four"), (200, b"chunk 1\nchunk 2\n")]
    for status, body in [*expected, (200, b"six")]:
        response = expect_status(conn, conn.response(), status)
        if body is not None:
            expect_body(conn, response, body)


@check(
    "a connection silent for IDLE_TIMEOUT seconds after a response is closed",
    points=2,
    hint="Put a timeout on every read (socket.settimeout or asyncio.wait_for) and close the connection "
    "when it expires.",
    rules=["R5.5"],
    budget=15,
)
def test_idle_between_requests(raw):
    conn = raw()
    expect_status(conn, get(conn, "/hello"), 200)
    started = time.monotonic()
    if not conn.closes(IDLE_TIMEOUT + IDLE_LEEWAY):
        conn.fail(
            f"the connection was still open {IDLE_TIMEOUT + IDLE_LEEWAY:g} s after the last response",
            expected=f"closed after IDLE_TIMEOUT={IDLE_TIMEOUT:g} s",
        )
    waited = time.monotonic() - started
    if waited < IDLE_TIMEOUT - 0.5:
        conn.fail(f"the server closed an idle connection after {waited:.1f} s", expected="IDLE_TIMEOUT")


@check(
    "a client that stops in the middle of its request is disconnected after IDLE_TIMEOUT",
    points=2,
    hint="The timeout applies to every read, including those in the middle of a head or a body: a "
    "client that stops sending cannot hold a connection forever.",
    rules=["R5.5"],
    budget=15,
)
def test_idle_mid_request(raw):
    for partial in (b"GET /hello HTTP/1.1\r\nHost: lab\r\n", request("/echo", "POST", body=b"0123")[:-2]):
        conn = raw()
        conn.send(partial)
        if not conn.closes(IDLE_TIMEOUT + IDLE_LEEWAY):
            conn.fail(
                "a half-sent request held the connection open",
                expected=f"closed after IDLE_TIMEOUT={IDLE_TIMEOUT:g} s",
            )


@check(
    "a connection is not closed while it is busy: a pause shorter than IDLE_TIMEOUT is fine",
    points=1,
    hint="The idle timer restarts with every byte received; it is not a limit on the connection's life.",
    rules=["R5.5", "R5.1"],
    budget=15,
)
def test_not_closed_early(raw):
    conn = raw()
    for word in ("one", "two", "three", "four"):
        conn.send(request(f"/echo/{word}")[:10])
        time.sleep(IDLE_TIMEOUT / 2)  # the client's own pace, shorter than the idle timeout
        conn.send(request(f"/echo/{word}")[10:])
        expect_body(conn, expect_status(conn, conn.response(), 200), word.encode())
