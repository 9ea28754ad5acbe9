"""A cap on request bodies: a body over MAX_BODY_BYTES answers 413 before any of it is kept.

The body is read here, up to the cap, and handed on in one piece: whatever runs after this (the
idempotency middleware that fingerprints it, FastAPI that parses it) never holds more than the cap,
whether the client declared its length or sent it in chunks.
"""

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.problems import problem_response

MAX_BODY_BYTES = 16 * 1024  # the contract's limit: every resource fits in far less


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:  # refused without reading a byte
            await self.too_large(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":  # the client went away: nobody to answer
                return
            body += message.get("body", b"")
            if len(body) > self.limit:  # chunked, or longer than it said
                await self.too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:  # after the body, only the disconnect is left to wait for
                return await receive()
            delivered = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    async def too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            f"the body is larger than {self.limit} bytes",
            kind="body-too-large",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)
