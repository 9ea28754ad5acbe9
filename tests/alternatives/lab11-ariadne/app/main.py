"""lab11 with Ariadne: the contract's SDL, bound resolvers, batching loaders, depth, alias and cost rules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

from ariadne import format_error, make_executable_schema
from ariadne.asgi import GraphQL
from ariadne.asgi.handlers import GraphQLTransportWSHandler
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInt,
    InlineFragmentNode,
    Node,
    ValidationRule,
    VariableNode,
    get_named_type,
    value_from_ast,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from app import db
from app.batch import Loader
from app.resolvers import BINDABLES, number, with_ids

DEPTH_MAX = 8
ALIASES_MAX = 20
COST_MAX = 2000
PAGE_DEFAULT = 10  # Query.books without `first`
PAGE_MAX = 50
LISTS = {("Author", "books"): PAGE_DEFAULT, ("Query", "search"): PAGE_DEFAULT}
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


class CostLimit(ValidationRule):
    """The cost of the document's operations (each fragment where it is spread, `__` fields free): a field
    is 1 plus its multiplier times what it selects; refused over COST_MAX. `variables` is the request's."""

    variables: ClassVar[Mapping[str, Any]] = MappingProxyType({})

    def enter_document(self, document: Node, *_: Any) -> None:
        schema = self.context.schema
        definitions = self.context.document.definitions
        fragments = {f.name.value: f for f in definitions if isinstance(f, FragmentDefinitionNode)}

        def page(field: FieldNode, defaults: dict[str, Any]) -> int:
            given = next((a.value for a in field.arguments or () if a.name.value == "first"), None)
            if isinstance(given, VariableNode):
                name = given.name.value
                value = self.variables.get(name, defaults.get(name))
            else:
                value = value_from_ast(given, GraphQLInt) if given is not None else None
            return min(max(value, 1), PAGE_MAX) if isinstance(value, int) else PAGE_DEFAULT

        def cost(type_name: str, selection_set: Any, seen: frozenset[str], defaults: dict[str, Any]) -> int:
            total = 0
            for selection in selection_set.selections if selection_set else ():
                if isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    if name in fragments and name not in seen:
                        fragment = fragments[name]
                        on = fragment.type_condition.name.value
                        total += cost(on, fragment.selection_set, seen | {name}, defaults)
                elif isinstance(selection, InlineFragmentNode):
                    on = selection.type_condition.name.value if selection.type_condition else type_name
                    total += cost(on, selection.selection_set, seen, defaults)
                elif isinstance(selection, FieldNode) and not selection.name.value.startswith("__"):
                    owner = schema.get_type(type_name)
                    definition = getattr(owner, "fields", {}).get(selection.name.value)
                    if definition is None:
                        continue
                    key = (type_name, selection.name.value)
                    times = page(selection, defaults) if key == ("Query", "books") else LISTS.get(key, 1)
                    inner = cost(
                        get_named_type(definition.type).name, selection.selection_set, seen, defaults
                    )
                    total += 1 + times * inner
            return total

        found = 0
        for operation in definitions:
            if operation.kind != "operation_definition":
                continue
            root = schema.get_root_type(operation.operation)  # type: ignore[attr-defined]
            defaults = {
                v.variable.name.value: value_from_ast(v.default_value, GraphQLInt)
                for v in operation.variable_definitions or ()  # type: ignore[attr-defined]
                if v.default_value is not None
            }
            if root is not None:
                found += cost(root.name, operation.selection_set, frozenset(), defaults)  # type: ignore[attr-defined]
        if found > COST_MAX:
            self.report_error(
                GraphQLError(
                    f"Query too complex: it costs {found}, at most {COST_MAX}.",
                    extensions={"code": "QUERY_TOO_COMPLEX"},
                )
            )


def validation_rules(_: Any, __: Any, data: dict[str, Any]) -> list[type[ValidationRule]]:
    """The depth, alias and cost rules; the cost rule is made for the request's variables."""
    variables = data.get("variables") if isinstance(data, dict) else None
    cost = type(
        "RequestCostLimit", (CostLimit,), {"variables": variables if isinstance(variables, dict) else {}}
    )
    return [DepthLimit, AliasLimit, cost]


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
    validation_rules=validation_rules,
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
