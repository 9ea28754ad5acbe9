"""The server's resources: what each path answers."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, unquote_to_bytes

from app import static
from app.notes import Notes
from app.protocol import HttpError, Request
from app.resolver import TYPES, ResolveError, Resolver, valid_name
from app.responses import Response, text

READ = ("GET", "HEAD")
COLLECTION = ("GET", "HEAD", "POST")  # /notes
NOTE = ("GET", "HEAD", "PUT", "DELETE")  # /notes/{id}
NOTE_ID = re.compile(r"[1-9][0-9]{0,17}")  # decimal, no sign, no leading zero
NOTES = Notes()


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


def _json(status: int, data: object, **kwargs: object) -> Response:
    body = (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8")
    return Response(status, body, content_type="application/json", **kwargs)  # type: ignore[arg-type]


def _note_text(request: Request) -> str | Response:
    """The `text` of a POST or PUT body, or the error answer to it."""
    media_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    if media_type != "application/json":
        return _json(415, {"error": "unsupported_media_type"})
    try:
        data = json.loads(str(request.body, "utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _json(400, {"error": "invalid_json"})
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return _json(400, {"error": "invalid_note"})
    return str(data["text"])


def notes(request: Request, path: str) -> Response:
    """/notes and /notes/{id}: a JSON resource (section 8)."""
    methods = COLLECTION if path == "/notes" else NOTE
    if request.method not in methods:
        allow = ", ".join(methods)
        return _json(405, {"error": "method_not_allowed"}, headers=[("Allow", allow)])
    if path == "/notes":
        if request.method != "POST":
            return _json(200, NOTES.all())
        got = _note_text(request)
        if isinstance(got, Response):
            return got
        note = NOTES.create(got)
        return _json(201, note, headers=[("Location", f"/notes/{note['id']}")])
    raw = path[len("/notes/") :]
    note_id = int(raw) if NOTE_ID.fullmatch(raw) else 0
    found = NOTES.get(note_id) if note_id else None
    if found is None:
        return _json(404, {"error": "not_found"})
    if request.method == "DELETE":
        NOTES.delete(note_id)
        return Response(204, content_type="application/json")
    if request.method == "PUT":
        got = _note_text(request)
        if isinstance(got, Response):
            return got
        found = NOTES.replace(note_id, got)
        if found is None:  # deleted meanwhile by another client
            return _json(404, {"error": "not_found"})
    return _json(200, found)


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
    if path == "/notes" or path.startswith("/notes/"):
        return notes(request, path)
    if path.startswith("/static/"):
        return _allowed(request, READ) or static.serve(request, path[len("/static/") :])
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
