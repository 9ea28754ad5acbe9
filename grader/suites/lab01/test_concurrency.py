"""Concurrency"""

from __future__ import annotations

import time

from lab01_kit import HOST, IDLE_TIMEOUT, expect_body, expect_status, get, request

from grader.checks import check

CLIENTS = 20


@check(
    f"{CLIENTS} clients connected at the same time are all answered",
    points=3,
    hint="Serve each connection on its own thread (or asyncio task, or with selectors): a server that "
    "finishes one keep-alive connection before accepting the next leaves the others waiting.",
    rules=["R6.1"],
    alone=True,
)
def test_many_clients(raw):
    connections = [raw() for _ in range(CLIENTS)]
    for i, conn in enumerate(connections):
        conn.send(request(f"/echo/client-{i}"))
    # The last client is read first: a server that serves a few connections at a time (one, or a
    # small pool) would reach it only after the first ones went idle and timed out.
    for i, conn in reversed(list(enumerate(connections))):
        response = expect_status(conn, conn.response(timeout=IDLE_TIMEOUT + 1), 200)
        expect_body(conn, response, f"client-{i}".encode())


@check(
    "a client stalled in the middle of a request does not delay the others",
    points=3,
    hint="Reading one client's request must not block the server: one thread or task per connection.",
    rules=["R6.2"],
    alone=True,
)
def test_stalled_client(raw):
    stalled = raw()
    stalled.send(b"POST /echo HTTP/1.1\r\nHost: lab\r\nContent-Le")
    other = raw()
    started = time.monotonic()
    response = expect_status(other, get(other, "/hello"), 200)
    expect_body(other, response, b"Hello, world!\n")
    if time.monotonic() - started > 1.0:
        other.fail(
            f"the answer took {time.monotonic() - started:.1f} s while another client was stalled",
            expected="within 1 s",
        )


@check(
    "a client idle on an open connection does not delay the others",
    points=2,
    hint="Waiting for a kept-alive client's next request must not block the accept loop.",
    rules=["R6.2", "R6.1"],
    alone=True,
)
def test_idle_client(raw):
    idle = raw()
    expect_status(idle, get(idle, "/hello"), 200)  # then it says nothing more
    other = raw()
    started = time.monotonic()
    other.send(request("/echo/other", headers=HOST + b"Connection: close\r\n"))
    expect_body(other, expect_status(other, other.response(timeout=3), 200), b"other")
    if time.monotonic() - started > 1.0:
        other.fail(
            f"the answer took {time.monotonic() - started:.1f} s while another client was idle",
            expected="within 1 s",
        )
