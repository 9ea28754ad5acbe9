"""Per-client fixed windows (each starting at the client's first request) and idempotency keys."""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.web import ProblemError, problem


def who(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-client-id" and value.strip():
            return "client " + value.decode("latin-1").strip()
    host = (scope.get("client") or ("?", 0))[0]
    return "address " + host


class FixedWindowLimiter:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.limit = int(os.environ.get("RATE_LIMIT", "60"))
        self.window = float(os.environ.get("RATE_WINDOW_SECONDS", "60"))
        self.windows: dict[str, tuple[float, int]] = {}  # client -> (start, count)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] != "/health":
            key, now = who(scope), time.monotonic()
            start, count = self.windows.get(key, (now, 0))
            if now - start >= self.window:
                start, count = now, 0
            if count >= self.limit:
                wait = max(1, math.ceil(start + self.window - now))
                answer = problem(429, "rate limit reached", headers={"Retry-After": str(wait)})
                await answer(scope, receive, send)
                return
            self.windows[key] = (start, count + 1)
        await self.app(scope, receive, send)


_answers: dict[tuple[str, str], tuple[str, Response]] = {}


async def idempotent(request: Request, body: dict, create: Callable[[], Awaitable[Response]]) -> Response:
    """Run `create` once per (client, Idempotency-Key); replay its 201 to repeats of the same request."""
    key = request.headers.get("idempotency-key")
    if not key:
        return await create()
    fingerprint = hashlib.sha256(
        (request.url.path + json.dumps(body, sort_keys=True)).encode("utf-8")
    ).hexdigest()
    slot = (who(request.scope), key)
    if slot in _answers:
        seen, answer = _answers[slot]
        if seen != fingerprint:
            raise ProblemError(422, "this Idempotency-Key was already used for a different request")
        return Response(answer.body, status_code=answer.status_code, headers=dict(answer.headers))
    answer = await create()
    if answer.status_code == 201:
        _answers[slot] = (fingerprint, answer)
    return answer
