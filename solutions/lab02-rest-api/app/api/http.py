"""Answers that carry one item (with its ETag and conditional requests) or a page of items."""

from typing import Any

from fastapi import APIRouter, Request, Response

from app.core.problems import Problem
from app.core.responses import JSONResponse, etag_matches, etag_of, render_json


def item_response(
    request: Request, item: dict[str, Any], *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body = render_json(item)
    etag = etag_of(body)
    all_headers = {"ETag": etag, **(headers or {})}
    if_none_match = request.headers.get("if-none-match")
    if request.method in ("GET", "HEAD") and etag_matches(if_none_match, etag, weak=True):
        return Response(status_code=304, headers=all_headers)
    return Response(body, status_code=status, headers=all_headers, media_type=JSONResponse.media_type)


def check_if_match(request: Request, current: dict[str, Any]) -> None:
    """Refuse a write based on an outdated copy (a lost update) with 412."""
    header = request.headers.get("if-match")
    if header is not None and not etag_matches(header, etag_of(render_json(current)), weak=False):
        raise Problem(412, "the item changed since you read it; fetch it again", kind="precondition-failed")


def page_response(request: Request, items: list[dict[str, Any]], *, page: int, per_page: int) -> Response:
    """`items` is the whole filtered, sorted list; answer one page of it with a link to the next."""
    start = (page - 1) * per_page
    chunk = items[start : start + per_page]
    next_url = None
    if start + per_page < len(items):
        url = request.url.include_query_params(page=page + 1, per_page=per_page)
        next_url = f"{url.path}?{url.query}"  # keeps the filters and the sort of this request
    body = {"items": chunk, "page": page, "per_page": per_page, "total": len(items), "next": next_url}
    headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else None
    return JSONResponse(body, headers=headers)


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def refuse_others(router: APIRouter, path: str, allowed: list[str]) -> None:
    """Answer every other method on `path` with 405 and the full Allow list.

    FastAPI keeps one route per operation, so its own 405 names only the methods of the first
    route whose path matched: GET, HEAD on a collection that also takes POST.
    """
    allow = ", ".join(allowed)

    @router.api_route(path, methods=[m for m in METHODS if m not in allowed], include_in_schema=False)
    async def method_not_allowed(request: Request) -> Response:
        raise Problem(405, f"{request.method} is not allowed here; use {allow}", headers={"Allow": allow})
