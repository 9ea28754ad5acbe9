"""grader.rawhttp: exact bytes out, strict parsing in, every read bounded in time and size, and
failure messages a learner can replay."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from grader import deadline
from grader.checks import CheckFailed
from grader.rawhttp import CAP, RawConnection, address_of, escape, printf_line


@pytest.fixture
def server() -> Iterator[Callable[[Callable[[socket.socket], None]], RawConnection]]:
    """`server(behaviour)`: a one-connection TCP server on loopback running `behaviour(conn)`."""
    listeners: list[socket.socket] = []

    def make(behaviour: Callable[[socket.socket], None]) -> RawConnection:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def run() -> None:
            conn, _ = listener.accept()
            with conn, contextlib.suppress(OSError):
                behaviour(conn)

        threading.Thread(target=run, daemon=True).start()
        return RawConnection("127.0.0.1", listener.getsockname()[1], timeout=1.0)

    yield make
    for listener in listeners:
        listener.close()


def test_replay_lines_escape_what_a_shell_would_mangle():
    line = printf_line(b"GET /a%20b HTTP/1.1\r\nX: 'q'\t\\\r\n\r\n", "127.0.0.1", 8000)
    assert line == (
        "printf 'GET /a%%20b HTTP/1.1\\r\\nX: \\047q\\047\\011\\134\\r\\n\\r\\n' | nc 127.0.0.1 8000"
    )
    assert "truncated" in printf_line(b"x" * 5000, "h", 1)
    assert escape(b"a" * 1000, limit=10).endswith("[1000 bytes in all, truncated]")
    assert address_of("http://127.0.0.1:8123") == ("127.0.0.1", 8123)


def test_a_chunked_answer_is_parsed_with_its_chunks(server):
    def answer(conn: socket.socket) -> None:
        conn.recv(1000)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n1;x=y\r\nd\r\n0\r\nT: 1\r\n\r\n"
        )
        conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno")
        conn.recv(1000)

    conn = server(answer)
    conn.send(b"GET / HTTP/1.1\r\n\r\n")
    first = conn.response()
    assert (first.status, first.framing, first.body, first.chunks) == (
        200,
        "chunked",
        b"abcd",
        [b"abc", b"d"],
    )
    second = conn.response()
    assert (second.status, second.reason, second.body, second.header("content-length")) == (
        404,
        "Not Found",
        b"no",
        "2",
    )
    conn.close()


def test_a_server_that_never_answers_fails_within_the_timeout(server):
    conn = server(lambda c: c.recv(1000) and time.sleep(3))
    conn.send(b"GET / HTTP/1.1\r\n\r\n")
    started = time.monotonic()
    with pytest.raises(CheckFailed, match="no complete answer within 1 s") as caught:
        conn.response()
    assert time.monotonic() - started < 2
    assert "replay: printf 'GET / HTTP/1.1\\r\\n\\r\\n' | nc 127.0.0.1" in caught.value.message
    assert "received: (nothing)" in (caught.value.actual or "")
    assert conn.closes(0.1) is False
    conn.close()


def test_a_flood_is_cut_at_the_cap(server):
    def flood(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
        while True:
            conn.sendall(b"x" * 65536)

    conn = server(flood)
    with pytest.raises(CheckFailed, match=f"more than {CAP} bytes"):
        conn.response(timeout=5)
    conn.close()


def test_the_checks_deadline_shortens_every_read(server):
    conn = server(lambda c: c.recv(1000) and time.sleep(3))
    conn.timeout = 10.0
    conn.send(b"GET / HTTP/1.1\r\n\r\n")
    started = time.monotonic()
    with deadline.within(0.3), pytest.raises((CheckFailed, deadline.DeadlineExceeded)):
        conn.response()
    assert time.monotonic() - started < 1.5
    conn.close()


def test_closes_sees_the_end_and_a_malformed_status_line_fails(server):
    def bad(conn: socket.socket) -> None:
        conn.recv(1000)
        conn.sendall(b"HTTP/1.1 OK\r\n\r\n")

    conn = server(bad)
    conn.send(b"GET / HTTP/1.1\r\n\r\n")
    with pytest.raises(CheckFailed, match="not a status line"):
        conn.response()
    assert conn.closes(1.0) is True
    conn.close()
