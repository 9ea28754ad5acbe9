# ruff: noqa: E501  (the blind mutants keep their author's text verbatim)
"""Known-bad variants of solutions/lab05-caching: the caching and rate-limiting mistakes people make."""

from __future__ import annotations

from tests.mutants import blind, mutant, replace

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
        rules=["R3.2"],
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
        rules=["R3.3", "R3.6"],
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
        rules=["R4.2"],
    ),
    mutant(
        "no-ttl",
        "SET without EX: entries never expire, a change in the catalog is never seen",
        replace(CACHE, STORE_FRESH, 'pipe.set(f"cache:{name}", body)'),
        catches=["cache_aside::fresh_copy_in_redis", "cache_aside::change_visible_after_ttl"],
        rules=["R4.1"],
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
        rules=["R4.1", "R8.4"],
    ),
    mutant(
        "stale-copy-without-ttl",
        "the stale copy is stored without an expiry, so it lives (and grows the cache) forever",
        replace(CACHE, STORE_STALE, 'pipe.set(f"stale:{name}", body)'),
        catches=["cache_aside::stale_copy_in_redis"],
        rules=["R4.4"],
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
        rules=["R4.2"],
    ),
    mutant(
        "x-cache-always-hit",
        "X-Cache written as a constant",
        replace(HTTP, '"X-Cache": entry.state}', '"X-Cache": "HIT"}'),
        catches=["cache_aside::x_cache_header", "upstream_failure::stale_on_error"],
        rules=["R8.1"],
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
        rules=["R4.5"],
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
        rules=["R4.3", "R4.5"],
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
        rules=["R3.5"],
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
        rules=["R6.1", "R6.4"],
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
        rules=["R6.2"],
    ),
    mutant(
        "forgets-the-stale-copy",
        "invalidation deletes the fresh copies only: the next catalog failure serves pre-write data",
        replace(CACHE, 'for key in (f"cache:{name}", f"stale:{name}")]', 'for key in (f"cache:{name}",)]'),
        catches=[
            "invalidation::write_drops_product_copies",
            "invalidation::no_old_data_after_write_when_upstream_fails",
        ],
        rules=["R6.1", "R6.4"],
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
        rules=["R6.3"],
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
        rules=["R5.1"],
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
        rules=["R5.1"],
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
        rules=["R5.2"],
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
        rules=["R7.3"],
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
        rules=["R7.3"],
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
        rules=["R7.2", "R7.5"],
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
        rules=["R7.1"],
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
        rules=["R7.1"],
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
        rules=["R7.6"],
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
        rules=["R8.2"],
    ),
    mutant(
        "etag-from-the-url",
        "the ETag is a hash of the URL, so it does not change when the data does",
        replace(HTTP, "etag = etag_for(entry.body)", "etag = etag_for(request.url.path.encode())"),
        catches=["http_caching::etag_changes_with_content"],
        rules=["R8.3"],
    ),
    mutant(
        "ignores-if-none-match",
        "no conditional requests: always 200 with the body",
        replace(HTTP, 'if none_match(request.headers.get("if-none-match"), etag):', "if False:"),
        catches=["http_caching::conditional_get_304"],
        rules=["R8.7"],
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
        rules=["R8.8"],
    ),
    mutant(
        "max-age-an-hour",
        "Cache-Control: max-age=3600 whatever the server's TTL",
        replace(HTTP, '"Cache-Control": f"max-age={entry.max_age}"', '"Cache-Control": "max-age=3600"'),
        catches=["http_caching::max_age_on_miss", "http_caching::stale_max_age_zero"],
        rules=["R8.4", "R8.6"],
    ),
    mutant(
        "max-age-full-on-hits",
        "a hit advertises the full TTL again, though the server's copy is older",
        replace(
            CACHE, 'return Entry(body, "HIT", max(0, pttl) // 1000)', 'return Entry(body, "HIT", self._ttl)'
        ),
        catches=["http_caching::max_age_counts_down"],
        rules=["R8.5"],
    ),
    mutant(
        "stale-looks-fresh",
        "a stale answer advertises a normal max-age",
        replace(CACHE, 'Entry(body, "STALE", 0)', 'Entry(body, "STALE", self._ttl)'),
        catches=["http_caching::stale_max_age_zero"],
        rules=["R8.6", "R7.1"],
    ),
    mutant(
        "errors-cacheable",
        "503 and 504 answers without Cache-Control: no-store",
        replace(ERRORS, 'NO_STORE = {"Cache-Control": "no-store"}', "NO_STORE: dict[str, str] = {}"),
        catches=["http_caching::errors_no_store"],
        rules=["R7.4"],
    ),
    # -- rate limiting -----------------------------------------------------------------------------------
    mutant(
        "no-rate-limit",
        "the limiter is never installed",
        replace(MAIN, "app.add_middleware(RateLimitMiddleware)\n", ""),
        catches=["rate_limit::limit_then_429"],
        rules=["R9.5"],
    ),
    mutant(
        "remaining-off-by-one",
        "RateLimit-Remaining counts the current request as not yet made",
        replace(LIMITER, "return {1, limit - count - 1, 0}", "return {1, limit - count, 0}"),
        catches=["rate_limit::ratelimit_headers"],
        rules=["R9.8"],
    ),
    mutant(
        "no-retry-after",
        "the 429 does not say when to come back",
        replace(MIDDLEWARE, '            headers["Retry-After"] = str(decision.retry_after)\n', ""),
        catches=["rate_limit::retry_after"],
        rules=["R9.9"],
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
        rules=["R9.3"],
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
        rules=["R9.6"],
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
        rules=["R9.7"],
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
        rules=["R9.1", "R9.10"],
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
        rules=["R9.5"],
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
        rules=["R9.4"],
    ),
    mutant(
        "health-limited",
        "the limiter counts every path, health probes included",
        replace(MIDDLEWARE, 'LIMITED_PREFIXES = ("/products", "/categories")', 'LIMITED_PREFIXES = ("/",)'),
        catches=["rate_limit::health_not_limited"],
        rules=["R9.2"],
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
        rules=["R10.1"],
    ),
    mutant(
        "redis-errors-crash-reads",
        "Redis errors are not caught: every request fails while Redis is down",
        replace(CACHE, "        except RedisError as exc:\n", "        except ValueError as exc:\n"),
        catches=["redis_down::reads_without_redis"],
        rules=["R10.2"],
    ),
    mutant(
        "redis-errors-crash-writes",
        "the invalidation after a write does not expect Redis to fail",
        replace(CACHE, "await self._safe(self._redis.delete(*keys), 0)", "await self._redis.delete(*keys)"),
        catches=["redis_down::writes_without_redis"],
        rules=["R10.3"],
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
        rules=["R10.4"],
    ),
    # -- edges and variants (issue 12) -------------------------------------------------------------------
    mutant(
        "health-asks-the-catalog",
        "/health calls the catalog to report on it: with the catalog down the app looks dead",
        replace(
            "app/api/routes/health.py",
            """from fastapi import APIRouter
""",
            """from fastapi import APIRouter

from app.api.deps import UpstreamDep
""",
        ),
        replace(
            "app/api/routes/health.py",
            """async def health() -> dict[str, str]:
""",
            """async def health(upstream: UpstreamDep) -> dict[str, str]:
    await upstream.get("/categories/health/products")
""",
        ),
        catches=["upstream_failure::health_without_upstream"],
        rules=["R3.1"],
    ),
    mutant(
        "stale-only-when-the-catalog-answers",
        "the stale copy is served when the catalog answers an error, but a refused connection is passed on",
        replace(
            CACHE,
            """        except UpstreamFailed:
            stale = await self._stale_copy(name)
""",
            """        except UpstreamFailed as exc:
            stale = None if "unreachable" in str(exc) else await self._stale_copy(name)
""",
        ),
        catches=["upstream_failure::stale_on_unreachable"],
        rules=["R7.1"],
    ),
    mutant(
        "bad-answer-passed-through",
        "the catalog's 200 is trusted: an HTML error page is cached and served as the product",
        replace(
            UPSTREAM,
            "        json_object(response, path)\n        return response.content\n",
            "        return response.content\n",
        ),
        catches=["upstream_failure::bad_answer_502"],
        rules=["R7.7"],
    ),
    mutant(
        "write-trusts-the-catalog",
        "the PUT reads the category straight from the catalog's answer: a body without it is a 500",
        replace(
            UPSTREAM,
            """        category = json_object(response, path).get("category")
        if not isinstance(category, str):
            raise UpstreamBadAnswer(f"PUT {path}: the answer has no category")
        return response.content, category""",
            """        return response.content, response.json()["category"]""",
        ),
        catches=["upstream_failure::bad_answer_502"],
        rules=["R7.7"],
    ),
    mutant(
        "bad-answer-is-unavailable",
        "a catalog answer that cannot be used is reported as an unavailable catalog (503), not a bad gateway",
        replace(
            ERRORS,
            """    elif isinstance(exc, UpstreamBadAnswer):
        status, detail = 502, "the catalog sent an answer this service cannot use"
""",
            "",
        ),
        catches=["upstream_failure::bad_answer_502"],
        rules=["R7.7"],
    ),
    mutant(
        "error-detail-is-the-exception",
        "the error body passes on the exception's text: the connection error names the library and the failure",
        replace(
            ERRORS,
            'return JSONResponse({"detail": detail}, status_code=status, headers=NO_STORE)',
            'return JSONResponse({"detail": str(exc)}, status_code=status, headers=NO_STORE)',
        ),
        catches=["upstream_failure::unreachable_503"],
        rules=["R3.8"],
    ),
    mutant(
        "only-500-is-a-failure",
        "only a 500 is treated as a failure: a 502 from the catalog is served (and cached) as the product",
        replace(UPSTREAM, "if response.status_code >= 400:", "if response.status_code == 500:"),
        catches=["upstream_failure::error_503"],
        rules=["R7.3"],
    ),
    mutant(
        "lists-ignore-if-none-match",
        "304 is implemented for products only; the list endpoint always sends the full body",
        replace(
            HTTP,
            'if none_match(request.headers.get("if-none-match"), etag):',
            'if request.url.path.startswith("/products") '
            'and none_match(request.headers.get("if-none-match"), etag):',
        ),
        catches=["http_caching::conditional_get_304"],
        rules=["R8.7"],
    ),
    mutant(
        "budget-per-client-and-path",
        "the window is keyed by client and path (issue 12 escape): a client gets RATE_LIMIT per URL",
        replace(
            MIDDLEWARE,
            "decision = await limiter.hit(client_key(request))",
            'decision = await limiter.hit(client_key(request) + " " + scope["path"])',
        ),
        catches=["rate_limit::budget_spans_paths_and_methods"],
        rules=["R9.1"],
    ),
    mutant(
        "health-counted",
        "/health is never rejected, but it is counted: health probes eat the client's budget",
        replace(
            MIDDLEWARE,
            'if scope["type"] != "http" or not scope["path"].startswith(LIMITED_PREFIXES):',
            'if scope["type"] != "http":',
        ),
        replace(
            MIDDLEWARE,
            "        if decision is None:  # Redis is down",
            '        if decision is None or not scope["path"].startswith(LIMITED_PREFIXES):  # Redis is down',
        ),
        catches=["rate_limit::health_not_limited"],
        rules=["R9.2"],
    ),
]

