"""Notebook: a small multi-user notes app with HTML pages and a JSON API (the fixed version)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.api.routes import auth, internal, notes, users
from app.core.db import init_db
from app.core.headers import SecurityHeadersMiddleware
from app.web import files, pages


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    init_db()
    yield


app = FastAPI(title="Notebook", lifespan=lifespan)
app.add_middleware(SecurityHeadersMiddleware)


@app.exception_handler(Exception)
async def unexpected_error(request: Request, exc: Exception) -> Response:
    """The client learns only that it failed; Starlette re-raises, so the traceback goes to the log."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": "Internal Server Error"}, status_code=500)
    return HTMLResponse("<!doctype html><title>Error</title><h1>Something went wrong</h1>", status_code=500)


app.include_router(internal.router)
app.include_router(auth.router)
app.include_router(users.router)
app.include_router(notes.router)
app.include_router(pages.router)
app.include_router(files.router)
