"""Typed dependencies: the shared clients live on app.state, created once in the lifespan."""

from typing import Annotated

from fastapi import Depends, Path, Request

from app.services.cache import Cache
from app.services.upstream import Upstream


def get_cache(request: Request) -> Cache:
    return request.app.state.cache


def get_upstream(request: Request) -> Upstream:
    return request.app.state.upstream


CacheDep = Annotated[Cache, Depends(get_cache)]
UpstreamDep = Annotated[Upstream, Depends(get_upstream)]
# Ids end up inside Redis keys and upstream paths: keep them to a safe alphabet.
Slug = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
