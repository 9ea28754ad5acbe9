"""Idempotency-Key for POST (draft-ietf-httpapi-idempotency-key-header).

A client that is not sure its POST arrived may send it again with the same key: the first 201 is
remembered and replayed, so a retry never creates a second resource. The same key with another
request (another body or path) is a client error: 422. Keys belong to one client.
"""

import hashlib
import time
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.clients import client_id
from app.core.problems import problem_response


@dataclass
class Stored:
    fingerprint: str
    expires: float
    messages: list[Message] | None = None  # None while the first request is still running


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, *, ttl: float) -> None:
        self.app = app
        self.ttl = ttl
        self.stored: dict[tuple[str, str], Stored] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = Headers(scope=scope).get("idempotency-key") if scope["type"] == "http" else None
        if scope["type"] != "http" or scope["method"] != "POST" or not key:
            await self.app(scope, receive, send)
            return

        body = await read_body(receive)
        fingerprint = hashlib.sha256(scope["path"].encode() + b"\n" + body).hexdigest()
        slot = (client_id(scope), key)
        now = time.monotonic()
        entry = self.stored.get(slot)
        if entry is not None and entry.expires > now:
            if entry.fingerprint != fingerprint:
                await problem_response(
                    422, "this Idempotency-Key was used for another request", kind="idempotency-key-reused"
                )(scope, receive, send)
            elif entry.messages is None:
                await problem_response(
                    409, "a request with this Idempotency-Key is still running", kind="idempotency-key-in-use"
                )(scope, receive, send)
            else:
                for message in entry.messages:
                    await send(message)
            return

        entry = self.stored[slot] = Stored(fingerprint=fingerprint, expires=now + self.ttl)
        messages: list[Message] = []

        async def replay_body() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def record(message: Message) -> None:
            messages.append(message)
            await send(message)

        try:
            await self.app(scope, replay_body, record)
        finally:
            status = messages[0].get("status") if messages else None
            if status == 201:
                entry.messages = messages
            else:  # only a success is remembered: a failed request may be corrected and retried
                del self.stored[slot]


async def read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
