"""Subscriptions over WebSocket (graphql-transport-ws)"""

from __future__ import annotations

import json
import time
from types import TracebackType
from typing import Any

from lab11_gql import new_author, new_book

from grader.checks import check, expect, fail

BOOK_ADDED = "subscription($a: ID) { bookAdded(authorId: $a) { id title author { id } } }"
PROTOCOL = "graphql-transport-ws"


class Subscription:
    """One graphql-transport-ws connection with one subscription; every read is bounded in time."""

    def __init__(self, base_url: str, variables: dict[str, Any]) -> None:
        self.url = base_url.replace("http://", "ws://", 1).rstrip("/") + "/graphql"
        self.variables = variables
        self.shown = f"WebSocket {self.url} ({PROTOCOL}) `{BOOK_ADDED}` with {json.dumps(variables)}"

    def __enter__(self) -> Subscription:
        from websockets.exceptions import WebSocketException
        from websockets.sync.client import connect

        try:
            self.ws = connect(self.url, subprotocols=[PROTOCOL], open_timeout=5, close_timeout=1)  # type: ignore[list-item]
        except (OSError, TimeoutError, WebSocketException) as exc:
            fail(
                f"{self.shown}: the WebSocket handshake failed ({type(exc).__name__}: {str(exc)[:100]}).",
                expected=f"101 Switching Protocols with Sec-WebSocket-Protocol: {PROTOCOL}",
                actual=str(exc)[:100],
            )
        if self.ws.subprotocol != PROTOCOL:
            self.ws.close()
            fail(
                f"{self.shown}: the server did not choose the {PROTOCOL} subprotocol.",
                expected=PROTOCOL,
                actual=self.ws.subprotocol,
            )
        self.send({"type": "connection_init", "payload": {}})
        ack = self.receive(5)
        if ack is None or ack.get("type") != "connection_ack":
            fail(
                f"{self.shown}: connection_init was not acknowledged.", expected="connection_ack", actual=ack
            )
        self.send(
            {"id": "1", "type": "subscribe", "payload": {"query": BOOK_ADDED, "variables": self.variables}}
        )
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.send({"id": "1", "type": "complete"})
        finally:
            self.ws.close()

    def send(self, message: dict[str, Any]) -> None:
        from websockets.exceptions import WebSocketException

        try:
            self.ws.send(json.dumps(message))
        except (OSError, WebSocketException) as exc:
            fail(
                f"{self.shown}: the connection closed ({str(exc)[:100]}).",
                expected="an open connection",
                actual=str(exc)[:100],
            )

    def receive(self, timeout: float) -> dict[str, Any] | None:
        """The next message other than a ping, or None when none came within `timeout` seconds."""
        from websockets.exceptions import WebSocketException

        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                raw = self.ws.recv(timeout=left)
            except TimeoutError:
                return None
            except (OSError, WebSocketException) as exc:
                fail(
                    f"{self.shown}: the connection closed ({str(exc)[:100]}).",
                    expected="an open connection",
                    actual=str(exc)[:100],
                )
            try:
                message = json.loads(raw)
            except ValueError:
                fail(f"{self.shown}: the server sent a message that is not JSON.", actual=str(raw)[:100])
            if isinstance(message, dict) and message.get("type") == "ping":
                self.send({"type": "pong"})
                continue
            return message if isinstance(message, dict) else {"type": None, "raw": message}
        return None

    def book(self, timeout: float) -> dict[str, Any] | None:
        """The book of the next `next` message, or None when nothing came in time."""
        message = self.receive(timeout)
        if message is None:
            return None
        payload = message.get("payload") or {}
        data = payload.get("data") if isinstance(payload, dict) else None
        if message.get("type") != "next" or message.get("id") != "1" or not isinstance(data, dict):
            fail(
                f"{self.shown}: expected a `next` message with data.bookAdded.",
                expected='{"type": "next", ...}',
                actual=json.dumps(message)[:160],
            )
        return data.get("bookAdded")

    def started(self, api: Any, author: str) -> None:
        """Create books by `author` until the subscription delivers one: it is surely listening then
        (events that came before it, from other checks, are passed over)."""
        for attempt in range(20):
            made = new_book(api, author, title=f"Probe {attempt}")["id"]
            deadline = time.monotonic() + 0.5
            while (left := deadline - time.monotonic()) > 0 and (got := self.book(left)) is not None:
                if got.get("id") == made:
                    return
        fail(
            f"{self.shown}: 20 books were created one after another, and no event came for any of them.",
            expected="a next message for each new book",
            actual="nothing within 0.5 s of each",
        )


@check(
    "bookAdded(authorId:) over graphql-transport-ws delivers each new book of that author once, in order",
    points=4,
    rules=["R9.1"],
    budget=30,
    hint="Serve the WebSocket route with the graphql-transport-ws subprotocol (Strawberry and Ariadne "
    "both can); createBook puts the new book in every open subscription's queue, and the subscription "
    "yields from its queue: one queue per subscriber keeps the order.",
)
def test_events_in_order(api):
    author = new_author(api)["id"]
    with Subscription(str(api.base_url), {"a": author}) as subscription:
        subscription.started(api, author)
        made = [new_book(api, author, title=f"In order {i}")["id"] for i in range(6)]
        got = []
        for _ in made:
            book = subscription.book(5)
            if book is None:
                break
            got.append(book.get("id"))
        expect(
            got == made,
            f"{subscription.shown}: 6 books created one after another.",
            expected=made,
            actual=got,
        )
        extra = subscription.book(0.3)
        expect(
            extra is None,
            f"{subscription.shown}: each book comes once.",
            expected="no more events",
            actual=extra,
        )


@check(
    "bookAdded(authorId:) leaves out other authors' books; without authorId, every author's",
    points=3,
    rules=["R9.2"],
    budget=30,
    hint="Filter in the subscription: skip the books whose author_id is not the one asked for, and keep "
    "listening.",
)
def test_author_filter(api):
    mine, other, probe = (new_author(api)["id"] for _ in range(3))
    with Subscription(str(api.base_url), {"a": mine}) as only, Subscription(str(api.base_url), {}) as every:
        only.started(api, mine)
        every.started(api, probe)
        made = []
        for i in range(3):
            made.append((other, new_book(api, other, title=f"Not theirs {i}")["id"]))
            made.append((mine, new_book(api, mine, title=f"Theirs {i}")["id"]))
        want = [book for who, book in made if who == mine]
        got = []
        while len(got) < len(want) and (book := only.book(5)) is not None:
            got.append(book.get("id"))
        expect(
            got == want,
            f"{only.shown}: expected only that author's 3 books, in order.",
            expected=want,
            actual=got,
        )
        everyone = [book for _, book in made]
        seen = []
        while len(seen) < len(everyone) and (book := every.book(5)) is not None:
            if book.get("id") in everyone:
                seen.append(book.get("id"))
        expect(
            seen == everyone,
            f"{every.shown}: without authorId, every author's books, in order.",
            expected=everyone,
            actual=seen,
        )
