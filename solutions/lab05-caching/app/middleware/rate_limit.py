"""Rate limiting as ASGI middleware: every /products and /categories request counts, /health does not."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.services.rate_limit import RateLimiter

LIMITED_PREFIXES = ("/products", "/categories")


def client_key(request: Request) -> str:
    """The client's own id when it sends one, its address otherwise.

    The id is the client's word: a client that sends a new X-Client-Id gets a fresh budget. So the limit
    protects well-behaved clients from their own bursts and keeps one client (one id, or one address
    without an id) from starving the others; it does not stop an abusive client that changes ids. That
    takes ids the server issues (API keys, tokens) or a second, coarser limit per address.
    """
    client_id = request.headers.get("x-client-id", "").strip()
    if client_id:
        return "id:" + client_id
    return "ip:" + (request.client.host if request.client else "unknown")


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(LIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        limiter: RateLimiter = request.app.state.limiter
        decision = await limiter.hit(client_key(request))
        if decision is None:  # Redis is down: serve rather than refuse everybody
            await self.app(scope, receive, send)
            return
        headers = {"RateLimit-Limit": str(decision.limit), "RateLimit-Remaining": str(decision.remaining)}
        if not decision.allowed:
            headers["Retry-After"] = str(decision.retry_after)
            response = JSONResponse({"detail": "rate limit exceeded"}, status_code=429, headers=headers)
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)
