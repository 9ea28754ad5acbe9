"""The server's resources: what each path answers."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, unquote_to_bytes

from app.protocol import HttpError, Request
from app.resolver import TYPES, ResolveError, Resolver, valid_name
from app.responses import Response, text

READ = ("GET", "HEAD")


def _decoded(raw: str) -> str:
    """Percent-decode a path segment as UTF-8 ('+' stays '+': that rule is for query strings)."""
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HttpError(400, "the path is not UTF-8 once percent-decoded") from exc


def _allowed(request: Request, methods: tuple[str, ...]) -> Response | None:
    if request.method in methods:
        return None
    return text(405, "method not allowed\n", headers=[("Allow", ", ".join(methods))])


def _json(status: int, data: object) -> Response:
    return Response(status, (json.dumps(data) + "\n").encode(), content_type="application/json")


def resolve(request: Request, resolver: Resolver) -> Response:
    """GET /resolve?name=...&type=A|AAAA|CNAME: the answer of the DNS server, CNAMEs followed."""
    query = parse_qs(request.target.partition("?")[2], keep_blank_values=True)
    names, types = query.get("name", []), query.get("type", ["A"])
    if len(names) != 1 or len(types) != 1 or types[0] not in TYPES:
        return _json(400, {"error": "bad_request"})
    name = names[0].lower()
    name = name[:-1] if name.endswith(".") else name
    if not valid_name(name):
        return _json(400, {"error": "bad_request"})
    try:
        return _json(200, resolver.resolve(name, types[0]))
    except ResolveError as error:
        return _json(error.status, {"error": error.code})


def route(request: Request, resolver: Resolver) -> Response:
    path = request.target.split("?", 1)[0]
    if path == "/resolve":
        return _allowed(request, READ) or resolve(request, resolver)
    if path in ("/health", "/hello"):
        refused = _allowed(request, READ)
        return refused or text(200, "ok\n" if path == "/health" else "Hello, world!\n")
    if path.startswith("/echo/"):
        return _allowed(request, READ) or text(200, _decoded(path[len("/echo/") :]))
    if path == "/echo":
        refused = _allowed(request, ("POST",))
        return refused or Response(200, request.body, content_type="application/octet-stream")
    if path.startswith("/headers/"):
        refused = _allowed(request, READ)
        if refused:
            return refused
        value = request.header(_decoded(path[len("/headers/") :]))
        return text(404, "no such header\n") if value is None else text(200, value)
    if path.startswith("/chunked/"):
        refused = _allowed(request, READ)
        if refused:
            return refused
        count = path[len("/chunked/") :]
        if not (count.isascii() and count.isdigit()) or not 1 <= int(count) <= 100:
            return text(404, "not found\n")
        chunks = [f"chunk {i}\n".encode() for i in range(1, int(count) + 1)]
        return Response(200, chunks=chunks)
    return text(404, "not found\n")
