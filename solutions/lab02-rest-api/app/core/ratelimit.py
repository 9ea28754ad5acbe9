"""Per-client rate limiting with a sliding window log.

Each client (see clients.py) may make `limit` requests in any `window` seconds. We keep the times
of its accepted requests; a request is refused when `limit` of them are younger than `window`.
Refused requests are not recorded, so a client that waits Retry-After seconds gets through.
"""

import math
import time
from collections import defaultdict, deque
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.clients import client_id
from app.core.problems import problem_response

EXEMPT = {"/health"}  # the readiness probe must never be refused


class RateLimitMiddleware:
    def __init__(
        self, app: ASGIApp, *, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.app = app
        self.limit = limit
        self.window = window
        self.clock = clock
        self.log: dict[str, deque[float]] = defaultdict(deque)

    def retry_after(self, who: str) -> int | None:
        """Record a request now and return None, or return the seconds to wait before the next one."""
        now = self.clock()
        times = self.log[who]
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            return max(1, math.ceil(times[0] + self.window - now))
        times.append(now)
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        wait = self.retry_after(client_id(scope))
        if wait is None:
            await self.app(scope, receive, send)
            return
        response = problem_response(
            429,
            f"more than {self.limit} requests in {self.window:g} s; retry in {wait} s",
            kind="rate-limited",
            headers={"Retry-After": str(wait)},
        )
        await response(scope, receive, send)
