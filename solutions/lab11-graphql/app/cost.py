"""The cost of a document (contract R7.4), measured before anything runs, and the limit (R7.5)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInt,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
    value_from_ast,
)
from strawberry.extensions import SchemaExtension

MAX_COST = 2000
PAGE_DEFAULT = 10  # books without `first`, and every list without a `first` argument
PAGE_MAX = 50
LISTS = {("Author", "books"), ("Query", "search")}


def document_cost(schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any]) -> int:
    """The cost of every operation of the document, each fragment counted where it is spread."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    total = 0
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        values = {
            d.variable.name.value: value_from_ast(d.default_value, GraphQLInt)
            for d in operation.variable_definitions or ()
            if d.default_value is not None
        }
        values.update(variables)
        root = {
            OperationType.QUERY: schema.query_type,
            OperationType.MUTATION: schema.mutation_type,
            OperationType.SUBSCRIPTION: schema.subscription_type,
        }[operation.operation]
        if root is not None:
            total += _selection_cost(schema, root, operation.selection_set, fragments, values, frozenset())
    return total


def _fields(
    schema: GraphQLSchema,
    parent: GraphQLNamedType,
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: frozenset[str],
) -> Iterator[tuple[GraphQLNamedType, FieldNode, frozenset[str]]]:
    """The fields of a selection set with the type that holds them, fragments spread where they are."""
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            yield parent, selection, seen
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                owner = schema.get_type(fragment.type_condition.name.value) or parent
                yield from _fields(schema, owner, fragment.selection_set, fragments, seen | {name})
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            owner = (schema.get_type(condition.name.value) if condition else None) or parent
            yield from _fields(schema, owner, selection.selection_set, fragments, seen)


def _selection_cost(
    schema: GraphQLSchema,
    parent: GraphQLNamedType,
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    seen: frozenset[str],
) -> int:
    total = 0
    for owner, field, spread in _fields(schema, parent, selection_set, fragments, seen):
        name = field.name.value
        if name.startswith("__"):  # introspection, and what it holds, is free
            continue
        definition = getattr(owner, "fields", {}).get(name)
        if definition is None:
            continue  # an unknown field: validation reports it
        inner = _selection_cost(
            schema, get_named_type(definition.type), field.selection_set, fragments, variables, spread
        )
        total += 1 + multiplier(owner.name, field, variables) * inner
    return total


def multiplier(owner: str, field: FieldNode, variables: Mapping[str, Any]) -> int:
    """How many times a field's selection counts: `first` of Query.books, 10 for the other lists."""
    if (owner, field.name.value) in LISTS:
        return PAGE_DEFAULT
    if (owner, field.name.value) != ("Query", "books"):
        return 1
    first = next((a.value for a in field.arguments or () if a.name.value == "first"), None)
    value = value_from_ast(first, GraphQLInt, dict(variables)) if first is not None else None
    if not isinstance(value, int):
        return PAGE_DEFAULT
    return min(max(value, 1), PAGE_MAX)


def cost_rule(variables: Mapping[str, Any]) -> type[ValidationRule]:
    class CostLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            cost = document_cost(context.schema, context.document, variables)
            if cost > MAX_COST:
                context.report_error(
                    GraphQLError(
                        f"The query costs {cost}, more than the maximum of {MAX_COST}.",
                        extensions={"code": "QUERY_TOO_COMPLEX"},
                    )
                )

    return CostLimit


class CostLimiter(SchemaExtension):
    """Adds the cost rule, which needs the request's variables, to the validation of each operation."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        variables = context.variables if isinstance(context.variables, dict) else {}
        context.validation_rules = (*context.validation_rules, cost_rule(variables))
        yield
