"""Idempotency-Key for POST (draft-ietf-httpapi-idempotency-key-header).

A client that is not sure its POST arrived may send it again with the same key: the first 201 is
remembered and replayed, so a retry never creates a second resource. The same key with another
request (another body or path) is a client error: 422. Keys belong to one client.

Keys are chosen by clients, and so are client ids (X-Client-Id): what is remembered is bounded.
Each client keeps at most KEYS_PER_CLIENT keys (the least recently used one is forgotten first), for
`ttl` seconds at most; at most MAX_CLIENTS clients are remembered (the least recently active one is
forgotten first), and a client idle for `ttl` is forgotten. The bodies fingerprinted here were capped
by BodyLimitMiddleware, which runs before this one.
"""

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.clients import client_id
from app.core.problems import problem_response

KEYS_PER_CLIENT = 10  # the contract's number
MAX_CLIENTS = 10_000  # with KEYS_PER_CLIENT answers of a few KiB each: tens of MiB at most


@dataclass
class Stored:
    fingerprint: str
    expires: float
    messages: list[Message] | None = None  # None while the first request is still running


@dataclass
class Client:
    last_seen: float
    keys: "OrderedDict[str, Stored]" = field(default_factory=OrderedDict)  # least recently used first


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        ttl: float,
        keys_per_client: int = KEYS_PER_CLIENT,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self.app = app
        self.ttl = ttl
        self.keys_per_client = keys_per_client
        self.max_clients = max_clients
        self.clients: OrderedDict[str, Client] = OrderedDict()  # least recently active first

    def keys_of(self, who: str, now: float) -> "OrderedDict[str, Stored]":
        """The live keys of a client, which becomes the most recently active one."""
        while self.clients:  # forget clients idle for longer than any of their keys lives
            oldest = next(iter(self.clients.values()))
            if oldest.last_seen + self.ttl > now:
                break
            self.clients.popitem(last=False)
        client = self.clients.get(who)
        if client is None:
            client = self.clients[who] = Client(last_seen=now)
            if len(self.clients) > self.max_clients:
                self.clients.popitem(last=False)
        client.last_seen = now
        self.clients.move_to_end(who)
        for key in [key for key, entry in client.keys.items() if entry.expires <= now]:
            del client.keys[key]
        return client.keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = Headers(scope=scope).get("idempotency-key") if scope["type"] == "http" else None
        if scope["type"] != "http" or scope["method"] != "POST" or not key:
            await self.app(scope, receive, send)
            return

        body = await read_body(receive)
        fingerprint = hashlib.sha256(scope["path"].encode() + b"\n" + body).hexdigest()

        # ATOMIC SECTION: from the lookup to the insert below there is no `await`. The app runs on one
        # event loop, so no other request runs in between and two requests with the same key cannot
        # both miss and both create. Adding an await here (say, a store in Redis) needs an
        # asyncio.Lock around the section, or an atomic operation of the store (SET NX).
        keys = self.keys_of(client_id(scope), time.monotonic())
        entry = keys.get(key)
        if entry is not None:
            keys.move_to_end(key)  # used: the last to be forgotten
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
        entry = keys[key] = Stored(fingerprint=fingerprint, expires=time.monotonic() + self.ttl)
        while len(keys) > self.keys_per_client:
            keys.popitem(last=False)  # the least recently used key is forgotten
        # END OF ATOMIC SECTION

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
            elif keys.get(key) is entry:  # only a success is remembered: a failed request may be retried
                del keys[key]


async def read_body(receive: Receive) -> bytes:
    """The whole body: BodyLimitMiddleware, which runs first, has already capped it."""
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
