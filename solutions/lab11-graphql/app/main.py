"""The app: POST and GET /graphql, subscriptions over WebSocket (Strawberry), GET /health, on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL

from app import db
from app.schema import schema, to_int


class GraphQLApp(GraphQL):
    async def get_context(self, request: Request, response: Response) -> dict[str, Any]:  # type: ignore[override]
        loaders = db.Loaders()
        return {"viewer": await viewer(request, loaders), "loaders": loaders}


async def viewer(request: Request, loaders: db.Loaders) -> int | None:
    """The author the bearer token names (the token is the author's id), or None."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    author_id = to_int(token.strip()) if scheme.lower() == "bearer" else None
    if author_id is None:
        return None
    return author_id if await loaders.author.load(author_id) is not None else None


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    await db.connect()
    yield
    await db.close()


graphql = GraphQLApp(schema)
app = Starlette(
    routes=[
        Route("/health", health),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),  # subscriptions: graphql-transport-ws
    ],
    lifespan=lifespan,
)
