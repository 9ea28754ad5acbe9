"""One error format for every error: RFC 9457 problem details (application/problem+json).

Routes raise `Problem`; the handlers below also turn the framework's own errors (unknown route,
method not allowed, request validation) into problems, and never let a traceback reach a client.
"""

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.responses import ProblemResponse

logger = logging.getLogger("app")

PROBLEM_BASE = "https://example.com/problems/"  # type URIs identify the kind of problem, not a page to fetch


class Problem(Exception):
    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.errors = errors
        self.headers = headers


class FieldErrors(Problem):
    """422 with one entry per invalid field."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        fields = ", ".join(e["field"] for e in errors)
        super().__init__(422, f"invalid fields: {fields}", kind="validation", errors=errors)


def problem_response(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + kind if kind else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return ProblemResponse(body, status_code=status, headers=headers)


async def on_problem(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc.status, exc.detail, kind=exc.kind, errors=exc.errors, headers=exc.headers)


async def on_http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:  # a method none of our routes declares (see refuse_others in api/http.py)
        return problem_response(405, f"{request.method} is not allowed here", headers=exc.headers)
    if exc.status_code == 404:
        return problem_response(404, f"nothing at {request.url.path}", kind="not-found")
    return problem_response(exc.status_code, str(exc.detail), headers=exc.headers)


def _field_name(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc[1:])


async def on_validation_error(request: Request, exc: Exception) -> ProblemResponse:
    """Split what FastAPI lumps together: a body that cannot be read as a JSON object is a
    malformed request (400), a path that names no resource is 404, bad values are 422."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e["type"] == "json_invalid" or tuple(e["loc"]) == ("body",) for e in errors):
        return problem_response(400, "the body must be a JSON object", kind="malformed-body")
    if any(e["loc"][0] == "path" for e in errors):
        return problem_response(404, f"nothing at {request.url.path}", kind="not-found")
    # Never echo the rejected input: it may be huge, secret, or not even serialisable (inf).
    fields = [{"field": _field_name(tuple(e["loc"])), "message": e["msg"]} for e in errors]
    return problem_response(
        422, "invalid fields: " + ", ".join(f["field"] for f in fields), kind="validation", errors=fields
    )


async def on_unexpected(request: Request, exc: Exception) -> ProblemResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(500, "something went wrong on our side")


def install(app: FastAPI) -> None:
    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)
