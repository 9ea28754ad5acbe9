from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from redis.asyncio import Redis

from app.api import errors
from app.api.routes import categories, health, products
from app.core.config import get_settings
from app.middleware.rate_limit import RateLimitMiddleware
from app.services.cache import Cache
from app.services.rate_limit import RateLimiter
from app.services.upstream import Upstream


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    # No ping here: the app must start, and serve uncached, while Redis is down. Short timeouts keep
    # a Redis that hangs from stalling requests.
    redis = Redis.from_url(settings.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
    app.state.upstream = Upstream(settings.upstream_url, settings.upstream_timeout_seconds)
    app.state.cache = Cache(
        redis,
        ttl=settings.cache_ttl_seconds,
        stale=settings.cache_stale_seconds,
        upstream_timeout=settings.upstream_timeout_seconds,
    )
    app.state.limiter = RateLimiter(
        redis, limit=settings.rate_limit, window_seconds=settings.rate_window_seconds
    )
    yield
    await app.state.upstream.aclose()
    await redis.aclose()


app = FastAPI(title="Lab 05: caching and rate limiting", lifespan=lifespan)
app.add_middleware(RateLimitMiddleware)
errors.register(app)
app.include_router(health.router)
app.include_router(products.router)
app.include_router(categories.router)
