"""Error handling (OWASP A05:2021 Security Misconfiguration)"""

import re

import httpx
from lab09_kit import token

from grader.checks import check, describe, expect

# What a stack trace, a database error or a debug page shows; none of it belongs in an answer.
LEAKS = [
    (re.compile(r"Traceback \(most recent call last\)"), "a Python traceback"),
    (re.compile(r'File "[^"]+", line \d+'), "a source file and line"),
    (re.compile(r"\bpsycopg|\bsqlalchemy|\bpsycopg2|\basyncpg", re.IGNORECASE), "the database driver's name"),
    (re.compile(r"PostgreSQL|syntax error at or near|\bLINE \d+:", re.IGNORECASE), "a database error"),
    (re.compile(r"\bSELECT\b[^\n]{0,200}\bFROM\b|\bINSERT INTO\b|\bUPDATE \w+ SET\b"), "an SQL statement"),
    (re.compile(r"\b\w+(?:Error|Exception|Violation)\b"), "an exception class"),
    (re.compile(r"/site-packages/|\.py\b"), "a file path"),
]
GENERIC = {"Internal Server Error"}  # a status phrase, not a leak


def _leak(response: httpx.Response) -> str | None:
    text = response.text
    for phrase in GENERIC:
        text = text.replace(phrase, "")
    for pattern, what in LEAKS:
        if match := pattern.search(text):
            return f"{what} ({match.group(0)[:60]!r})"
    return None


def _expect_quiet(responses: list[httpx.Response]) -> None:
    for response in responses:
        leak = _leak(response)
        expect(
            leak is None,
            f"{describe(response)} answered {response.status_code} with {leak}.",
            expected="a short generic message; the details go to the log",
            actual=response.text[:120],
            response=response,
        )


def _once(new_api, method: str, path: str, **kwargs) -> httpx.Response:
    """One request on its own connection: some servers close the connection after a crash."""
    client = new_api()
    if method == "POST":
        client.post("/api/register", json={"username": f"errors_{token()}", "password": "error-check-1"})
    return client.request(method, path, **kwargs)


@check(
    "API errors do not show stack traces, SQL or exception messages",
    points=2,
    rules=["R7.6"],
    hint='Turn debug off and answer unexpected errors with a generic 500 ({"detail": "Internal Server '
    'Error"}); log the exception on the server. A NUL byte in a search is a classic crash.',
)
def test_api_errors_quiet(new_api):
    _expect_quiet(
        [
            _once(new_api, "GET", "/api/notes", params={"q": "\x00"}),
            _once(new_api, "GET", "/api/notes", params={"q": "'"}),
            _once(new_api, "POST", "/api/notes", json={"title": "nul \x00 title", "body": "x"}),
            _once(new_api, "POST", "/api/login", json={"username": "\x00", "password": "x"}),
        ]
    )


@check(
    "Error pages do not show stack traces, SQL or exception messages",
    points=2,
    rules=["R7.6"],
    hint="The HTML side needs the same: a plain error page for every unexpected exception, "
    "never the debugger's page.",
)
def test_html_errors_quiet(new_api):
    html = {"Accept": "text/html"}
    _expect_quiet(
        [
            _once(new_api, "GET", "/search", params={"q": "\x00"}, headers=html),
            _once(new_api, "GET", "/search", params={"q": "'"}, headers=html),
            _once(new_api, "GET", "/search", params={"q": "%' AND 1/0 = 1 --"}, headers=html),
        ]
    )
