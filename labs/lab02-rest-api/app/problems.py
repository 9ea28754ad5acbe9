"""Errors as RFC 9457 problem details (application/problem+json): the plumbing, ready to use.

What is here is framework wiring, not the lab: a response class with the right media type, a helper
that builds the body, an exception your routes raise, and the exception handlers FastAPI calls.
The REST decisions are yours, marked TODO(errors) below and in section 5 of the contract: which
status each kind of bad request gets, and what `detail` and `errors` say.

In a route:

    from app.problems import Problem

    raise Problem(404, f"no book with id {book_id}")
    raise Problem(409, "an author who still has books cannot be deleted")
    raise Problem(422, "1 field is invalid", errors=[{"field": "year", "message": "must be at most 2100"}])
"""

import json
import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger("app")


class ProblemResponse(JSONResponse):
    """An RFC 9457 problem: its own media type, with the charset, and text kept as UTF-8."""

    media_type = "application/problem+json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        # allow_nan=False: NaN and Infinity are not JSON; refuse to write them rather than break clients.
        return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def problem(
    status: int,
    detail: str,
    *,
    type_uri: str = "about:blank",
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ProblemResponse:
    """The answer for one problem: type (a URI naming the kind of problem), title (the status's reason
    phrase), status, detail, and for a 422 the `errors` list ({"field", "message"} per bad field)."""
    body: dict[str, Any] = {
        "type": type_uri,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return ProblemResponse(body, status_code=status, headers=headers)


class Problem(Exception):
    """Raise it anywhere in a route: the handler below turns it into its answer."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type_uri: str = "about:blank",
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type_uri = type_uri
        self.errors = errors
        self.headers = headers


async def on_problem(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, Problem)
    return problem(exc.status, exc.detail, type_uri=exc.type_uri, errors=exc.errors, headers=exc.headers)


async def on_http_error(request: Request, exc: Exception) -> ProblemResponse:
    """FastAPI's own errors: an unknown route (404), a method no route of the path takes (405)."""
    assert isinstance(exc, StarletteHTTPException)
    # TODO(errors): a detail a client can act on (which path, which method); a 405 keeps its Allow header.
    return problem(exc.status_code, str(exc.detail), headers=exc.headers)


async def on_validation_error(request: Request, exc: Exception) -> ProblemResponse:
    """FastAPI refused the request before your route ran: the body or a parameter did not fit."""
    assert isinstance(exc, RequestValidationError)
    # exc.errors() lists what was refused: each has "loc" (where: ("body", "year"), ("query", "page"),
    # ("path", "book_id")), "type" (what kind of refusal: "missing", "json_invalid", ...) and "msg".
    # TODO(errors): not every refusal is a 422 (see section 5 of the contract and the hints of the
    #   errors checks): a body that is not a JSON object, a path id that is not a number. A 422 lists its
    #   `errors`, one {"field", "message"} per bad field, and never echoes the rejected input.
    return problem(422, "the request is invalid")


async def on_unexpected(request: Request, exc: Exception) -> ProblemResponse:
    """A bug: logged with its traceback for you, a plain 500 for the client (never the exception's text)."""
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(500, "something went wrong on our side")


def install(app: FastAPI) -> None:
    """Register the handlers: call it once, right after creating the app."""
    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)
