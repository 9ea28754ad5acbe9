"""HTTP caching headers that agree with the server-side cache (RFC 9110 section 13, RFC 9111)."""

import hashlib

from fastapi import Request, Response

from app.services.cache import Entry


def etag_for(body: bytes) -> str:
    # Same bytes, same tag, on every instance: the tag is a hash of what is sent.
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def none_match(header: str | None, etag: str) -> bool:
    """If-None-Match uses the weak comparison: W/"x" matches "x"; "*" matches any current representation."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


def cached_response(request: Request, entry: Entry) -> Response:
    etag = etag_for(entry.body)
    headers = {"ETag": etag, "Cache-Control": f"max-age={entry.max_age}", "X-Cache": entry.state}
    if none_match(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(entry.body, media_type="application/json", headers=headers)
