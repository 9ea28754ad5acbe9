"""Lab 05 starter: a correct but naive proxy in front of a slow catalog service.

Every read goes to the catalog, nothing is cached, nothing is limited, and a hanging catalog hangs
this app too. The README's contract says what to build; the TODOs say where.
"""

from typing import Annotated

from fastapi import FastAPI, Path, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.catalog import NotFound, call

app = FastAPI(title="Lab 05: caching and rate limiting")

# TODO (contract, "Rate limiting"): count every /products and /categories request per client in
# Redis (a sliding window shared by all instances), answer 429 with Retry-After when over the
# limit, and add the RateLimit-* headers. A middleware is a natural place for it.
# TODO (contract, "When Redis is down"): create the Redis client here (REDIS_URL) but never let a
# Redis error stop the app from starting or answering.

Slug = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class ProductUpdate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    price: float = Field(ge=0)


@app.exception_handler(NotFound)
async def not_found(request: object, exc: NotFound) -> JSONResponse:
    return JSONResponse({"detail": "not found"}, status_code=404)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/products/{product_id}")
async def read_product(product_id: Slug) -> Response:
    # TODO (contract, "Cache-aside in Redis"): answer from cache:product:{id} when it exists;
    # otherwise fetch, then store the fresh copy (TTL CACHE_TTL_SECONDS) and the stale copy.
    # TODO (contract, "Stampede protection"): many concurrent misses for one key, one catalog call.
    # TODO (contract, "HTTP caching headers"): X-Cache, ETag, Cache-Control, If-None-Match -> 304.
    body = await call("GET", f"/products/{product_id}")
    return Response(body, media_type="application/json")


@app.get("/categories/{category}/products")
async def list_products(category: Slug) -> Response:
    # TODO: the same cache-aside as products, entry name category:{category}.
    body = await call("GET", f"/categories/{category}/products")
    return Response(body, media_type="application/json")


@app.put("/products/{product_id}")
async def update_product(product_id: Slug, update: ProductUpdate) -> Response:
    body = await call("PUT", f"/products/{product_id}", json=update.model_dump())
    # TODO (contract, "Invalidation on writes"): the cached copies of this product and of its
    # category's list are now wrong. Drop (or replace) exactly those, and nothing else.
    return Response(body, media_type="application/json")
