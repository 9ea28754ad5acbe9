"""Errors become clear, non-cacheable answers with a fixed `detail`, instead of 500s or hanging requests.

What went wrong inside (hosts, ports, library messages, the rejected input) is for the log, never for
the client.
"""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.services.upstream import UpstreamBadAnswer, UpstreamFailed, UpstreamNotFound, UpstreamTimedOut

log = logging.getLogger(__name__)
NO_STORE = {"Cache-Control": "no-store"}


async def not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": "not found"}, status_code=404, headers=NO_STORE)


async def upstream_failed(request: Request, exc: Exception) -> JSONResponse:
    log.warning("%s %s: the catalog failed: %s", request.method, request.url.path, exc)
    if isinstance(exc, UpstreamTimedOut):
        status, detail = 504, "the catalog did not answer in time"
    elif isinstance(exc, UpstreamBadAnswer):
        status, detail = 502, "the catalog sent an answer this service cannot use"
    else:
        status, detail = 503, "the catalog is unavailable"
    return JSONResponse({"detail": detail}, status_code=status, headers=NO_STORE)


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Name the fields, never echo what was sent (FastAPI's default answer includes the input).
    fields = sorted({".".join(str(part) for part in error["loc"][1:]) or "body" for error in exc.errors()})
    detail = "invalid request: " + ", ".join(fields)
    return JSONResponse({"detail": detail}, status_code=422, headers=NO_STORE)


async def unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("%s %s: unexpected error", request.method, request.url.path)
    return JSONResponse({"detail": "internal error"}, status_code=500, headers=NO_STORE)


def register(app: FastAPI) -> None:
    app.add_exception_handler(UpstreamNotFound, not_found)
    app.add_exception_handler(UpstreamFailed, upstream_failed)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(Exception, unexpected)
