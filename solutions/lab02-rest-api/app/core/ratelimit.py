"""Per-client rate limiting with a sliding window log.

Each client (see clients.py) may make `limit` requests in any `window` seconds. We keep the times
of its accepted requests; a request is refused when `limit` of them are younger than `window`.
Refused requests are not recorded, so a client that waits Retry-After seconds gets through.

What the limit protects: each client (one X-Client-Id, or one address without it) from its own
bursts, and the other clients from one busy client. The id is the client's word, so a client that
sends a new id gets a fresh budget; stopping that takes ids the server issues (API keys, tokens).
Because ids cost nothing, the state is bounded by time, not by ids: a client whose requests have all
left the window is forgotten, so the log holds only the requests of the last window or two.
"""

import math
import time
from collections import OrderedDict, deque
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
        # The times of each client's accepted requests, oldest first; the least recently seen client first.
        self.log: OrderedDict[str, deque[float]] = OrderedDict()

    def forget_idle(self, now: float) -> None:
        while self.log:
            times = next(iter(self.log.values()))
            if times and times[-1] > now - self.window:
                return
            self.log.popitem(last=False)

    def retry_after(self, who: str) -> int | None:
        """Record a request now and return None, or return the seconds to wait before the next one.

        No await from here to the append: on the one event loop no other request runs in between."""
        now = self.clock()
        self.forget_idle(now)
        times = self.log.setdefault(who, deque())
        self.log.move_to_end(who)
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
