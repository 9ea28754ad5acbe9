"""Upstream failures become clear, non-cacheable answers instead of 500s or hanging requests."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.services.upstream import UpstreamFailed, UpstreamNotFound, UpstreamTimedOut

NO_STORE = {"Cache-Control": "no-store"}


async def not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": "not found"}, status_code=404, headers=NO_STORE)


async def upstream_failed(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, UpstreamTimedOut):
        status, detail = 504, f"the catalog did not answer: {exc}"
    else:
        status, detail = 503, f"the catalog is unavailable: {exc}"
    return JSONResponse({"detail": detail}, status_code=status, headers=NO_STORE)


def register(app: FastAPI) -> None:
    app.add_exception_handler(UpstreamNotFound, not_found)
    app.add_exception_handler(UpstreamFailed, upstream_failed)