# Blind mutants: written from the README contract and the solution only, never the suite (issue 12).
# Each escape of the suite as it was became a check or a stricter one (see the commit history).
MUTANTS += [
    blind(
        "invalidate-keeps-stale-copy",
        "The learner thinks of the stale copy as a harmless backup and only drops the fresh copy on a write, so a later upstream failure serves the pre-write data.",
        replace(
            "app/services/cache.py",
            '        keys = [key for name in names for key in (f"cache:{name}", f"stale:{name}")]\n',
            '        keys = [f"cache:{name}" for name in names]\n',
        ),
        catches=[
            "invalidation::write_drops_product_copies",
            "invalidation::write_invalidates_category_list",
            "invalidation::no_old_data_after_write_when_upstream_fails",
        ],
        rules=["R6.1", "R6.2", "R6.4"],
    ),
    blind(
        "invalidate-forgets-category",
        "The classic 'invalidate too little': the PUT is about one product, so the learner drops only that product's entry and forgets the category list that also shows it.",
        replace(
            "app/api/routes/products.py",
            '    await cache.invalidate(f"product:{product_id}", f"category:{category}")\n',
            '    await cache.invalidate(f"product:{product_id}")\n',
        ),
        catches=["invalidation::write_invalidates_category_list"],
        rules=["R6.2"],
    ),
    blind(
        "invalidate-every-category-list",
        "To be safe the learner drops every cached category list on each write (a prefix scan), which gives correct answers but empties other categories' caches.",
        replace(
            "app/services/cache.py",
            '        keys = [key for name in names for key in (f"cache:{name}", f"stale:{name}")]\n',
            '        keys = [key for name in names for key in (f"cache:{name}", f"stale:{name}")]\n        # A product\'s price shows up in category lists: drop every list so none is out of date.\n        try:\n            keys += [key async for key in self._redis.scan_iter(match="cache:category:*")]\n        except RedisError as exc:\n            log.warning("Redis unavailable, serving without the cache: %s", exc)\n',
        ),
        catches=["invalidation::write_keeps_other_entries"],
        rules=["R6.3"],
    ),
    blind(
        "stale-ttl-not-added-to-fresh-ttl",
        "The learner reads CACHE_STALE_SECONDS as the stale copy's whole lifetime rather than how much longer it lives than the fresh copy.",
        replace(
            "app/services/cache.py",
            '            pipe.set(f"stale:{name}", body, ex=self._ttl + self._stale)\n',
            '            pipe.set(f"stale:{name}", body, ex=self._stale)\n',
        ),
        catches=["cache_aside::stale_copy_in_redis"],
        rules=["R4.4"],
    ),
    blind(
        "stale-copy-written-only-once",
        "The learner writes the 'last known good' copy with NX so it is not rewritten on every refill, so it keeps old data and an old TTL after the upstream's data changes behind the app's back.",
        replace(
            "app/services/cache.py",
            '            pipe.set(f"stale:{name}", body, ex=self._ttl + self._stale)\n',
            '            pipe.set(f"stale:{name}", body, ex=self._ttl + self._stale, nx=True)\n',
        ),
        catches=["cache_aside::stale_copy_in_redis"],
        rules=["R4.4"],
    ),
    blind(
        "hit-max-age-is-full-ttl",
        "The learner sends the configured TTL as max-age on every cached answer, forgetting that a hit's copy has already used part of its life.",
        replace(
            "app/services/cache.py",
            '        return Entry(body, "HIT", max(0, pttl) // 1000)\n',
            '        return Entry(body, "HIT", self._ttl)\n',
        ),
        catches=["http_caching::max_age_counts_down"],
        rules=["R8.5"],
    ),
    blind(
        "stale-answer-cacheable",
        "The learner reuses the fresh-copy max-age for the stale fallback, so clients cache an answer the server itself considers stale.",
        replace(
            "app/services/cache.py",
            '        return None if body is None else Entry(body, "STALE", 0)\n',
            '        return None if body is None else Entry(body, "STALE", self._ttl)\n',
        ),
        catches=["http_caching::stale_max_age_zero"],
        rules=["R7.1", "R8.6"],
    ),
    blind(
        "if-none-match-strong-comparison",
        'The learner compares each listed tag to the ETag with plain string equality, so a weak W/"x" validator sent by a client or proxy never matches.',
        replace(
            "app/api/http_cache.py",
            '    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))\n',
            '    return any(tag.strip() == etag for tag in header.split(","))\n',
        ),
        catches=["http_caching::if_none_match_forms"],
        rules=["R8.8"],
    ),
    blind(
        "if-none-match-single-tag-only",
        "The learner handles W/ and * but treats the header as one tag, so a client sending several cached tags never gets a 304.",
        replace(
            "app/api/http_cache.py",
            '    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))\n',
            '    return header.strip().removeprefix("W/") == etag\n',
        ),
        catches=["http_caching::if_none_match_forms"],
        rules=["R8.8"],
    ),
    blind(
        "not-modified-without-headers",
        "A 304 has no body, so the learner returns a bare Response(status_code=304) and drops the validator and freshness headers with it.",
        replace(
            "app/api/http_cache.py",
            "        return Response(status_code=304, headers=headers)\n",
            "        return Response(status_code=304)\n",
        ),
        catches=["http_caching::conditional_get_304"],
        rules=["R8.7"],
    ),
    blind(
        "cache-stores-normalized-json",
        "The learner re-serialises the upstream JSON before storing it (json.dumps adds spaces), so a HIT serves different bytes than the MISS and gets a different ETag for the same data.",
        replace("app/services/cache.py", "import asyncio\n", "import asyncio\nimport json\n"),
        replace(
            "app/services/cache.py",
            '            pipe.set(f"cache:{name}", body, ex=self._ttl)\n',
            '            pipe.set(f"cache:{name}", json.dumps(json.loads(body)), ex=self._ttl)\n',
        ),
        catches=["cache_aside::fresh_copy_in_redis"],
        rules=["R4.1"],
    ),
    blind(
        "lock-kept-after-failed-fetch",
        "The learner releases the fetch lock after a successful fetch but not in a finally block, so an upstream failure leaves the key locked until the lock expires and the next burst all fetch on their own.",
        replace(
            "app/services/cache.py",
            '            try:\n                # The previous holder may have stored the value between our read and our lock.\n                return await self._fresh(name) or await self._fetch(name, fetch)\n            finally:\n                await self._safe(self._release(keys=[f"lock:{name}"], args=[token]), None)\n',
            '            # The previous holder may have stored the value between our read and our lock.\n            entry = await self._fresh(name) or await self._fetch(name, fetch)\n            await self._safe(self._release(keys=[f"lock:{name}"], args=[token]), None)\n            return entry\n',
        ),
        catches=["stampede::protection_survives_failure"],
        rules=["R5.2"],
    ),
    blind(
        "lock-set-without-nx",
        "The learner writes SET lock:<key> <token> PX <ms> but forgets NX, so every concurrent request 'acquires' the lock and calls the upstream.",
        replace(
            "app/services/cache.py",
            'self._redis.set(f"lock:{name}", token, nx=True, px=self._lock_ms)',
            'self._redis.set(f"lock:{name}", token, px=self._lock_ms)',
        ),
        catches=["stampede::cold_key_burst"],
        rules=["R5.1"],
    ),
    blind(
        "upstream-timeout-per-phase-only",
        "The learner relies on httpx's timeout alone, which bounds each read rather than the whole call, so an upstream that trickles its answer is never cut off.",
        replace(
            "app/services/upstream.py",
            "            async with asyncio.timeout(self._timeout):\n                response = await self._client.request(method, path, **kwargs)\n",
            "            response = await self._client.request(method, path, **kwargs)\n",
        ),
        catches=["upstream_failure::trickling_body_504"],
        rules=["R7.5"],
    ),
    blind(
        "invalidate-crashes-without-redis",
        "The learner guards every cache read against Redis errors but calls DELETE directly on the write path, so writes fail with 500 when Redis is down.",
        replace(
            "app/services/cache.py",
            "        await self._safe(self._redis.delete(*keys), 0)\n",
            "        await self._redis.delete(*keys)\n",
        ),
        catches=["redis_down::writes_without_redis"],
        rules=["R10.3"],
    ),
    blind(
        "retry-after-rounded-down",
        "The learner converts the microseconds until the oldest request leaves the window with int() instead of ceil(), so a client that waits Retry-After seconds comes back slightly too early.",
        replace(
            "app/services/rate_limit.py",
            "max(1, math.ceil(wait_us / 1_000_000))",
            "max(1, int(wait_us / 1_000_000))",
        ),
        catches=["rate_limit::client_gets_back_in"],
        rules=["R9.9", "R9.10"],
    ),
    blind(
        "limiter-counts-rejected-requests",
        "The learner records the request in the sorted set before checking the count, so rejected requests also fill the window and a client that keeps retrying stays locked out.",
        replace(
            "app/services/rate_limit.py",
            "local count = redis.call('ZCARD', key)\nif count < limit then\n  redis.call('ZADD', key, now, ARGV[3])\n",
            "redis.call('ZADD', key, now, ARGV[3])\nlocal count = redis.call('ZCARD', key) - 1\nif count < limit then\n",
        ),
        # the log's expiry is refreshed by accepted requests only: it empties itself Retry-After seconds later,
        # so the client does get back in; the window that slides one request at a time shows the bug
        catches=["rate_limit::window_slides"],
        rules=["R9.1"],
    ),
    blind(
        "remaining-counts-before-this-request",
        "The learner reports limit minus the count read before adding the current request, an off-by-one that says 5 remaining after the first request.",
        replace(
            "app/services/rate_limit.py",
            "  return {1, limit - count - 1, 0}\n",
            "  return {1, limit - count, 0}\n",
        ),
        catches=["rate_limit::ratelimit_headers"],
        rules=["R9.8"],
    ),
    blind(
        "limiter-key-expiry-wrong-unit",
        "Mixing microseconds, milliseconds and seconds, the learner divides the window by a million before PEXPIRE, so the client's log expires after 2 ms and the window forgets almost everything.",
        replace(
            "app/services/rate_limit.py",
            "  redis.call('PEXPIRE', key, math.ceil(window / 1000))\n",
            "  redis.call('PEXPIRE', key, math.ceil(window / 1000000))\n",
        ),
        catches=["rate_limit::limit_then_429"],
        rules=["R9.5"],
    ),
    blind(
        "limiter-only-counts-gets",
        "The learner thinks the limiter protects the cached read path and lets PUTs through unthrottled and uncounted.",
        replace(
            "app/middleware/rate_limit.py",
            '        if scope["type"] != "http" or not scope["path"].startswith(LIMITED_PREFIXES):\n',
            '        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith(LIMITED_PREFIXES):\n',
        ),
        catches=["rate_limit::budget_spans_paths_and_methods"],
        rules=["R9.1"],
    ),
    blind(
        "ratelimit-headers-only-on-200",
        "The learner adds the RateLimit-* headers only to successful responses, so accepted requests answered 404/503/304 lack them.",
        replace(
            "app/middleware/rate_limit.py",
            '            if message["type"] == "http.response.start":\n',
            '            if message["type"] == "http.response.start" and message["status"] == 200:\n',
        ),
        catches=["rate_limit::budget_spans_paths_and_methods"],
        rules=["R9.8"],
    ),
    blind(
        "limiter-check-then-add-not-atomic",
        "The learner implements the sliding log with separate ZREMRANGEBYSCORE/ZCARD/ZADD round trips instead of one script, so concurrent requests on two instances both read 'under the limit' and both get in.",
        replace(
            "app/services/rate_limit.py",
            "        self._limit = limit\n",
            "        self._redis = redis\n        self._limit = limit\n",
        ),
        replace(
            "app/services/rate_limit.py",
            "            allowed, remaining, wait_us = await self._script(\n                keys=[key], args=[self._limit, self._window_us, secrets.token_hex(8)]\n            )\n",
            '            now_s, now_us = await self._redis.time()\n            now = now_s * 1_000_000 + now_us\n            await self._redis.zremrangebyscore(key, "-inf", now - self._window_us)\n            count = await self._redis.zcard(key)\n            if count < self._limit:\n                await self._redis.zadd(key, {secrets.token_hex(8): now})\n                await self._redis.pexpire(key, math.ceil(self._window_us / 1000))\n                allowed, remaining, wait_us = 1, self._limit - count - 1, 0\n            else:\n                oldest = await self._redis.zrange(key, 0, 0, withscores=True)\n                allowed, remaining, wait_us = 0, 0, oldest[0][1] + self._window_us - now\n',
        ),
        catches=["rate_limit::concurrent_burst"],
        rules=["R9.7"],
    ),
]

