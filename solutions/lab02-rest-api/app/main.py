"""The library API: authors and books, in memory, served as /v1 and /v2."""

from fastapi import APIRouter, FastAPI

from app.api.routes import authors, books
from app.core import problems
from app.core.bodylimit import BodyLimitMiddleware
from app.core.config import get_settings
from app.core.idempotency import IdempotencyMiddleware
from app.core.ratelimit import RateLimitMiddleware
from app.core.responses import JSONResponse

settings = get_settings()

app = FastAPI(title="Library API", default_response_class=JSONResponse)
problems.install(app)

api = APIRouter()
api.include_router(authors.router)
api.include_router(books.router)
app.include_router(api, prefix="/v1")
app.include_router(api, prefix="/v2")

# The last middleware added runs first: the limiter counts every request, replays and 413s included;
# the body is capped before the idempotency middleware reads it.
app.add_middleware(IdempotencyMiddleware, ttl=settings.idempotency_ttl_seconds)
app.add_middleware(BodyLimitMiddleware)
app.add_middleware(RateLimitMiddleware, limit=settings.rate_limit, window=settings.rate_window_seconds)


@app.get("/health", include_in_schema=False)
async def health() -> dict[str, str]:
    return {"status": "ok"}
