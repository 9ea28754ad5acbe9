"""Per-client fixed windows (each starting at the client's first request) and idempotency keys.

Both are keyed by what clients say (X-Client-Id, Idempotency-Key), so both are bounded: a window is
dropped once it is over, and each client keeps its last KEYS_PER_CLIENT keys, for a day at most.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections import OrderedDict
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
            if len(self.windows) > 1000:  # drop the windows that are over
                self.windows = {k: w for k, w in self.windows.items() if now - w[0] < self.window}
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


KEYS_PER_CLIENT = 10
KEY_LIFETIME = 24 * 3600.0
# client -> Idempotency-Key -> (fingerprint, expiry, answer), least recently used key first
_answers: dict[str, OrderedDict[str, tuple[str, float, Response]]] = {}


async def idempotent(request: Request, body: dict, create: Callable[[], Awaitable[Response]]) -> Response:
    """Run `create` once per (client, Idempotency-Key); replay its 201 to repeats of the same request."""
    key = request.headers.get("idempotency-key")
    if not key:
        return await create()
    fingerprint = hashlib.sha256(
        (request.url.path + json.dumps(body, sort_keys=True)).encode("utf-8")
    ).hexdigest()
    now = time.monotonic()
    client = who(request.scope)
    keys = _answers.setdefault(client, OrderedDict())
    for old in [k for k, (_, expires, _) in keys.items() if expires <= now]:
        del keys[old]
    if key in keys:
        keys.move_to_end(key)
        seen, _, answer = keys[key]
        if seen != fingerprint:
            raise ProblemError(422, "this Idempotency-Key was already used for a different request")
        return Response(answer.body, status_code=answer.status_code, headers=dict(answer.headers))
    answer = await create()  # no await inside create: nothing runs between the lookup and the store
    if answer.status_code == 201:
        keys[key] = (fingerprint, now + KEY_LIFETIME, answer)
        while len(keys) > KEYS_PER_CLIENT:
            keys.popitem(last=False)
    if not keys:
        del _answers[client]
    return answer
