"""Cache-aside with request coalescing inside the process (single flight)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from redis import Redis
from redis.exceptions import RedisError

from app.upstream import UpstreamDown, UpstreamSlow

log = logging.getLogger(__name__)


@dataclass
class Entry:
    body: bytes
    state: str
    max_age: int


@dataclass
class Flight:
    done: threading.Event = field(default_factory=threading.Event)
    body: bytes | None = None
    error: BaseException | None = None


class Cache:
    def __init__(self, redis: Redis, *, ttl: int, stale: int, wait: float) -> None:
        self.redis = redis
        self.ttl = ttl
        self.stale = stale
        self.wait = wait
        self.flights: dict[str, Flight] = {}
        self.guard = threading.Lock()

    def read(self, name: str, fetch: Callable[[], bytes]) -> Entry:
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.get(f"cache:{name}").ttl(f"cache:{name}")
            body, ttl = pipe.execute()
        except RedisError as exc:
            log.warning("no cache: %s", exc)
            body, ttl = None, -2
        if body is not None:
            return Entry(body, "HIT", max(ttl, 0))
        with self.guard:
            flight = self.flights.get(name)
            leader = flight is None
            if leader:
                flight = self.flights[name] = Flight()
        if leader:
            try:
                flight.body = fetch()
                self._store(name, flight.body)
            except Exception as exc:  # handed to every waiter
                flight.error = exc
            finally:
                with self.guard:
                    del self.flights[name]
                flight.done.set()
        elif not flight.done.wait(self.wait):
            return self._stale_or(name, UpstreamSlow("still waiting for the catalog"))
        if flight.error is not None:
            if isinstance(flight.error, UpstreamDown):
                return self._stale_or(name, flight.error)
            raise flight.error
        return Entry(flight.body, "MISS" if leader else "HIT", self.ttl)

    def _stale_or(self, name: str, error: BaseException) -> Entry:
        try:
            body = self.redis.get(f"stale:{name}")
        except RedisError:
            body = None
        if body is None:
            raise error
        return Entry(body, "STALE", 0)

    def _store(self, name: str, body: bytes) -> None:
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.set(f"cache:{name}", body, ex=self.ttl).set(f"stale:{name}", body, ex=self.ttl + self.stale)
            pipe.execute()
        except RedisError as exc:
            log.warning("not cached: %s", exc)

    def replace(self, name: str, body: bytes) -> None:
        self._store(name, body)

    def drop(self, name: str) -> None:
        try:
            self.redis.delete(f"cache:{name}", f"stale:{name}")
        except RedisError as exc:
            log.warning("could not invalidate: %s", exc)
