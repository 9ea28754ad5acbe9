"""The server: one thread per connection, requests read and answered in order on each."""

from __future__ import annotations

import contextlib
import socket
import threading

from app.config import Settings, load
from app.protocol import Closed, HttpError, Reader, read_body, read_head
from app.resolver import Resolver
from app.responses import serialize, text
from app.routes import route


def serve_connection(sock: socket.socket, settings: Settings, resolver: Resolver) -> None:
    reader = Reader(sock, settings)
    with sock:
        while True:
            try:
                request = read_head(reader)
                read_body(reader, request)
            except Closed:
                return
            except HttpError as error:
                # The framing can no longer be trusted: answer, then close.
                answer = text(error.status, error.detail + "\n")
                sock.sendall(serialize(answer, head=False, version=(1, 1), keep_alive=False))
                _linger(sock)
                return
            keep_alive = request.keep_alive
            try:
                response = route(request, resolver)
                keep_alive = keep_alive and response.status != 400  # rule 3.7, /resolve's 400 too
            except HttpError as error:
                response = text(error.status, error.detail + "\n")
                keep_alive = False
            print(
                f"{request.method} {request.target} -> {response.status}\n", end="", flush=True
            )  # one write
            head = request.method == "HEAD"
            sock.sendall(serialize(response, head=head, version=request.version, keep_alive=keep_alive))
            if not keep_alive:
                return


def _linger(sock: socket.socket) -> None:
    """Close gently: closing with unread bytes would reset the connection and could destroy the
    answer before the client reads it (RFC 9112 §9.6). Send FIN, then drain briefly."""
    sock.shutdown(socket.SHUT_WR)
    sock.settimeout(1.0)
    with contextlib.suppress(OSError):
        while sock.recv(65536):
            pass


def _guarded(sock: socket.socket, settings: Settings, resolver: Resolver) -> None:
    with contextlib.suppress(OSError):  # the client went away mid-answer
        serve_connection(sock, settings, resolver)


def main() -> None:
    settings = load()
    listener = socket.create_server((settings.host, settings.port), backlog=128, reuse_port=False)
    resolver = Resolver(settings.dns_server, settings.dns_timeout)
    print(f"listening on {settings.host}:{settings.port}", flush=True)
    while True:
        sock, _ = listener.accept()
        threading.Thread(target=_guarded, args=(sock, settings, resolver), daemon=True).start()


if __name__ == "__main__":
    main()
