"""Known-bad variants of solutions/lab05-caching: the caching and rate-limiting mistakes people make."""

from __future__ import annotations

from tests.mutants import mutant, replace

CACHE = "app/services/cache.py"
UPSTREAM = "app/services/upstream.py"
LIMITER = "app/services/rate_limit.py"
MIDDLEWARE = "app/middleware/rate_limit.py"
HTTP = "app/api/http_cache.py"
ERRORS = "app/api/errors.py"
PRODUCTS = "app/api/routes/products.py"
CATEGORIES = "app/api/routes/categories.py"
MAIN = "app/main.py"

STORE_FRESH = 'pipe.set(f"cache:{name}", body, ex=self._ttl)'
STORE_STALE = 'pipe.set(f"stale:{name}", body, ex=self._ttl + self._stale)'
FRESH_READ = """    async def _fresh(self, name: str) -> Entry | None:
        async with self._redis.pipeline(transaction=False) as pipe:"""
STORE_BLOCK = """        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.set(f"cache:{name}", body, ex=self._ttl)
            pipe.set(f"stale:{name}", body, ex=self._ttl + self._stale)
            await self._safe(pipe.execute(), None)
"""
INVALIDATE = """        keys = [key for name in names for key in (f"cache:{name}", f"stale:{name}")]
        await self._safe(self._redis.delete(*keys), 0)"""
POLL = "POLL_INTERVAL = 0.05  # how often a waiting request looks for the value another request is fetching\n"
SCRIPT_CALL = """            allowed, remaining, wait_us = await self._script(
                keys=[key], args=[self._limit, self._window_us, secrets.token_hex(8)]
            )"""
SCRIPT_BODY = """local key, limit, window = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
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
return {0, 0, oldest + window - now}"""

