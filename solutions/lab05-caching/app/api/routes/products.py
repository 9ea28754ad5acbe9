from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from app.api.deps import CacheDep, Slug, UpstreamDep
from app.api.http_cache import cached_response

router = APIRouter(prefix="/products", tags=["products"])


class ProductUpdate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    price: float = Field(ge=0)


@router.get("/{product_id}")
async def read_product(
    product_id: Slug, request: Request, cache: CacheDep, upstream: UpstreamDep
) -> Response:
    entry = await cache.get_or_fetch(f"product:{product_id}", lambda: upstream.get(f"/products/{product_id}"))
    return cached_response(request, entry)


@router.put("/{product_id}")
async def update_product(
    product_id: Slug, update: ProductUpdate, cache: CacheDep, upstream: UpstreamDep
) -> Response:
    body, category = await upstream.put_product(f"/products/{product_id}", update.model_dump())
    # Invalidate after the upstream confirmed the write, and exactly what it changed:
    # the product itself and the list of its category.
    await cache.invalidate(f"product:{product_id}", f"category:{category}")
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})
