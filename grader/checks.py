"""What a suite writes: `@check(...)` on each test, and expectations that fail in one clear sentence."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any, NoReturn, TypeVar

import httpx
import pytest

F = TypeVar("F", bound=Callable[..., Any])


class CheckFailed(AssertionError):
    """A check's verdict: what was expected, what came back, and the response that showed it."""

    def __init__(
        self,
        message: str,
        *,
        expected: object = None,
        actual: object = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.expected = None if expected is None else str(expected)
        self.actual = None if actual is None else str(actual)
        self.response = response


def check(
    title: str,
    *,
    points: float,
    hint: str,
    needs: str | Iterable[str] = (),
    budget: float | None = None,
    extra: bool = False,
) -> Callable[[F], F]:
    """Declare a check: its title in the report, its points, a hint for when it fails.

    needs: ids of earlier checks that must pass first (else this one is skipped and says why).
    budget: seconds for this check, instead of the manifest's [limits] check.
    extra: extra credit, counted on top of the maximum score.
    """
    if points <= 0:
        raise ValueError(f"check {title!r}: points must be positive")
    if not hint.strip():
        raise ValueError(f"check {title!r}: every check needs a hint")
    wanted = (needs,) if isinstance(needs, str) else tuple(needs)
    marker = pytest.mark.check(
        title=title, points=points, hint=hint, needs=wanted, budget=budget, extra=extra
    )

    def decorate(function: F) -> F:
        return marker(function)

    return decorate


def describe(response: httpx.Response) -> str:
    """`POST /v1/books` for messages: the request that produced this response."""
    request = response.request
    target = request.url.raw_path.decode("ascii", "replace")
    return f"{request.method} {target}"


def fail(
    message: str, *, expected: object = None, actual: object = None, response: httpx.Response | None = None
) -> NoReturn:
    raise CheckFailed(message, expected=expected, actual=actual, response=response)


def expect(
    condition: object,
    message: str,
    *,
    expected: object = None,
    actual: object = None,
    response: httpx.Response | None = None,
) -> None:
    if not condition:
        fail(message, expected=expected, actual=actual, response=response)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def expect_status(response: httpx.Response, *codes: int) -> httpx.Response:
    """The response has one of `codes`; otherwise say which request got what instead."""
    if response.status_code in codes:
        return response
    wanted = " or ".join(str(code) for code in codes)
    fail(
        f"{describe(response)}: expected status {wanted}, got {response.status_code}.",
        expected=wanted,
        actual=str(response.status_code),
        response=response,
    )


def expect_header(
    response: httpx.Response,
    name: str,
    *,
    equals: str | None = None,
    contains: str | None = None,
    matches: str | None = None,
) -> str:
    """The header is present (and equals / contains / matches); returns its value."""
    value = response.headers.get(name)
    if value is None:
        fail(f"{describe(response)}: the answer has no {name} header.", expected=name, response=response)
    if equals is not None and value != equals:
        fail(
            f"{describe(response)}: expected {name}: {equals}, got {name}: {value}.",
            expected=equals,
            actual=value,
            response=response,
        )
    if contains is not None and contains.lower() not in value.lower():
        fail(
            f"{describe(response)}: expected {name} to contain {contains!r}, got {value!r}.",
            expected=contains,
            actual=value,
            response=response,
        )
    if matches is not None and not re.search(matches, value):
        fail(
            f"{describe(response)}: {name}: {value!r} does not have the expected form.",
            expected=f"matching {matches}",
            actual=value,
            response=response,
        )
    return value


def json_body(response: httpx.Response) -> Any:
    """The response body parsed as JSON; a clear failure when it is not JSON."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        fail(
            f"{describe(response)}: expected a JSON body, got {_short(response.text, 80)!r}.",
            expected="JSON",
            actual=response.headers.get("content-type", "no content type"),
            response=response,
        )
