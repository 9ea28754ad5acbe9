"""The grader's HTTP clients: bounded in time and size whatever the app does, and (for suites) recording
every exchange, so a failed check can show the request as a `curl` line the learner can replay.

httpx's `timeout` bounds each read, not a whole request, so an app that trickles one byte a second
would never time out; and httpx inflates gzip by itself, so a small answer can become a huge body.
`BoundedClient` gives every request a total deadline (shortened to the running check's deadline) that
every connect, read and write obeys, and caps the decoded body.
"""

from __future__ import annotations

import functools
import json
import re
import shlex
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx
from httpcore._backends.base import SOCKET_OPTION  # the backend's own option type (no public name)

from grader import deadline

# Headers httpx adds by itself: a replay line without them is shorter and means the same.
_DEFAULT_HEADERS = {"host", "accept", "accept-encoding", "connection", "user-agent", "content-length"}
BODY_LIMIT = 400


MAX_BODY = 8 * 1024 * 1024  # decoded bytes of one answer; more is the app's fault, not a grader hang


class ResponseTooLarge(httpx.DecodingError):
    """The decoded answer went over the grader's size cap."""


def _clamp(timeout: float | None, error: type[Exception]) -> float | None:
    """The per-operation timeout httpcore asks for, shortened to what is left of the deadline."""
    until = deadline.current()
    if until is None:
        return timeout
    left = until - time.monotonic()
    if left <= 0:
        raise error("the request ran out of time")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(*args, **kwargs))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own socket backend, with every wait shortened to the current deadline."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> _DeadlineStream:
        stream = self._inner.connect_tcp(
            host,
            port,
            _clamp(timeout, httpcore.ConnectTimeout),
            local_address=local_address,
            socket_options=socket_options,
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[SOCKET_OPTION] | None = None
    ) -> _DeadlineStream:
        stream = self._inner.connect_unix_socket(
            path, _clamp(timeout, httpcore.ConnectTimeout), socket_options=socket_options
        )
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every client: building one loads the CA bundle, 0.1 s with OpenSSL 3."""
    return ssl.create_default_context()


def _transport() -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport(verify=_tls())
    transport._pool._network_backend = _DeadlineBackend()  # no public hook for this in httpx 0.28
    return transport


class BoundedClient(httpx.Client):
    """An httpx.Client whose every request ends within `timeout` seconds in total (and within the
    running check's deadline), with the decoded body capped at `max_body` bytes."""

    def __init__(self, *, timeout: float, max_body: int = MAX_BODY, **kwargs: Any) -> None:
        kwargs.setdefault("transport", _transport())
        super().__init__(timeout=timeout, **kwargs)
        self.total = timeout
        self.max_body = max_body

    def send(self, request: httpx.Request, *, stream: bool = False, **kwargs: Any) -> httpx.Response:
        with deadline.within(self.total):
            response = super().send(request, stream=True, **kwargs)
            if stream:
                return response
            try:
                _read_capped(response, self.max_body)
            finally:
                response.close()
        return response


def _read_capped(response: httpx.Response, limit: int) -> None:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            target = response.request.url.raw_path.decode("ascii", "replace")
            raise ResponseTooLarge(
                f"the answer to {response.request.method} {target}"
                f" is larger than {limit // (1024 * 1024)} MiB once decoded",
                request=response.request,
            )
        chunks.append(chunk)
    response._content = b"".join(chunks)  # what Response.read() does, within the cap


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

    def snapshot(self) -> list[Exchange]:
        with self._lock:
            return list(self.exchanges)

    def clear(self) -> None:
        with self._lock:
            self.exchanges.clear()


class Api(BoundedClient):
    """A bounded client on one running app, recording its exchanges for the check's report.
    Redirects are not followed: status codes are the point."""

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
    try:
        content = request.content
    except httpx.RequestNotRead:
        content = b""
    if request.method == "HEAD":  # `-X HEAD` would wait for a body that never comes
        parts = ["curl", "-I"]
    else:
        parts = ["curl", "-i"]
        if request.method != "GET" or content:
            parts += ["-X", request.method]
    parts.append(_quote(url))
    for name, value in request.headers.multi_items():
        if name.lower() not in _DEFAULT_HEADERS:
            parts += ["-H", _quote(f"{name}: {value}")]
    if content:
        parts += ["--data-binary", _quote(_body_text(content))]
    return " ".join(parts)


def _quote(value: str) -> str:
    """Shell-quoted on one line: text with a newline or another control character uses $'...' (bash, zsh),
    so a pasted replay is always one command."""
    if value.isprintable():
        return shlex.quote(value)
    escaped = "".join(
        {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
        or (
            char
            if char.isprintable()
            else f"\\x{ord(char):02x}"
            if ord(char) < 128
            else f"\\U{ord(char):08x}"
        )
        for char in value
    )
    return f"$'{escaped}'"


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


# -- what a replay needs first ---------------------------------------------------------------------
CREATING = ("POST", "PUT", "PATCH")
CHANGING = (*CREATING, "DELETE")
MAX_PRIOR = 4  # creating requests shown before a replay: more would bury it
_ID_KEY = re.compile(r"(?:^|_)(?:id|uuid)$|Id$", re.IGNORECASE)


def _ids_in(value: Any, depth: int = 0) -> Iterable[tuple[str, str]]:
    """(key, value) of the id-like fields of a JSON document: `id`, `uuid`, `author_id`, `authorId`,
    at the top and a level or two down (an envelope such as {"data": {...}})."""
    if depth > 2:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str | int) and not isinstance(item, bool) and _ID_KEY.search(str(key)):
                text = str(item)
                if text and len(text) <= 200:
                    yield str(key), text
            elif isinstance(item, dict | list):
                yield from _ids_in(item, depth + 1)
    elif isinstance(value, list):
        for item in value[:50]:
            yield from _ids_in(item, depth + 1)


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None


def _created(response: httpx.Response) -> tuple[str | None, list[str]]:
    """What an answer handed out: the path of its Location, and the id-like values of its JSON body."""
    location = response.headers.get("location")
    path = httpx.URL(location).path if location else None
    try:
        body = _json(response.content) if response.content else None
    except httpx.ResponseNotRead:
        body = None
    return (path if path and path != "/" else None), [value for _, value in _ids_in(body)]


def _uses(request: httpx.Request) -> tuple[str, list[str], set[str]]:
    """What a request refers to: its path, its id-like query values (`author_id=2`), and the id-like
    values of its JSON body."""
    query = [value for key, value in request.url.params.multi_items() if _ID_KEY.search(key)]
    try:
        content = request.content
    except httpx.RequestNotRead:
        content = b""
    body = {value for _, value in _ids_in(_json(content))} if content else set()
    return request.url.path, query, body


Made = tuple[str | None, list[str], str]  # a Location, ids, the path the request went to
Uses = tuple[str, list[str], set[str]]


def _made(exchange: Exchange) -> Made | None:
    """What a successful POST, PUT or PATCH created (None for any other exchange)."""
    response = exchange.response
    if exchange.request.method not in CREATING or response is None or response.is_error:
        return None
    location, ids = _created(response)
    return location, ids, exchange.request.url.path


def _dependency(made: Made, uses: Uses) -> str | None:
    """How a request (what it `uses`) refers to what an earlier answer `made`, in a few words (None: it
    does not)."""
    location, ids, where = made
    path, query, body = uses
    if location and (path == location or path.startswith(location.rstrip("/") + "/")):
        return location
    parts = path.split("/")
    for value in ids:
        item = "/".join(parts[: parts.index(value) + 1]) if value in parts else None
        if item and item in (where, where.rstrip("/") + "/" + value):  # a book's id in /v1/books/2/…
            return item
        if value in query:
            return f"the id {value} in its query"
        if value in body:
            return f"the id {value} in its body"
    return None


def prior_requests(exchanges: list[Exchange], final: httpx.Request) -> tuple[list[Exchange], str | None]:
    """The earlier exchanges of a check whose answers gave `final` the ids or URLs it uses (a Location, an
    `id` in the JSON), followed back through their own dependencies, in the order they were sent; and
    what the first dependency of `final` is ("/v1/books/2"), to name it. Bounded: the last few hundred
    exchanges, each answer parsed once (a burst of a thousand requests costs little)."""
    index = next((i for i, exchange in enumerate(exchanges) if exchange.request is final), len(exchanges))
    start = max(0, index - 300)
    made = {i: _made(exchanges[i]) for i in range(start, index)}
    needed: set[int] = set()
    named: str | None = None
    wanted = [(index, final)]
    while wanted and len(needed) < 4 * MAX_PRIOR:
        at, request = wanted.pop()
        uses = _uses(request)
        for i in range(at - 1, start - 1, -1):
            created = made[i]
            if i in needed or created is None:
                continue
            used = _dependency(created, uses)
            if used is None:
                continue
            if request is final and named is None:
                named = used
            needed.add(i)
            wanted.append((i, exchanges[i].request))
    if needed and named and named.startswith("/"):  # what changed it since: a DELETE, a PUT, a PATCH
        for i in range(min(needed) + 1, index):
            request = exchanges[i].request
            path = request.url.path
            if request.method in CHANGING and (path == named or path.startswith(named + "/")):
                needed.add(i)
    order = sorted(needed)
    return [exchanges[i] for i in order[-MAX_PRIOR:]], named
