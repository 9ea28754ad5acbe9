"""Responses: JSON with an explicit charset, problem details, ETags by revision, request bodies."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

JSON_TYPE = "application/json;charset=UTF-8"
PROBLEM_TYPE = "application/problem+json;charset=UTF-8"


class ProblemError(Exception):
    def __init__(
        self, status: int, detail: str, errors: list | None = None, headers: dict | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers = status, detail, errors, headers


def dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=True, allow_nan=False).encode("ascii")


def json_response(data: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(dumps(data), status_code=status, headers=headers, media_type=JSON_TYPE)


def problem(status: int, detail: str, errors: list | None = None, headers: dict | None = None) -> Response:
    title = "Unprocessable Content" if status == 422 else HTTPStatus(status).phrase
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return Response(dumps(body), status_code=status, headers=headers, media_type=PROBLEM_TYPE)


def tags_in(header: str | None) -> list[str]:
    return [t.strip() for t in header.split(",")] if header else []


def not_modified(request: Request, etag: str) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    tags = tags_in(request.headers.get("if-none-match"))
    return "*" in tags or etag in tags or f"W/{etag}" in tags


def precondition(request: Request, etag: str) -> None:
    header = request.headers.get("if-match")
    if header is not None and etag not in tags_in(header) and "*" not in tags_in(header):
        raise ProblemError(412, "If-Match does not match the current version")


def item(request: Request, data: dict, etag: str, status: int = 200, headers: dict | None = None) -> Response:
    headers = {**(headers or {}), "ETag": etag}
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return json_response(data, status, headers)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


MAX_BODY = 16384


async def read_object(request: Request) -> tuple[dict, bytes]:
    """The body as a dict: 415 unless declared as JSON, 400 unless it is a JSON object in UTF-8."""
    declared = request.headers.get("content-type", "").split(";")[0].strip().lower()
    accepted = (
        ("application/json", "application/merge-patch+json")
        if request.method == "PATCH"
        else ("application/json",)
    )
    if declared not in accepted:
        raise ProblemError(415, f"Content-Type must be {' or '.join(accepted)}")
    declared_length = request.headers.get("content-length", "")
    if declared_length.isdigit() and int(declared_length) > MAX_BODY:
        raise ProblemError(413, f"the body may be {MAX_BODY} bytes at most")
    received = bytearray()
    async for chunk in request.stream():  # counted as it arrives: a chunked body has no length
        received += chunk
        if len(received) > MAX_BODY:
            raise ProblemError(413, f"the body may be {MAX_BODY} bytes at most")
    raw = bytes(received)
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ProblemError(400, "the body is not valid JSON in UTF-8") from None
    if not isinstance(data, dict):
        raise ProblemError(400, "the body must be a JSON object")
    return data, raw
