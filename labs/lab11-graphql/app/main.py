"""The app: POST and GET /graphql (Strawberry), GET /health, on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from app import db
from app.schema import schema


class GraphQLApp(GraphQL):
    async def get_context(self, request: Request, response: Response) -> dict[str, Any]:  # type: ignore[override]
        # TODO: the viewer the bearer token names, and this request's DataLoaders
        return {}


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    await db.connect()
    yield
    await db.close()


app = Starlette(
    routes=[Route("/health", health), Route("/graphql", GraphQLApp(schema), methods=["GET", "POST"])],
    lifespan=lifespan,
)
