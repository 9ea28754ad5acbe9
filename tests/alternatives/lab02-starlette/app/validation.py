"""Hand-written validation: each field has a small checker that returns the clean value or raises."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

ISBN = re.compile(r"[0-9]{13}", re.ASCII)


class Invalid(ValueError):
    pass


Checker = Callable[[Any], Any]


def text(min_len: int, max_len: int) -> Checker:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid("must be a string")
        value = value.strip()
        if not min_len <= len(value) <= max_len:  # len() counts code points, not bytes
            raise Invalid(f"must be {min_len} to {max_len} characters long")
        return value

    return check


def integer(low: int, high: int) -> Checker:
    def check(value: Any) -> int:
        if type(value) is not int:  # bool is a subclass of int; floats are not integers here
            raise Invalid("must be an integer")
        if not low <= value <= high:
            raise Invalid(f"must be between {low} and {high}")
        return value

    return check


def isbn(value: Any) -> str:
    if not isinstance(value, str) or not ISBN.fullmatch(value.strip()):
        raise Invalid("must be 13 digits")
    return value.strip()


AUTHOR: dict[str, Checker] = {"name": text(1, 100)}
BOOK: dict[str, Checker] = {
    "title": text(1, 200),
    "isbn": isbn,
    "year": integer(1, 2100),
    "author_id": integer(1, 2**63 - 1),
}


def validate(
    body: dict[str, Any], schema: dict[str, Checker], *, partial: bool
) -> tuple[dict[str, Any], list]:
    """Clean values and a list of {field, message}; `partial` (PATCH) allows missing fields, not nulls."""
    clean: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for name in body:
        if name not in schema:
            errors.append({"field": name, "message": "unknown field"})
    for name, checker in schema.items():
        if name not in body:
            if not partial:
                errors.append({"field": name, "message": "is required"})
            continue
        if body[name] is None:
            errors.append({"field": name, "message": "must not be null"})
            continue
        try:
            clean[name] = checker(body[name])
        except Invalid as exc:
            errors.append({"field": name, "message": str(exc)})
    return clean, errors


INT_PARAM = re.compile(r"-?[0-9]{1,18}", re.ASCII)
SORTS = {"id", "-id", "title", "-title", "year", "-year"}


def query(params: Any, *, filters: bool) -> tuple[dict[str, Any], list]:
    """page, per_page and (for books) author_id, year and sort from a query string."""
    out: dict[str, Any] = {"page": 1, "per_page": 20, "author_id": None, "year": None, "sort": "id"}
    errors: list[dict[str, str]] = []
    bounds = {"page": (1, 10**9), "per_page": (1, 100)}
    if filters:
        bounds |= {"author_id": (-(10**18), 10**18), "year": (-(10**18), 10**18)}
    for name, (low, high) in bounds.items():
        raw = params.get(name)
        if raw is None:
            continue
        if not INT_PARAM.fullmatch(raw) or not low <= int(raw) <= high:
            errors.append({"field": name, "message": f"must be an integer from {low} to {high}"})
        else:
            out[name] = int(raw)
    if filters and "sort" in params:
        if params["sort"] not in SORTS:
            errors.append({"field": "sort", "message": "must be one of " + ", ".join(sorted(SORTS))})
        else:
            out["sort"] = params["sort"]
    return out, errors