# -- blind, R7.7 bad upstream answers and R3.8 no internals (issue 23); 6/7 caught before: put-answer-parsed-directly escaped, bad_answer_502 now gives the write every kind of bad answer
MUTANTS += [
    blind(
        "get-answer-not-validated",
        "Only the PUT path parses the upstream answer (it needs the category); GET passes the bytes through unchecked, so a 200 with a non-JSON or non-object body is cached and served as 200 instead of 502.",
        replace(
            UPSTREAM,
            "        json_object(response, path)\n        return response.content",
            "        return response.content",
        ),
        catches=["upstream_failure::bad_answer_502"],
        rules=["R7.7"],
    ),
    blind(
        "json-array-accepted",
        "The learner thinks the category endpoint returns a list, so the shape check accepts JSON arrays too: an upstream 200 whose body is a JSON array is cached and served with 200 instead of 502.",
        replace(
            UPSTREAM,
            "    if not isinstance(data, dict):",
            "    if not isinstance(data, (dict, list)):",
        ),
        catches=["upstream_failure::bad_answer_502"],
        rules=["R7.7"],
    ),
    blind(
        "bad-answer-plain-exception",
        "The new exception for bad answers subclasses Exception instead of UpstreamFailed, so no upstream handler catches it and the catch-all answers 500 instead of 502.",
        replace(
            UPSTREAM,
            "class UpstreamBadAnswer(UpstreamFailed):",
            "class UpstreamBadAnswer(Exception):",
        ),
        catches=["upstream_failure::bad_answer_502"],
        rules=["R7.7"],
    ),
    blind(
        "bad-answer-502-without-no-store",
        "The 502 branch added for bad answers returns its own response early and forgets the Cache-Control: no-store header the other failure answers carry.",
        replace(
            ERRORS,
            "    if isinstance(exc, UpstreamTimedOut):\n        status, detail = 504,",
            '    if isinstance(exc, UpstreamBadAnswer):\n        return JSONResponse({"detail": "bad gateway"}, status_code=502)\n    if isinstance(exc, UpstreamTimedOut):\n        status, detail = 504,',
        ),
        catches=["upstream_failure::bad_answer_502"],
        rules=["R7.7"],
    ),
    blind(
        "put-answer-parsed-directly",
        "The PUT path calls response.json() directly instead of the validating helper, so a non-JSON or non-object 200 to a PUT raises ValueError/AttributeError and answers 500 instead of 502.",
        replace(
            UPSTREAM,
            'category = json_object(response, path).get("category")',
            'category = response.json().get("category")',
        ),
        catches=["upstream_failure::bad_answer_502"],
        rules=["R7.7"],
    ),
    blind(
        "unavailable-detail-includes-exception",
        "To be 'helpful' the 503 detail appends the exception text, leaking 'upstream answered 500' or the httpx connection error to the client.",
        replace(
            ERRORS,
            'status, detail = 503, "the catalog is unavailable"',
            'status, detail = 503, f"the catalog is unavailable: {exc}"',
        ),
        catches=["upstream_failure::unreachable_503"],
        rules=["R3.8"],
    ),
    blind(
        "bad-answer-detail-echoes-upstream-body",
        "The bad-answer exception carries a snippet of the upstream's body for debugging and the 502 handler uses str(exc) as the detail, so the upstream's own answer reaches the client.",
        replace(
            UPSTREAM,
            'raise UpstreamBadAnswer(f"{path}: the answer is not JSON") from exc',
            'raise UpstreamBadAnswer(f"the answer is not JSON: {response.text[:200]!r}") from exc',
        ),
        replace(
            ERRORS,
            'status, detail = 502, "the catalog sent an answer this service cannot use"',
            "status, detail = 502, str(exc)",
        ),
        catches=["upstream_failure::bad_answer_502"],
        rules=["R3.8"],
    ),
]