MUTANTS = [
    # -- cache-aside -------------------------------------------------------------------------------------
    mutant(
        "wraps-the-body",
        "answers {'product': ...} instead of the catalog's object as it is",
        replace(
            HTTP,
            'return Response(entry.body, media_type="application/json", headers=headers)',
            'return Response(b\'{"product": \' + entry.body + b"}", '
            'media_type="application/json", headers=headers)',
        ),
        catches=["cache_aside::read_returns_upstream_data"],
    ),
    mutant(
        "404-is-a-failure",
        "treats the catalog's 404 like any other error status: 503 for an unknown product",
        replace(
            UPSTREAM,
            """        if response.status_code == 404:
            raise UpstreamNotFound(path)
""",
            "",
        ),
        catches=["cache_aside::unknown_product_404", "invalidation::write_unknown_404"],
    ),
    mutant(
        "never-reads-the-cache",
        "stores every answer in Redis but always calls the catalog (the read of the cache is skipped)",
        replace(
            CACHE,
            """        if body is None:
            return None
        # Never""",
            """        if body is None or True:
            return None
        # Never""",
        ),
        catches=["cache_aside::repeated_reads_call_upstream_once"],
    ),
    mutant(
        "no-ttl",
        "SET without EX: entries never expire, a change in the catalog is never seen",
        replace(CACHE, STORE_FRESH, 'pipe.set(f"cache:{name}", body)'),
        catches=["cache_aside::fresh_copy_in_redis", "cache_aside::change_visible_after_ttl"],
    ),
    mutant(
        "constant-ttl",
        "a TTL of 300 s written in the code instead of CACHE_TTL_SECONDS",
        replace(MAIN, "ttl=settings.cache_ttl_seconds,", "ttl=300,"),
        catches=[
            "cache_aside::fresh_copy_in_redis",
            "cache_aside::change_visible_after_ttl",
            "http_caching::max_age_on_miss",
        ],
    ),
    mutant(
        "stale-copy-without-ttl",
        "the stale copy is stored without an expiry, so it lives (and grows the cache) forever",
        replace(CACHE, STORE_STALE, 'pipe.set(f"stale:{name}", body)'),
        catches=["cache_aside::stale_copy_in_redis"],
    ),
    mutant(
        "lists-not-cached",
        "only products are cached: the category list goes to the catalog every time",
        replace(
            CATEGORIES,
            'entry = await cache.get_or_fetch(f"category:{category}", lambda: upstream.get(path))',
            'entry = Entry(await upstream.get(path), "MISS", 0)',
        ),
        replace(
            CATEGORIES,
            "from app.api.http_cache import cached_response",
            "from app.api.http_cache import cached_response\nfrom app.services.cache import Entry",
        ),
        catches=["cache_aside::category_list_cached"],
    ),
    mutant(
        "x-cache-always-hit",
        "X-Cache written as a constant",
        replace(HTTP, '"X-Cache": entry.state}', '"X-Cache": "HIT"}'),
        catches=["cache_aside::x_cache_header", "upstream_failure::stale_on_error"],
    ),
    mutant(
        "cache-in-process-memory",
        "the fresh copies live in a dict of the process: each instance has its own cache",
        replace(CACHE, POLL, POLL + "MEMORY: dict[str, tuple[bytes, float]] = {}\n"),
        replace(
            CACHE,
            FRESH_READ,
            """    async def _fresh(self, name: str) -> Entry | None:
        found = MEMORY.get(name)
        if found is not None and found[1] > time.monotonic():
            return Entry(found[0], "HIT", int(found[1] - time.monotonic()))
        return None

    async def _unused(self, name: str) -> Entry | None:
        async with self._redis.pipeline(transaction=False) as pipe:""",
        ),
        replace(CACHE, STORE_FRESH, "MEMORY[name] = (body, time.monotonic() + self._ttl)"),
        replace(
            CACHE, INVALIDATE, INVALIDATE + "\n        for name in names:\n            MEMORY.pop(name, None)"
        ),
        catches=["cache_aside::fresh_copy_in_redis", "cache_aside::shared_between_instances"],
    ),
    mutant(
        "memory-in-front-of-redis",
        "a first-level cache in process memory in front of Redis, invalidated only by the process that "
        "writes",
        replace(CACHE, POLL, POLL + "L1: dict[str, tuple[bytes, float]] = {}\n"),
        replace(
            CACHE,
            FRESH_READ,
            """    async def _fresh(self, name: str) -> Entry | None:
        local = L1.get(name)
        if local is not None and local[1] > time.monotonic():
            return Entry(local[0], "HIT", int(local[1] - time.monotonic()))
        async with self._redis.pipeline(transaction=False) as pipe:""",
        ),
        replace(
            CACHE, STORE_BLOCK, STORE_BLOCK + "        L1[name] = (body, time.monotonic() + self._ttl)\n"
        ),
        replace(
            CACHE, INVALIDATE, INVALIDATE + "\n        for name in names:\n            L1.pop(name, None)"
        ),
        catches=["cache_aside::deleted_key_means_miss", "invalidation::write_on_other_instance"],
    ),
    # -- invalidation ------------------------------------------------------------------------------------
    mutant(
        "echoes-the-request",
        "the PUT answers with the client's body instead of the catalog's answer (no id, no category)",
        replace(
            PRODUCTS,
            'return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})',
            'return Response(update.model_dump_json(), media_type="application/json")',
        ),
        catches=["invalidation::write_forwarded"],
    ),
    mutant(
        "no-invalidation",
        "the write goes to the catalog, the cache is left as it was",
        replace(
            PRODUCTS,
            """    await cache.invalidate(f"product:{product_id}", f"category:{category}")
""",
            "",
        ),
        catches=[
            "invalidation::read_after_write_is_new",
            "invalidation::write_drops_product_copies",
            "http_caching::etag_changes_with_content",
        ],
    ),
    mutant(
        "forgets-the-list",
        "invalidates the product but not the category list it appears in",
        replace(
            PRODUCTS,
            'await cache.invalidate(f"product:{product_id}", f"category:{category}")',
            'await cache.invalidate(f"product:{product_id}")',
        ),
        catches=["invalidation::write_invalidates_category_list"],
    ),
    mutant(
        "forgets-the-stale-copy",
        "invalidation deletes the fresh copies only: the next catalog failure serves pre-write data",
        replace(CACHE, 'for key in (f"cache:{name}", f"stale:{name}")]', 'for key in (f"cache:{name}",)]'),
        catches=[
            "invalidation::write_drops_product_copies",
            "invalidation::no_old_data_after_write_when_upstream_fails",
        ],
    ),
    mutant(
        "flushes-everything",
        "every write empties the whole cache (FLUSHDB)",
        replace(
            CACHE,
            "await self._safe(self._redis.delete(*keys), 0)",
            "await self._safe(self._redis.flushdb(), 0)",
        ),
        catches=["invalidation::write_keeps_other_entries"],
    ),
    # -- stampede ----------------------------------------------------------------------------------------
    mutant(
        "no-stampede-protection",
        "every miss calls the catalog: no lock, no coalescing",
        replace(
            CACHE,
            "return bool(await self._safe("
            'self._redis.set(f"lock:{name}", token, nx=True, px=self._lock_ms), True))',
            "return True",
        ),
        catches=["stampede::cold_key_burst"],
    ),
    mutant(
        "losers-give-up",
        "requests that do not get the lock answer 503 instead of waiting for the value",
        replace(
            CACHE,
            "        entry = await self._wait_for_fill(name)\n",
            '        raise UpstreamFailed("another request is fetching this entry")\n'
            "        entry = await self._wait_for_fill(name)\n",
        ),
        catches=["stampede::cold_key_burst"],
    ),
    mutant(
        "lock-kept-after-failure",
        "the lock is released only when the fetch succeeds (no finally): after a failure the key stays "
        "locked",
        replace(
            CACHE,
            """            try:
                # The previous holder may have stored the value between our read and our lock.
                return await self._fresh(name) or await self._fetch(name, fetch)
            finally:
                await self._safe(self._release(keys=[f"lock:{name}"], args=[token]), None)""",
            """            entry = await self._fresh(name) or await self._fetch(name, fetch)
            await self._safe(self._release(keys=[f"lock:{name}"], args=[token]), None)
            return entry""",
        ),
        catches=["stampede::protection_survives_failure"],
    ),
    # -- upstream failures -------------------------------------------------------------------------------
    mutant(
        "upstream-errors-are-500s",
        "catalog failures are not handled: the client gets a 500",
        replace(ERRORS, "    app.add_exception_handler(UpstreamFailed, upstream_failed)\n", ""),
        catches=[
            "upstream_failure::error_503",
            "upstream_failure::timeout_504",
            "invalidation::no_old_data_after_write_when_upstream_fails",
        ],
    ),
    mutant(
        "connection-errors-escape",
        "only timeouts and error statuses are handled: a refused connection is a 500",
        replace(
            UPSTREAM,
            """        except httpx.HTTPError as exc:
            raise UpstreamFailed(f"upstream unreachable: {exc!r}") from exc
""",
            "",
        ),
        catches=["upstream_failure::unreachable_503"],
    ),
    mutant(
        "no-upstream-timeout",
        "no timeout on the catalog call: a hanging catalog hangs the request",
        replace(UPSTREAM, "timeout=timeout)", "timeout=None)"),
        replace(UPSTREAM, "async with asyncio.timeout(self._timeout):", "async with asyncio.timeout(None):"),
        catches=[
            "upstream_failure::timeout_504",
            "upstream_failure::stale_on_timeout",
            "http_caching::errors_no_store",
        ],
    ),
    mutant(
        "no-stale-if-error",
        "the stale copy is stored but never served: every catalog failure is an error",
        replace(
            CACHE,
            """        except UpstreamFailed:
            stale = await self._stale_copy(name)""",
            """        except UpstreamFailed:
            stale = None""",
        ),
        catches=["upstream_failure::stale_on_error"],
    ),
    mutant(
        "stale-only-on-error-status",
        "the stale copy is served when the catalog answers 5xx, not when it times out",
        replace(
            CACHE,
            """        except UpstreamFailed:
            stale = await self._stale_copy(name)""",
            """        except UpstreamFailed as exc:
            if type(exc).__name__ == "UpstreamTimedOut":
                raise
            stale = await self._stale_copy(name)""",
        ),
        catches=["upstream_failure::stale_on_timeout"],
    ),
    mutant(
        "failure-remembered",
        "a failure is cached as an empty entry for CACHE_TTL_SECONDS, so reads keep failing after recovery",
        replace(
            CACHE,
            """            if stale is not None:
                return stale
            raise""",
            """            if stale is not None:
                return stale
            await self._safe(self._redis.set(f"cache:{name}", b"", ex=self._ttl), None)
            raise""",
        ),
        replace(
            CACHE,
            """        if body is None:
            return None
        # Never""",
            """        if body is None:
            return None
        if body == b"":
            raise UpstreamFailed("the catalog failed a moment ago")
        # Never""",
        ),
        catches=["upstream_failure::recovers_after_error"],
    ),
    # -- HTTP caching ------------------------------------------------------------------------------------
    mutant(
        "etag-per-response",
        "the ETag is made from the time, so every answer has a new one",
        replace(
            HTTP,
            "hashlib.sha256(body).hexdigest()[:32]",
            "hashlib.sha256(str(time.time_ns()).encode()).hexdigest()[:32]",
        ),
        replace(HTTP, "import hashlib\n", "import hashlib\nimport time\n"),
        catches=["http_caching::etag_stable"],
    ),
    mutant(
        "etag-from-the-url",
        "the ETag is a hash of the URL, so it does not change when the data does",
        replace(HTTP, "etag = etag_for(entry.body)", "etag = etag_for(request.url.path.encode())"),
        catches=["http_caching::etag_changes_with_content"],
    ),
    mutant(
        "ignores-if-none-match",
        "no conditional requests: always 200 with the body",
        replace(HTTP, 'if none_match(request.headers.get("if-none-match"), etag):', "if False:"),
        catches=["http_caching::conditional_get_304"],
    ),
    mutant(
        "if-none-match-exact-string",
        "If-None-Match compared as one exact string: no lists, no weak tags, no *",
        replace(
            HTTP,
            """    if not header:
        return False""",
            """    if not header:
        return False
    return header == etag""",
        ),
        catches=["http_caching::if_none_match_forms"],
    ),
    mutant(
        "max-age-an-hour",
        "Cache-Control: max-age=3600 whatever the server's TTL",
        replace(HTTP, '"Cache-Control": f"max-age={entry.max_age}"', '"Cache-Control": "max-age=3600"'),
        catches=["http_caching::max_age_on_miss", "http_caching::stale_max_age_zero"],
    ),
    mutant(
        "max-age-full-on-hits",
        "a hit advertises the full TTL again, though the server's copy is older",
        replace(
            CACHE, 'return Entry(body, "HIT", max(0, pttl) // 1000)', 'return Entry(body, "HIT", self._ttl)'
        ),
        catches=["http_caching::max_age_counts_down"],
    ),
    mutant(
        "stale-looks-fresh",
        "a stale answer advertises a normal max-age",
        replace(CACHE, 'Entry(body, "STALE", 0)', 'Entry(body, "STALE", self._ttl)'),
        catches=["http_caching::stale_max_age_zero"],
    ),
    mutant(
        "errors-cacheable",
        "503 and 504 answers without Cache-Control: no-store",
        replace(ERRORS, 'NO_STORE = {"Cache-Control": "no-store"}', "NO_STORE: dict[str, str] = {}"),
        catches=["http_caching::errors_no_store"],
    ),
    # -- rate limiting -----------------------------------------------------------------------------------
    mutant(
        "no-rate-limit",
        "the limiter is never installed",
        replace(MAIN, "app.add_middleware(RateLimitMiddleware)\n", ""),
        catches=["rate_limit::limit_then_429"],
    ),
    mutant(
        "remaining-off-by-one",
        "RateLimit-Remaining counts the current request as not yet made",
        replace(LIMITER, "return {1, limit - count - 1, 0}", "return {1, limit - count, 0}"),
        catches=["rate_limit::ratelimit_headers"],
    ),
    mutant(
        "no-retry-after",
        "the 429 does not say when to come back",
        replace(MIDDLEWARE, '            headers["Retry-After"] = str(decision.retry_after)\n', ""),
        catches=["rate_limit::retry_after"],
    ),
    mutant(
        "one-bucket-for-everybody",
        "the limit is global, not per client",
        replace(MIDDLEWARE, 'return "id:" + client_id', 'return "everybody"'),
        replace(
            MIDDLEWARE,
            'return "ip:" + (request.client.host if request.client else "unknown")',
            'return "everybody"',
        ),
        catches=["rate_limit::per_client"],
    ),
    mutant(
        "limiter-in-process-memory",
        "a sliding log in a dict of the process: each instance lets the client through again",
        replace(LIMITER, "import secrets\n", "import secrets\nimport time\n"),
        replace(
            LIMITER,
            "log = logging.getLogger(__name__)\n",
            "log = logging.getLogger(__name__)\nLOCAL: dict[str, list[float]] = {}\n",
        ),
        replace(
            LIMITER,
            SCRIPT_CALL,
            """            now = time.monotonic()
            window = self._window_us / 1_000_000
            times = LOCAL.setdefault(key, [])
            times[:] = [t for t in times if t > now - window]
            if len(times) < self._limit:
                times.append(now)
                allowed, remaining, wait_us = 1, self._limit - len(times), 0
            else:
                allowed, remaining, wait_us = 0, 0, (times[0] + window - now) * 1_000_000""",
        ),
        catches=["rate_limit::shared_between_instances"],
    ),
    mutant(
        "check-then-add",
        "the count is read and then incremented in separate round trips: concurrent requests overrun it",
        replace(
            LIMITER,
            "        self._script = redis.register_script(SLIDING_LOG)\n",
            "        self._script = redis.register_script(SLIDING_LOG)\n        self._redis = redis\n",
        ),
        replace(
            LIMITER,
            SCRIPT_CALL,
            """            seconds, micros = await self._redis.time()
            now = seconds * 1_000_000 + micros
            await self._redis.zremrangebyscore(key, "-inf", now - self._window_us)
            count = await self._redis.zcard(key)
            if count < self._limit:
                await self._redis.zadd(key, {secrets.token_hex(8): now})
                await self._redis.pexpire(key, self._window_us // 1000)
                allowed, remaining, wait_us = 1, self._limit - count - 1, 0
            else:
                oldest = (await self._redis.zrange(key, 0, 0, withscores=True))[0][1]
                allowed, remaining, wait_us = 0, 0, oldest + self._window_us - now""",
        ),
        catches=["rate_limit::concurrent_burst"],
    ),
    mutant(
        "counts-rejected-requests",
        "rejected requests are counted too: a client that keeps retrying never gets back in",
        replace(
            LIMITER,
            """local count = redis.call('ZCARD', key)
if count < limit then""",
            """local count = redis.call('ZCARD', key)
redis.call('ZADD', key, now, ARGV[3])
redis.call('PEXPIRE', key, math.ceil(window / 1000))
if count < limit then""",
        ),
        catches=["rate_limit::client_gets_back_in"],
    ),
    mutant(
        "fixed-window",
        "INCR with an expiry set by the first request: a fixed window, twice the limit around its end",
        replace(
            LIMITER,
            SCRIPT_BODY,
            """local key, limit, window = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local count = redis.call('INCR', key)
if count == 1 then
  redis.call('PEXPIRE', key, math.floor(window / 1000))
end
if count <= limit then
  return {1, limit - count, 0}
end
return {0, 0, redis.call('PTTL', key) * 1000}""",
        ),
        catches=["rate_limit::window_slides"],
    ),
    mutant(
        "no-header-no-limit",
        "requests without X-Client-Id are not limited at all",
        replace(
            MIDDLEWARE,
            "decision = await limiter.hit(client_key(request))",
            'decision = await limiter.hit(client_key(request)) if "x-client-id" in request.headers else None',
        ),
        catches=["rate_limit::no_client_id_uses_address"],
    ),
    mutant(
        "health-limited",
        "the limiter counts every path, health probes included",
        replace(MIDDLEWARE, 'LIMITED_PREFIXES = ("/products", "/categories")', 'LIMITED_PREFIXES = ("/",)'),
        catches=["rate_limit::health_not_limited"],
    ),
    # -- Redis down --------------------------------------------------------------------------------------
    mutant(
        "pings-redis-at-startup",
        "the app checks Redis at startup and refuses to start without it",
        replace(
            MAIN,
            "    app.state.upstream = Upstream(",
            "    await redis.ping()\n    app.state.upstream = Upstream(",
        ),
        catches=["redis_down::starts_without_redis"],
    ),
    mutant(
        "redis-errors-crash-reads",
        "Redis errors are not caught: every request fails while Redis is down",
        replace(CACHE, "        except RedisError as exc:\n", "        except ValueError as exc:\n"),
        catches=["redis_down::reads_without_redis"],
    ),
    mutant(
        "redis-errors-crash-writes",
        "the invalidation after a write does not expect Redis to fail",
        replace(CACHE, "await self._safe(self._redis.delete(*keys), 0)", "await self._redis.delete(*keys)"),
        catches=["redis_down::writes_without_redis"],
    ),
    mutant(
        "limiter-fails-closed",
        "without Redis the limiter rejects everybody",
        replace(
            LIMITER,
            """            log.warning("Redis unavailable, requests are not rate limited: %s", exc)
            return None""",
            """            log.warning("Redis unavailable, rejecting: %s", exc)
            return Decision(False, self._limit, 0, 1)""",
        ),
        catches=["redis_down::limiter_fails_open", "redis_down::reads_without_redis"],
    ),
]
