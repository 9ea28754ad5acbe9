"""Sliding-window log with optimistic locking (WATCH/MULTI/EXEC), Redis's clock."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError, WatchError


@dataclass
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int


class SlidingLog:
    def __init__(self, redis: Redis, *, limit: int, window: int) -> None:
        self.redis = redis
        self.limit = limit
        self.window_us = window * 1_000_000

    def hit(self, who: str) -> Decision | None:
        key = f"rl:{who}"
        try:
            with self.redis.pipeline() as pipe:
                while True:
                    try:
                        pipe.watch(key)
                        seconds, micros = pipe.time()
                        now = seconds * 1_000_000 + micros
                        recent = pipe.zrangebyscore(key, now - self.window_us + 1, "+inf", withscores=True)
                        if len(recent) >= self.limit:
                            pipe.unwatch()
                            wait = recent[0][1] + self.window_us - now
                            return Decision(False, self.limit, 0, max(1, math.ceil(wait / 1_000_000)))
                        pipe.multi()
                        pipe.zremrangebyscore(key, "-inf", now - self.window_us)
                        pipe.zadd(key, {uuid.uuid4().hex: now})
                        pipe.pexpire(key, self.window_us // 1000 + 1000)
                        pipe.execute()
                        return Decision(True, self.limit, self.limit - len(recent) - 1, 0)
                    except WatchError:
                        continue
        except RedisError:
            return None
