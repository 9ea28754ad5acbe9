"""Cache-aside in Redis: a fresh copy with a short TTL, a stale copy kept longer, one fetch per key at a time.

Keys (the README's contract): ``cache:<name>`` is the fresh copy, ``stale:<name>`` the last known good
copy served when the upstream fails, ``lock:<name>`` marks the one request currently fetching <name>.
Redis being down is never an error here: every Redis call falls back to "not cached".
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.services.upstream import UpstreamFailed

log = logging.getLogger(__name__)
T = TypeVar("T")

# Delete the lock only if it is still ours: it may have expired and been taken by another request.
RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

POLL_INTERVAL = 0.05  # how often a waiting request looks for the value another request is fetching


@dataclass(frozen=True)
class Entry:
    body: bytes
    state: Literal["HIT", "MISS", "STALE"]
    max_age: int  # whole seconds the fresh copy still has to live; 0 for a stale copy


class Cache:
    def __init__(self, redis: Redis, *, ttl: int, stale: int, upstream_timeout: float) -> None:
        self._redis = redis
        self._ttl = ttl
        self._stale = stale
        self._wait = upstream_timeout  # a waiter waits as long as the fetcher may take, no longer
        # A crashed fetcher must not block the key forever, and a live one must keep it while it works.
        self._lock_ms = int(upstream_timeout * 2000) + 1000
        self._release = redis.register_script(RELEASE_LOCK)

    async def get_or_fetch(self, name: str, fetch: Callable[[], Awaitable[bytes]]) -> Entry:
        """The fresh copy if there is one; otherwise one request fetches while the others wait for it."""
        entry = await self._fresh(name)
        if entry is not None:
            return entry
        token = secrets.token_hex(16)
        if await self._acquire(name, token):
            try:
                # The previous holder may have stored the value between our read and our lock.
                return await self._fresh(name) or await self._fetch(name, fetch)
            finally:
                await self._safe(self._release(keys=[f"lock:{name}"], args=[token]), None)
        entry = await self._wait_for_fill(name)
        if entry is not None:
            return entry
        # The fetcher failed or gave up: the upstream is in trouble, so prefer the stale copy.
        return await self._stale_copy(name) or await self._fetch(name, fetch)

    async def invalidate(self, *names: str) -> None:
        """Drop both copies of each entry, so no later read (fresh or stale) sees the old data."""
        keys = [key for name in names for key in (f"cache:{name}", f"stale:{name}")]
        await self._safe(self._redis.delete(*keys), 0)

    async def _fetch(self, name: str, fetch: Callable[[], Awaitable[bytes]]) -> Entry:
        try:
            body = await fetch()
        except UpstreamFailed:
            stale = await self._stale_copy(name)
            if stale is not None:
                return stale
            raise
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.set(f"cache:{name}", body, ex=self._ttl)
            pipe.set(f"stale:{name}", body, ex=self._ttl + self._stale)
            await self._safe(pipe.execute(), None)
        return Entry(body, "MISS", self._ttl)

    async def _fresh(self, name: str) -> Entry | None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.get(f"cache:{name}")
            pipe.pttl(f"cache:{name}")
            body, pttl = await self._safe(pipe.execute(), [None, -2])
        if body is None:
            return None
        # Never let a client keep the answer longer than the server keeps its copy: round down.
        return Entry(body, "HIT", max(0, pttl) // 1000)

    async def _stale_copy(self, name: str) -> Entry | None:
        body = await self._get(f"stale:{name}")
        return None if body is None else Entry(body, "STALE", 0)

    async def _get(self, key: str) -> bytes | None:
        # The client is made without decode_responses, so Redis hands back the bytes as stored (the
        # library's type says bytes | str, for clients that decode).
        value = await self._safe(self._redis.get(key), None)
        return value.encode() if isinstance(value, str) else value

    async def _acquire(self, name: str, token: str) -> bool:
        # Without Redis there is nobody to coordinate with: every request fetches for itself.
        return bool(await self._safe(self._redis.set(f"lock:{name}", token, nx=True, px=self._lock_ms), True))

    async def _wait_for_fill(self, name: str) -> Entry | None:
        deadline = time.monotonic() + self._wait
        while time.monotonic() < deadline:
            await asyncio.sleep(POLL_INTERVAL)
            entry = await self._fresh(name)
            if entry is not None:
                return entry
            if not await self._safe(self._redis.exists(f"lock:{name}"), 0):
                return await self._fresh(name)  # released: stored just now, or the fetch failed
        return None

    async def _safe(self, operation: Awaitable[T], default: T) -> T:
        try:
            return await operation
        except RedisError as exc:
            log.warning("Redis unavailable, serving without the cache: %s", exc)
            return default
