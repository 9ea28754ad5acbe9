"""lab11 with Ariadne: the contract's SDL, bound resolvers, batching loaders, a depth rule."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from ariadne import format_error, make_executable_schema
from ariadne.asgi import GraphQL
from ariadne.asgi.handlers import GraphQLTransportWSHandler
from graphql import FieldNode, FragmentSpreadNode, GraphQLError, Node, ValidationRule
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from app import db
from app.batch import Loader
from app.resolvers import BINDABLES, number, with_ids

DEPTH_MAX = 8
ALIASES_MAX = 20
schema = make_executable_schema((Path(__file__).parent / "schema.graphql").read_text(), *BINDABLES)


class DepthLimit(ValidationRule):
    """Levels of fields, the root field being 1; introspection fields (and what they hold) are free."""

    def enter_operation_definition(self, operation: Node, *_: Any) -> None:
        fragments = {
            f.name.value: f for f in self.context.document.definitions if f.kind == "fragment_definition"
        }

        def depth(selection_set: Any, seen: frozenset[str]) -> int:
            deepest = 0
            for selection in selection_set.selections if selection_set else ():
                if isinstance(selection, FieldNode):
                    if selection.name.value.startswith("__"):
                        continue
                    deepest = max(deepest, 1 + depth(selection.selection_set, seen))
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    if name in fragments and name not in seen:
                        deepest = max(deepest, depth(fragments[name].selection_set, seen | {name}))
                else:
                    deepest = max(deepest, depth(selection.selection_set, seen))
            return deepest

        if depth(operation.selection_set, frozenset()) > DEPTH_MAX:  # type: ignore[attr-defined]
            self.report_error(
                GraphQLError(f"The query is deeper than the maximum depth of {DEPTH_MAX}.", operation)
            )


class AliasLimit(ValidationRule):
    """Aliases of every operation, each fragment counted where it is spread."""

    def enter_document(self, document: Node, *_: Any) -> None:
        definitions = self.context.document.definitions
        fragments = {f.name.value: f for f in definitions if f.kind == "fragment_definition"}

        def count(selection_set: Any, seen: frozenset[str]) -> int:
            total = 0
            for selection in selection_set.selections if selection_set else ():
                if isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    if name in fragments and name not in seen:
                        total += count(fragments[name].selection_set, seen | {name})
                    continue
                if isinstance(selection, FieldNode) and selection.alias is not None:
                    total += 1
                total += count(selection.selection_set, seen)
            return total

        found = sum(
            count(d.selection_set, frozenset()) for d in definitions if d.kind == "operation_definition"
        )
        if found > ALIASES_MAX:
            self.report_error(GraphQLError(f"Too many aliases: {found}, at most {ALIASES_MAX}."))


def formatter(error: GraphQLError, debug: bool = False) -> dict[str, Any]:
    if error.original_error is not None and not isinstance(error.original_error, GraphQLError):
        masked = {"message": "Internal server error", "locations": error.formatted.get("locations")}
        return {**masked, "path": error.path} if error.path else masked
    return format_error(error, debug=False)


async def load_authors(ids: list[int]) -> list[dict[str, Any] | None]:
    found = {r["id"]: with_ids(r) for r in await db.rows("SELECT * FROM authors WHERE id = ANY(%s)", ids)}
    return [found.get(i) for i in ids]


async def load_books_by_author(ids: list[int]) -> list[list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in await db.rows("SELECT * FROM books WHERE author_id = ANY(%s) ORDER BY id DESC", ids):
        grouped[r["author_id"]].append(with_ids(r))
    return [grouped[i] for i in ids]


async def context(request: Request, data: Any) -> dict[str, Any]:
    authors = Loader(load_authors)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    key = number(token.strip()) if scheme == "Bearer" else None
    viewer = str(key) if key is not None and await authors.load(key) is not None else None
    return {"viewer": viewer, "authors": authors, "books_by_author": Loader(load_books_by_author)}


async def health(request: Request) -> Response:
    return JSONResponse({"ok": True})


@asynccontextmanager
async def lifespan(_: Starlette) -> AsyncIterator[None]:
    await db.open_db()
    yield
    await db.close_db()


graphql = GraphQL(
    schema,
    context_value=context,
    execute_get_queries=True,
    websocket_handler=GraphQLTransportWSHandler(),
    validation_rules=[DepthLimit, AliasLimit],
    error_formatter=formatter,
)
app = Starlette(
    routes=[
        Route("/health", health),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
    ],
    lifespan=lifespan,
)
