"""A small HTTP server the suite runs on loopback: an upstream, an identity provider, an SSRF target.

Routes are plain functions of a `StubRequest` that return a `StubResponse` (or a tuple). Every call
is recorded, so a suite can count what the app asked for. The app reaches the server through the
`expose` fixture, under every runner:

    with StubServer() as upstream:
        upstream.route("GET", "/items/{id}", lambda req: StubResponse.json({"id": req.params["id"]}))
        url = f"http://{expose(upstream.port)}"
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class StubRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # from {placeholders} in the route
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class StubResponse:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # seconds before answering: simulates a slow upstream, never used to synchronise
    # seconds between the body's pieces, after the headers went out at once: an upstream that starts in
    # time and then trickles (only a bound on the whole call cuts it off, not one per read)
    trickle: float = 0.0
    pieces: int = 8

    @classmethod
    def json(cls, data: Any, status: int = 200, **kwargs: Any) -> StubResponse:
        headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
        return cls(status=status, headers=headers, body=json.dumps(data).encode(), **kwargs)

    @classmethod
    def text(
        cls, text: str, status: int = 200, content_type: str = "text/plain", **kwargs: Any
    ) -> StubResponse:
        headers = {"Content-Type": f"{content_type}; charset=utf-8", **kwargs.pop("headers", {})}
        return cls(status=status, headers=headers, body=text.encode(), **kwargs)

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> StubResponse:
        return cls(status=status, headers={"Location": location})


Handler = Callable[[StubRequest], "StubResponse | tuple[int, Any]"]


def _pattern(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", path)
    regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}$")


class StubServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 with recorded calls; start() / stop() or a with block."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._lock = threading.Lock()
        self.calls: list[StubRequest] = []
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The server's URL as the suite sees it (the app sees it through `expose`)."""
        return f"http://127.0.0.1:{self.port}"

    def route(self, method: str, path: str, handler: Handler) -> None:
        """Answer `method path` with `handler`; a later route for the same path wins."""
        with self._lock:
            self._routes.insert(0, (method.upper(), _pattern(path), handler))

    def requests(self, path: str | None = None, method: str | None = None) -> list[StubRequest]:
        """The recorded requests (for one path and method when given), oldest first."""
        with self._lock:
            return [
                call
                for call in self.calls
                if (path is None or call.path == path) and (method is None or call.method == method.upper())
            ]

    def count(self, path: str | None = None, method: str | None = None) -> int:
        return len(self.requests(path, method))

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()

    def start(self) -> StubServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="stub-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _dispatch(self, request: StubRequest) -> StubResponse:
        with self._lock:
            self.calls.append(request)
            routes = list(self._routes)
        for method, pattern, handler in routes:
            match = pattern.match(request.path)
            if match and method in (request.method, "*"):
                request.params = match.groupdict()
                answer = handler(request)
                if isinstance(answer, tuple):
                    status, data = answer
                    return StubResponse.json(data, status=status)
                return answer
        return StubResponse.json({"error": "no such route in the stub"}, status=404)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = StubRequest(
                    method=self.command,
                    path=split.path,
                    query=parse_qs(split.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                try:
                    response = stub._dispatch(request)
                except Exception as exc:  # noqa: BLE001 - a broken handler answers 500, visibly
                    response = StubResponse.text(f"stub handler failed: {exc!r}", status=500)
                if response.delay:
                    time.sleep(response.delay)
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                if self.command == "HEAD":
                    return
                if not response.trickle:
                    self.wfile.write(response.body)
                    return
                size = max(1, -(-len(response.body) // response.pieces))
                try:
                    for start in range(0, len(response.body), size):
                        self.wfile.write(response.body[start : start + size])
                        self.wfile.flush()
                        time.sleep(response.trickle)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up waiting: what the check wants

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep the suite quiet
                return

        return Handler
