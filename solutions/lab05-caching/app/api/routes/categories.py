from fastapi import APIRouter, Request, Response

from app.api.deps import CacheDep, Slug, UpstreamDep
from app.api.http_cache import cached_response

router = APIRouter(prefix="/categories", tags=["categories"])


@router.get("/{category}/products")
async def list_products(category: Slug, request: Request, cache: CacheDep, upstream: UpstreamDep) -> Response:
    path = f"/categories/{category}/products"
    entry = await cache.get_or_fetch(f"category:{category}", lambda: upstream.get(path))
    return cached_response(request, entry)
