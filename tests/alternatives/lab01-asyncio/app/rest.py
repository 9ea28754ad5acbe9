"""/notes (section 8) and /static (section 9) for the asyncio server: plain functions that return
(status, header lines, body, chunked), like main.handle."""

from __future__ import annotations

import json
import os
import time
import zlib
from email.utils import parsedate_to_datetime
from urllib.parse import unquote_to_bytes

Answer = tuple[int, list[str], bytes, bool]
JSON_TYPE = "Content-Type: application/json"
ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "public"))
KINDS = {
    "html": "text/html; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "json": "application/json",
    "png": "image/png",
}
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

notes: list[list] = []  # [id, text] pairs in creation order
next_id = 1


def answer_json(status: int, data: object, extra: list[str] | None = None) -> Answer:
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return status, [JSON_TYPE, *(extra or [])], payload, False


def parse_note(fields: dict[str, list[str]], body: bytes) -> str | Answer:
    kind = ",".join(fields.get("content-type", [])).partition(";")[0].strip()
    if kind.lower() != "application/json":
        return answer_json(415, {"error": "unsupported_media_type"})
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return answer_json(400, {"error": "invalid_json"})
    if type(value) is not dict or type(value.get("text")) is not str:
        return answer_json(400, {"error": "invalid_note"})
    return value["text"]


def find(raw_id: str) -> list | None:
    if not raw_id.isascii() or not raw_id.isdigit() or raw_id.startswith("0"):
        return None
    return next((note for note in notes if note[0] == int(raw_id)), None)


def notes_resource(method: str, path: str, fields: dict[str, list[str]], body: bytes) -> Answer:
    global next_id
    if path == "/notes":
        if method not in ("GET", "HEAD", "POST"):
            return answer_json(405, {"error": "method_not_allowed"}, ["Allow: GET, HEAD, POST"])
        if method != "POST":
            return answer_json(200, [{"id": i, "text": t} for i, t in notes])
        text = parse_note(fields, body)
        if not isinstance(text, str):
            return text
        note = [next_id, text]
        next_id += 1
        notes.append(note)
        return answer_json(201, {"id": note[0], "text": text}, [f"Location: /notes/{note[0]}"])
    if method not in ("GET", "HEAD", "PUT", "DELETE"):
        return answer_json(405, {"error": "method_not_allowed"}, ["Allow: GET, HEAD, PUT, DELETE"])
    note = find(path[len("/notes/") :])
    if note is None:
        return answer_json(404, {"error": "not_found"})
    if method == "DELETE":
        notes.remove(note)
        return 204, [JSON_TYPE], b"", False
    if method == "PUT":
        text = parse_note(fields, body)
        if not isinstance(text, str):
            return text
        note[1] = text
    return answer_json(200, {"id": note[0], "text": note[1]})


def imf(seconds: float) -> str:
    t = time.gmtime(seconds)
    return (
        f"{DAYS[t.tm_wday]}, {t.tm_mday:02d} {MONTHS[t.tm_mon - 1]} {t.tm_year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


def locate(raw: str) -> str | None:
    try:
        rel = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return None
    parts = rel.split("/")
    if "\\" in rel or "\0" in rel or any(part in ("", ".", "..") for part in parts):
        return None
    full = os.path.realpath(os.path.join(ROOT, *parts))
    if os.path.commonpath([ROOT, full]) != ROOT or not os.path.isfile(full):
        return None
    return full


def byte_range(spec: str, size: int) -> tuple[int, int] | str | None:
    unit, _, ranges = spec.partition("=")
    if unit.strip() != "bytes" or "," in ranges:
        return None
    start, dash, end = ranges.strip().partition("-")
    if not dash or not (start + end) or not (start or "0").isdigit() or not (end or "0").isdigit():
        return None
    if not start:
        if int(end) == 0 or size == 0:
            return "416"
        return max(size - int(end), 0), size - 1
    if end and int(end) < int(start):
        return None
    if int(start) >= size:
        return "416"
    return int(start), min(int(end) if end else size - 1, size - 1)


def static_file(method: str, raw: str, fields: dict[str, list[str]]) -> Answer:
    if method not in ("GET", "HEAD"):
        return (
            405,
            ["Content-Type: text/plain; charset=utf-8", "Allow: GET, HEAD"],
            b"method not allowed\n",
            False,
        )
    full = locate(raw)
    if full is None:
        return 404, ["Content-Type: text/plain; charset=utf-8"], b"not found\n", False
    with open(full, "rb") as handle:
        data = handle.read()
    mtime = int(os.stat(full).st_mtime)
    tag = f'"{len(data):x}-{zlib.crc32(data):08x}"'
    kind = KINDS.get(
        full.rsplit(".", 1)[-1] if "." in os.path.basename(full) else "", "application/octet-stream"
    )
    headers = [f"Content-Type: {kind}", f"ETag: {tag}", f"Last-Modified: {imf(mtime)}"]
    if "if-none-match" in fields:
        wanted = {t.strip() for v in fields["if-none-match"] for t in v.split(",")}
        if "*" in wanted or tag in wanted or f"W/{tag}" in wanted:
            return 304, headers, b"", False
    elif "if-modified-since" in fields:
        since = fields["if-modified-since"][-1]
        try:
            ok = imf(parsedate_to_datetime(since).timestamp()) == since
            if ok and mtime <= parsedate_to_datetime(since).timestamp():
                return 304, headers, b"", False
        except (TypeError, ValueError, OverflowError):
            pass
    if "range" in fields and len(fields["range"]) == 1:
        span = byte_range(fields["range"][0], len(data))
        if span == "416":
            text = ["Content-Type: text/plain; charset=utf-8", f"Content-Range: bytes */{len(data)}"]
            return 416, text, b"range not satisfiable\n", False
        if isinstance(span, tuple):
            first, last = span
            return (
                206,
                [*headers, f"Content-Range: bytes {first}-{last}/{len(data)}"],
                data[first : last + 1],
                False,
            )
    return 200, headers, data, False
