"""The suite's HTTP client: an httpx.Client that records every exchange, so a failed check can show
the request as a `curl` line the learner can replay, and what came back."""

from __future__ import annotations

import shlex
import threading
from dataclasses import dataclass, field

import httpx

# Headers httpx adds by itself: a replay line without them is shorter and means the same.
_DEFAULT_HEADERS = {"host", "accept", "accept-encoding", "connection", "user-agent", "content-length"}
BODY_LIMIT = 400


@dataclass
class Exchange:
    request: httpx.Request
    response: httpx.Response | None = None


@dataclass
class Recorder:
    """Exchanges of the current check, in order; thread-safe (suites fire bursts from many threads)."""

    exchanges: list[Exchange] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def on_request(self, request: httpx.Request) -> None:
        with self._lock:
            self.exchanges.append(Exchange(request))

    def on_response(self, response: httpx.Response) -> None:
        with self._lock:
            for exchange in reversed(self.exchanges):
                if exchange.request is response.request:
                    exchange.response = response
                    return

    def last(self) -> Exchange | None:
        with self._lock:
            return self.exchanges[-1] if self.exchanges else None

    def clear(self) -> None:
        with self._lock:
            self.exchanges.clear()


class Api(httpx.Client):
    """httpx.Client bound to one running app. Redirects are not followed: status codes are the point."""

    def __init__(
        self,
        base_url: str,
        *,
        recorder: Recorder,
        timeout: float,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url,
            timeout=timeout,
            headers=headers,
            follow_redirects=False,
            event_hooks={"request": [recorder.on_request], "response": [recorder.on_response]},
        )
        self.recorder = recorder


def _body_text(content: bytes) -> str:
    text = content[:BODY_LIMIT].decode("utf-8", "replace")
    more = len(content) - BODY_LIMIT
    return text if more <= 0 else f"{text}…({more} more bytes)"


def as_curl(request: httpx.Request, base_url: str | None = None) -> str:
    """The request as a curl command; `base_url` replaces scheme://host:port (where the learner runs it)."""
    url = str(request.url)
    if base_url:
        url = base_url.rstrip("/") + request.url.raw_path.decode("ascii", "replace")
    parts = ["curl", "-i"]
    if request.method != "GET" or request.content:
        parts += ["-X", request.method]
    parts.append(shlex.quote(url))
    for name, value in request.headers.multi_items():
        if name.lower() not in _DEFAULT_HEADERS:
            parts += ["-H", shlex.quote(f"{name}: {value}")]
    try:
        content = request.content
    except httpx.RequestNotRead:
        content = b""
    if content:
        parts += ["--data-binary", shlex.quote(_body_text(content))]
    return " ".join(parts)


def summarize(response: httpx.Response) -> str:
    """`201 Created  location: /v1/books/7  {"id": 7, ...}`: the status, telling headers, the body's start."""
    shown = [f"{response.status_code} {response.reason_phrase}".strip()]
    for name in ("content-type", "location", "retry-after", "etag", "www-authenticate"):
        if name in response.headers:
            shown.append(f"{name}: {response.headers[name]}")
    try:
        body = " ".join(response.content.decode("utf-8", "replace").split())
    except httpx.ResponseNotRead:
        body = ""
    if body:
        shown.append(body if len(body) <= 200 else body[:199] + "…")
    return "  ".join(shown)
