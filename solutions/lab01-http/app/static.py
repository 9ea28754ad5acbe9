"""GET /static/{path} of section 9: the files of public/, with validators, conditional requests and a
single byte range. The path from the client is checked segment by segment before it touches the disk."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote_to_bytes

from app.protocol import Request
from app.responses import TEXT, Response, text

PUBLIC = Path(__file__).resolve().parent.parent / "public"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".txt": TEXT,
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".png": "image/png",
}
IMF_FIXDATE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d{2}:\d{2}:\d{2} GMT"
)
RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def _file(raw: str) -> Path | None:
    """The file of public/ that `raw` (the path after /static/, still percent-encoded) names, if any."""
    try:
        decoded = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return None
    segments = decoded.split("/")
    if any(s in ("", ".", "..") or "\\" in s or "\x00" in s for s in segments):
        return None
    try:
        found = PUBLIC.joinpath(*segments).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not found.is_relative_to(PUBLIC.resolve()) or not found.is_file():
        return None
    return found


def _not_modified(request: Request, etag: str, mtime: int) -> bool:
    """RFC 9110 §13.2.2: If-None-Match when present, else If-Modified-Since."""
    if_none_match = request.header("if-none-match")
    if if_none_match is not None:
        tags = [tag.strip() for tag in if_none_match.split(",")]
        return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)
    since = (request.header("if-modified-since") or "").strip()
    if not IMF_FIXDATE.fullmatch(since):
        return False
    try:
        moment: datetime = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    return mtime <= moment.timestamp()


def _range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """(first, last) of a satisfiable single range, "unsatisfiable", or None to serve the whole file."""
    match = RANGE.fullmatch((header or "").strip())
    if match is None or not (match.group(1) or match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if not first:  # bytes=-n: the last n bytes
        count = int(last)
        if count == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - count), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None  # not a valid range: ignored
    if start >= size:
        return "unsatisfiable"
    return start, min(end, size - 1)


def serve(request: Request, raw: str) -> Response:
    path = _file(raw)
    if path is None:
        return text(404, "not found\n")
    data = path.read_bytes()
    mtime = int(path.stat().st_mtime)
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    kind = TYPES.get(path.suffix, "application/octet-stream")
    validators = [("ETag", etag), ("Last-Modified", formatdate(mtime, usegmt=True))]
    if _not_modified(request, etag, mtime):
        return Response(304, content_type=kind, headers=validators)
    wanted = _range(request.header("range"), len(data))
    if wanted == "unsatisfiable":
        return text(416, "range not satisfiable\n", headers=[("Content-Range", f"bytes */{len(data)}")])
    if isinstance(wanted, tuple):
        first, last = wanted
        headers = [*validators, ("Content-Range", f"bytes {first}-{last}/{len(data)}")]
        return Response(206, data[first : last + 1], content_type=kind, headers=headers)
    return Response(200, data, content_type=kind, headers=[*validators, ("Accept-Ranges", "bytes")])
