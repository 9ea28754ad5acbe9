"""The suite's side of a lab's RabbitMQ: inspect queues, publish and consume as an administrator.

The plugin's `amqp` fixture gives each check its own `Broker` on the run's vhost (Endpoint.host_url):

    def test_order_event(api, amqp):
        probe = amqp.tap("orders", "order.created")       # a private queue bound before the request
        api.post("/orders", json={...})
        message = amqp.get(probe, timeout=5)               # bounded polling, None when nothing came
        expect(message is not None and message.json()["id"] == ..., ...)

`tap` observes what the app publishes to an exchange without taking messages from the app's own
queues; `message_count`, `get`, `publish` and `purge` work on any queue of the vhost. One Broker is
one AMQP connection: not shared between threads (each check gets its own).
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel


@dataclass(frozen=True)
class Message:
    body: bytes
    exchange: str
    routing_key: str
    redelivered: bool
    content_type: str | None = None
    message_id: str | None = None
    persistent: bool = False
    headers: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


class Broker:
    """A blocking AMQP 0-9-1 connection (pika) for a suite, with bounded waits."""

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        parameters = pika.URLParameters(url)
        parameters.connection_attempts = 1
        parameters.socket_timeout = timeout
        parameters.stack_timeout = timeout
        parameters.blocked_connection_timeout = timeout
        self.connection = pika.BlockingConnection(parameters)
        self._channel: BlockingChannel | None = None

    @property
    def channel(self) -> BlockingChannel:
        """The channel, opened again if the broker closed it (a passive declare of a missing queue)."""
        if self._channel is None or not self._channel.is_open:
            self._channel = self.connection.channel()
        return self._channel

    def queue_exists(self, queue: str) -> bool:
        try:
            self.channel.queue_declare(queue, passive=True)
        except pika.exceptions.ChannelClosedByBroker:
            return False
        return True

    def message_count(self, queue: str) -> int:
        """Ready messages in `queue` (not those delivered, unacknowledged); KeyError if it does not exist."""
        try:
            return int(self.channel.queue_declare(queue, passive=True).method.message_count)
        except pika.exceptions.ChannelClosedByBroker:
            raise KeyError(f"no queue {queue!r} on the vhost") from None

    def tap(self, exchange: str, routing_key: str = "#") -> str:
        """A private, server-named queue bound to `exchange`: it receives a copy of what is published
        there from now on (for a fanout or topic exchange, whatever the routing key). Removed when the
        Broker closes."""
        queue = self.channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        self.channel.queue_bind(queue, exchange, routing_key=routing_key)
        return str(queue)

    def get(self, queue: str, *, timeout: float = 5.0, ack: bool = True) -> Message | None:
        """The next message of `queue`, waiting up to `timeout` (bounded polling); None if none came."""
        deadline = time.monotonic() + timeout
        delay = 0.02
        while True:
            method, properties, body = self.channel.basic_get(queue, auto_ack=ack)
            if method is not None:
                return Message(
                    body=body,
                    exchange=method.exchange,
                    routing_key=method.routing_key,
                    redelivered=method.redelivered,
                    content_type=properties.content_type,
                    message_id=properties.message_id,
                    persistent=properties.delivery_mode == 2,
                    headers=dict(properties.headers or {}),
                )
            if time.monotonic() >= deadline:
                return None
            self.connection.sleep(min(delay, max(0.0, deadline - time.monotonic())))  # keeps heartbeats
            delay = min(delay * 1.5, 0.25)

    def messages(self, queue: str, count: int, *, timeout: float = 5.0) -> list[Message]:
        """Up to `count` messages of `queue`, waiting up to `timeout` in all."""
        deadline = time.monotonic() + timeout
        found: list[Message] = []
        while len(found) < count:
            message = self.get(queue, timeout=max(0.0, deadline - time.monotonic()))
            if message is None:
                break
            found.append(message)
        return found

    def publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes | str | dict[str, Any] | list[Any],
        *,
        headers: dict[str, Any] | None = None,
        persistent: bool = True,
        message_id: str | None = None,
    ) -> None:
        """Publish with publisher confirms: returns once the broker has the message (raises if it was
        unroutable or refused)."""
        content_type = None
        if isinstance(body, dict | list):
            body, content_type = json.dumps(body).encode(), "application/json"
        elif isinstance(body, str):
            body, content_type = body.encode(), "text/plain"
        channel = self.channel
        channel.confirm_delivery()
        channel.basic_publish(
            exchange,
            routing_key,
            body,
            properties=pika.BasicProperties(
                content_type=content_type,
                delivery_mode=2 if persistent else 1,
                headers=headers,
                message_id=message_id,
            ),
            mandatory=True,
        )

    def purge(self, queue: str) -> int:
        return int(self.channel.queue_purge(queue).method.message_count)

    def close(self) -> None:
        if self.connection.is_open:
            with contextlib.suppress(pika.exceptions.AMQPError):
                self.connection.close()

    def __enter__(self) -> Broker:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
