"""What a suite writes: `@check(...)` on each test, and expectations that fail in one clear sentence."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any, NoReturn, TypeVar, cast

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


class SetupFailed(CheckFailed):
    """The check could not even set up its scenario (test data refused, a method it relies on missing).

    The report blames that request, not the rule the check was about to prove: `cause` names the root
    cause in a few words (checks with the same cause are shown together), `hint` replaces the check's
    own hint, which would be about a rule that was never tested.
    """

    def __init__(
        self,
        message: str,
        *,
        cause: str,
        hint: str | None = None,
        expected: object = None,
        actual: object = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message, expected=expected, actual=actual, response=response)
        self.cause = cause
        self.hint = hint


def check(
    title: str,
    *,
    points: float,
    hint: str,
    needs: str | Iterable[str] = (),
    budget: float | None = None,
    extra: bool = False,
    rules: Iterable[str] = (),
    alone: bool = False,
) -> Callable[[F], F]:
    """Declare a check: its title in the report, its points, a hint for when it fails.

    needs: ids of earlier checks without which this one cannot run meaningfully (else it is skipped
        and says which failure it waits for). Not for ordering: checks are independent by default.
    budget: seconds for this check, instead of the manifest's [limits] check.
    extra: extra credit, reported apart from the required score.
    rules: ids of the contract rules this check proves (`R3.2`, as tagged in the lab's README).
    alone: the check cannot share the app with other checks (it restarts it, exhausts a global budget,
        stops a service, or measures timing that concurrency would disturb): it runs by itself.
    """
    if points <= 0:
        raise ValueError(f"check {title!r}: points must be positive")
    if not hint.strip():
        raise ValueError(f"check {title!r}: every check needs a hint")
    wanted = (needs,) if isinstance(needs, str) else tuple(needs)
    proven = (rules,) if isinstance(rules, str) else tuple(rules)
    marker = pytest.mark.check(
        title=title,
        points=points,
        hint=hint,
        needs=wanted,
        budget=budget,
        extra=extra,
        rules=proven,
        alone=alone,
    )

    def decorate(function: F) -> F:
        return cast(F, marker(function))

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


def setup_failed(
    message: str,
    *,
    cause: str,
    hint: str | None = None,
    expected: object = None,
    actual: object = None,
    response: httpx.Response | None = None,
) -> NoReturn:
    """The scenario could not be prepared: blame `cause` (e.g. "POST /v1/books answered 500")."""
    raise SetupFailed(message, cause=cause, hint=hint, expected=expected, actual=actual, response=response)


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


def _route(response: httpx.Response) -> str:
    """`PATCH /v1/books/{id}`: the request with ids and keys generalised, so causes group across checks."""
    path = response.request.url.path
    path = re.sub(r"/(\d+|[0-9a-f]{8}-[0-9a-f-]{27}|[0-9a-f]{16,})(?=/|$)", "/{id}", path)
    return f"{response.request.method} {path}"


def require_status(
    response: httpx.Response, *codes: int, purpose: str, hint: str | None = None
) -> httpx.Response:
    """Like expect_status, for a request that only prepares the check's scenario: a wrong answer is
    reported as that request's failure ("could not create a book: POST /v1/books answered 500")."""
    if response.status_code in codes:
        return response
    wanted = " or ".join(str(code) for code in codes)
    cause = f"{_route(response)} answered {response.status_code}"
    setup_failed(
        f"could not {purpose}: {describe(response)} answered {response.status_code}, not {wanted}.",
        cause=cause,
        hint=hint
        or f"This check needs {_route(response)} to answer {wanted} first; "
        "the checks about that request say what is wrong.",
        expected=wanted,
        actual=f"{response.status_code} {_short(response.text, 120)}",
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
    value: str | None = response.headers.get(name)
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


def kind_of(value: object) -> str:
    """A JSON value with its type, as a message says it: `the string "1979"`, `the number 1979`, `null`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {json.dumps(value)}"
    if isinstance(value, int | float):
        return f"the number {json.dumps(value)}"
    if isinstance(value, str):
        return f"the string {_short(json.dumps(value, ensure_ascii=False), 80)}"
    if isinstance(value, list):
        return f"an array of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    return repr(value)


def expect_value(
    name: str, got: object, wanted: object, *, where: str = "", response: httpx.Response | None = None
) -> None:
    """`got == wanted`, or a failure that names both types when they differ:
    `year is the string "1979"; expected the number 1979`."""
    if got == wanted and type(got) is type(wanted):
        return
    fail(
        f"{where + ': ' if where else ''}{name} is {kind_of(got)}; expected {kind_of(wanted)}.",
        expected=json.dumps(wanted, ensure_ascii=False),
        actual=json.dumps(got, ensure_ascii=False, default=repr),
        response=response,
    )
