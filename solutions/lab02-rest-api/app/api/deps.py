"""Typed dependencies shared by the routes."""

from typing import Annotated, Literal

from fastapi import Depends, Query, Request

from app.core.problems import Problem
from app.store import Store, get_store

StoreDep = Annotated[Store, Depends(get_store)]


def api_version(request: Request) -> int:
    """The same routers are mounted under /v1 and /v2; the prefix picks the representation."""
    return 2 if request.url.path.startswith("/v2/") else 1


ApiVersion = Annotated[int, Depends(api_version)]


class PageParams:
    def __init__(
        self,
        page: Annotated[int, Query(ge=1)] = 1,
        per_page: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> None:
        self.page = page
        self.per_page = per_page


Paging = Annotated[PageParams, Depends()]
BookSort = Literal["id", "-id", "title", "-title", "year", "-year"]

JSON_TYPES = {"application/json", "application/merge-patch+json"}


def require_json(request: Request) -> None:
    """Bodies must say they are JSON (415 otherwise). FastAPI would parse a body with no
    Content-Type as JSON anyway, and treat any other type as a validation error."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    allowed = JSON_TYPES if request.method == "PATCH" else {"application/json"}
    if media_type not in allowed:
        raise Problem(
            415,
            f"send the body as {' or '.join(sorted(allowed))}, not {media_type or 'no Content-Type'}",
            kind="unsupported-media-type",
        )


JsonBody = Depends(require_json)
