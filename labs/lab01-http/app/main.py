"""Lab 01 starter: a server that accepts one connection at a time and answers only /health.

Read the contract in README.md, then replace the TODOs. Run it with `python -m app.main`.
"""

from __future__ import annotations

import os
import socket

HOST = os.environ.get("HOST", "127.0.0.1")
PORT = int(os.environ.get("PORT", "8000"))
# TODO: read MAX_BODY, MAX_HEADER and IDLE_TIMEOUT from the environment too.


def handle(conn: socket.socket) -> None:
    # TODO: this reads whatever the first recv returns and hopes it is a whole request. Read until the
    # empty line that ends the head (a request may arrive one byte at a time), within MAX_HEADER.
    data = conn.recv(65536)
    request_line = data.split(b"\r\n", 1)[0]
    parts = request_line.split(b" ")
    # TODO: validate the request line and the version, parse the header fields, require Host,
    # read the body by Content-Length or chunked coding, route to the resources of the contract.
    # TODO (section 7): GET /resolve: DNS queries packed by hand with struct, sent over UDP to
    # DNS_SERVER, answers parsed (name compression), CNAMEs followed, a cache by TTL.
    # TODO (section 8): /notes and /notes/{id}: notes in memory as JSON, 201 + Location, 204, 404,
    # 415 and 400 with {"error": ...} bodies.
    # TODO (section 9): GET /static/{path}: the files of ../public (next to app/), with ETag,
    # Last-Modified, 304 for If-None-Match / If-Modified-Since, Range (206, 416), and no path that
    # leads outside public/.
    if len(parts) == 3 and parts[1] == b"/health":
        status, body = "200 OK", b"ok\n"
    else:
        status, body = "501 Not Implemented", b"not implemented yet\n"
    # TODO: a Date header, and keep the connection open for the next request (HTTP/1.1 default).
    head = (
        f"HTTP/1.1 {status}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n"
        "\r\n"
    )
    conn.sendall(head.encode("ascii") + body)


def main() -> None:
    listener = socket.create_server((HOST, PORT))
    print(f"listening on {HOST}:{PORT}", flush=True)
    while True:
        # TODO: one client at a time: a slow client holds everyone else. Serve connections concurrently.
        conn, _ = listener.accept()
        with conn:
            handle(conn)


if __name__ == "__main__":
    main()
