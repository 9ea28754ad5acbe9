"""Helpers of the lab02 suite: test data, problem details, links, client identities."""

from __future__ import annotations

import itertools
import random
import re
import uuid
from typing import Any
from urllib.parse import urljoin

import httpx

from grader.checks import describe, expect, expect_status, fail, json_body

_isbns = itertools.count(random.randrange(10**9, 9 * 10**9))  # a fresh range per run: no clashes
TRACE_MARKERS = ("Traceback (most recent call last)", 'File "/', '.py", line ', "pydantic_core", "starlette/")


def new_isbn() -> str:
    """A 13-digit ISBN no other check uses (the contract checks digits, not the check digit)."""
    return f"978{next(_isbns):010d}"


def new_client_id(purpose: str = "check") -> str:
    return f"grader-{purpose}-{uuid.uuid4().hex[:12]}"


def media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def charset(response: httpx.Response) -> str | None:
    for param in response.headers.get("content-type", "").split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def expect_no_trace(response: httpx.Response) -> None:
    text = response.text
    for marker in TRACE_MARKERS:
        if marker in text:
            fail(
                f"{describe(response)}: the answer leaks internals ({marker!r}).",
                expected="no stack trace in the answer",
                actual=text[:160],
                response=response,
            )


def expect_problem(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    """One of `statuses`, as RFC 9457 problem details: type, title, status, detail; no trace."""
    expect_status(response, *statuses)
    expect_no_trace(response)
    expect(
        media_type(response) == "application/problem+json",
        f"{describe(response)}: an error should be application/problem+json.",
        expected="Content-Type: application/problem+json; charset=utf-8",
        actual=f"Content-Type: {response.headers.get('content-type', '(none)')}",
        response=response,
    )
    body = json_body(response)
    expect(isinstance(body, dict), f"{describe(response)}: a problem is a JSON object.", response=response)
    missing = [name for name in ("type", "title", "status", "detail") if name not in body]
    expect(
        not missing,
        f"{describe(response)}: the problem lacks {', '.join(missing)}.",
        expected="type, title, status, detail",
        actual=", ".join(sorted(body)) or "an empty object",
        response=response,
    )
    for name in ("type", "title", "detail"):
        expect(
            isinstance(body[name], str) and (name == "detail" or body[name]),
            f"{describe(response)}: the problem's {name} should be a string.",
            actual=repr(body[name])[:60],
            response=response,
        )
    expect(
        type(body["status"]) is int and body["status"] == response.status_code,
        f"{describe(response)}: the problem's status should be the HTTP status as an integer.",
        expected=response.status_code,
        actual=repr(body["status"]),
        response=response,
    )
    return body


def error_fields(response: httpx.Response) -> set[str]:
    """The `field` of every entry in a 422 problem's `errors` (empty set when there are none)."""
    try:
        body = response.json()
    except ValueError:
        return set()
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return set()
    return {str(e.get("field")) for e in errors if isinstance(e, dict)}


def expect_field_error(response: httpx.Response, field: str, what: str) -> None:
    """A 422 whose errors name `field`; `what` says what was wrong with the request."""
    expect_status(response, 422)
    fields = error_fields(response)
    expect(
        field in fields,
        f"{describe(response)} with {what}: the 422 should name the field {field!r} in its errors.",
        expected=f'errors: [{{"field": "{field}", "message": "..."}}]',
        actual=f"fields named: {sorted(fields)}" if fields else response.text[:160],
        response=response,
    )


def next_link(response: httpx.Response) -> str | None:
    """The target of the Link header's rel="next" (RFC 8288), resolved against the request URL."""
    header = response.headers.get("link")
    if not header:
        return None
    for target, params in re.findall(r"<([^>]*)>\s*((?:;[^,<]*)*)", header):
        rels = re.findall(r';\s*rel\s*=\s*"?([^";]+)"?', params, flags=re.IGNORECASE)
        if any("next" in rel.lower().split() for rel in rels):
            return urljoin(str(response.request.url), target)
    return None


def resolve(response: httpx.Response, reference: str) -> str:
    return urljoin(str(response.request.url), reference)


def path_of(url: str) -> str:
    return httpx.URL(url).path


def json_object(response: httpx.Response) -> dict[str, Any]:
    body = json_body(response)
    expect(
        isinstance(body, dict),
        f"{describe(response)}: expected a JSON object.",
        actual=str(body)[:80],
        response=response,
    )
    return body


def items_of(response: httpx.Response) -> list[dict[str, Any]]:
    """The `items` of a page (a failure that says so when the envelope is not there)."""
    body = json_object(response)
    items = body.get("items")
    expect(
        isinstance(items, list),
        f"{describe(response)}: a list answers an object with an `items` array.",
        expected='{"items": [...], "page": 1, "per_page": 20, "total": ..., "next": ...}',
        actual=str(body)[:120],
        response=response,
    )
    return items
