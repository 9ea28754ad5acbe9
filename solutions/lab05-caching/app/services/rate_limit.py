"""A sliding-window log in Redis, shared by every instance of the app.

Each client has a sorted set of the times of its accepted requests. One Lua script trims what left
the window, counts what is left and records the new request, atomically: two instances (or two
concurrent requests) can never both take the last slot. Redis's clock is the only clock used.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

SLIDING_LOG = """
local key, limit, window = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, math.ceil(window / 1000))
  return {1, limit - count - 1, 0}
end
local oldest = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2])
return {0, 0, oldest + window - now}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # whole seconds until a slot frees up; 0 when allowed


class RateLimiter:
    def __init__(self, redis: Redis, *, limit: int, window_seconds: int) -> None:
        self._limit = limit
        self._window_us = window_seconds * 1_000_000
        self._script = redis.register_script(SLIDING_LOG)

    async def hit(self, client: str) -> Decision | None:
        """Count one request of `client`; None when Redis is unavailable (the app then fails open)."""
        key = "ratelimit:" + hashlib.sha256(client.encode()).hexdigest()[:32]
        try:
            allowed, remaining, wait_us = await self._script(
                keys=[key], args=[self._limit, self._window_us, secrets.token_hex(8)]
            )
        except RedisError as exc:
            log.warning("Redis unavailable, requests are not rate limited: %s", exc)
            return None
        retry_after = 0 if allowed else max(1, math.ceil(wait_us / 1_000_000))
        return Decision(bool(allowed), self._limit, int(remaining), retry_after)
