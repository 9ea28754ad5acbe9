"""JSON responses that say their charset and keep non-ASCII text as UTF-8, and their ETags."""

import hashlib
import json
from typing import Any

from fastapi.responses import JSONResponse as FastAPIJSONResponse


def render_json(content: Any) -> bytes:
    # allow_nan=False: NaN and Infinity are not JSON; refuse to emit them rather than break clients.
    return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


class JSONResponse(FastAPIJSONResponse):
    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return render_json(content)


class ProblemResponse(JSONResponse):
    """RFC 9457 problem details."""

    media_type = "application/problem+json; charset=utf-8"


def etag_of(body: bytes) -> str:
    """A strong entity tag derived from the representation itself, so it changes whenever the
    bytes a client would receive change (including data embedded from other resources)."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(header: str | None, etag: str, *, weak: bool) -> bool:
    """True when an If-Match / If-None-Match header names `etag` (or is `*`).

    The header is a comma-separated list. If-None-Match uses the weak comparison (a W/ prefix is
    ignored), If-Match the strong one (a weak tag never matches): RFC 9110 section 8.8.3.2.
    """
    if header is None:
        return False
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        if candidate == etag or (weak and candidate.removeprefix("W/") == etag):
            return True
    return False
