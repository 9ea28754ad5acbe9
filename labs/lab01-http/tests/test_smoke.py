"""A few visible checks, on raw sockets as the grader talks: `pytest tests`."""

from __future__ import annotations

import socket


def exchange(server: tuple[str, int], data: bytes) -> bytes:
    """Send raw bytes, read until the server closes (at most 3 s)."""
    with socket.create_connection(server, timeout=3) as sock:
        sock.sendall(data)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            pass
        return received


def test_hello(server):
    answer = exchange(server, b"GET /hello HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 "), answer
    assert answer.endswith(b"\r\n\r\nHello, world!\n"), answer
    assert b"\r\nContent-Length: 14\r\n" in answer, answer


def test_a_missing_host_is_400(server):
    answer = exchange(server, b"GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 "), answer


def test_two_pipelined_requests(server):
    answer = exchange(
        server,
        b"GET /echo/one HTTP/1.1\r\nHost: lab\r\n\r\n"
        b"GET /echo/two HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n",
    )
    assert answer.count(b"HTTP/1.1 200 ") == 2, answer
    assert answer.index(b"\r\n\r\none") < answer.index(b"\r\n\r\ntwo"), answer
