"""Security headers and cookies (OWASP A05:2021 Security Misconfiguration)"""

import re

import httpx
from lab09_kit import cookie_attributes, csp_directives, register, session_cookie_lines

from grader.checks import check, describe, expect

SAFE_REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
ONE_YEAR = 31_536_000


def _responses(api: httpx.Client) -> list[httpx.Response]:
    """Pages, API answers, a file, an error: the headers belong on every one of them."""
    register(api)
    paths = [
        "/",
        "/login",
        "/api/me",
        "/api/notes?q=x",
        "/files/download?name=welcome.txt",
        "/no-such-page-lab09",
        "/api/notes/999999999",
    ]
    return [api.get(path) for path in paths] + [
        api.post("/api/login", json={"username": "nobody", "password": "x"})
    ]


def _each(api: httpx.Client, name: str, problem) -> None:
    for response in _responses(api):
        value = response.headers.get(name)
        reason = f"no {name} header" if value is None else problem(value)
        expect(
            reason is None,
            f"{describe(response)} ({response.status_code}): {reason}.",
            expected=f"{name} on every response",
            actual=f"{name}: {value}" if value else "absent",
            response=response,
        )


@check(
    "Strict-Transport-Security on every response, for at least a year",
    points=2,
    rules=["R7.3"],
    hint="HSTS tells browsers to use HTTPS only, for max-age seconds: at least 31536000. Set it in one "
    "place that sees every response (a middleware), errors and API answers included.",
)
def test_hsts(api):
    def problem(value: str) -> str | None:
        match = re.search(r"(?i)max-age\s*=\s*\"?(\d+)", value)
        if not match:
            return "it has no max-age"
        return None if int(match[1]) >= ONE_YEAR else f"max-age={match[1]} is less than a year"

    _each(api, "Strict-Transport-Security", problem)


@check(
    "X-Content-Type-Options: nosniff on every response",
    points=2,
    rules=["R7.4"],
    hint="Without nosniff a browser may guess that a text file or JSON answer is HTML and run it.",
)
def test_nosniff(api):
    _each(
        api,
        "X-Content-Type-Options",
        lambda v: None if v.strip().lower() == "nosniff" else "it is not nosniff",
    )


@check(
    "Framing is refused: CSP frame-ancestors 'none' (or 'self')",
    points=2,
    rules=["R7.2"],
    hint="Clickjacking puts your page in an invisible frame over a bait page. The CSP directive "
    "frame-ancestors says who may frame you; it does not fall back to default-src.",
)
def test_frame_ancestors(api):
    def problem(value: str) -> str | None:
        ancestors = csp_directives(value).get("frame-ancestors")
        if ancestors is None:
            return "the Content-Security-Policy has no frame-ancestors"
        return None if ancestors in (["'none'"], ["'self'"]) else f"frame-ancestors {' '.join(ancestors)}"

    _each(api, "Content-Security-Policy", problem)


@check(
    "A Referrer-Policy that keeps URLs on this site",
    points=1,
    rules=["R7.5"],
    hint="URLs can carry private things (search terms, ids): no-referrer, same-origin, strict-origin "
    "or strict-origin-when-cross-origin keep them from other sites.",
)
def test_referrer_policy(api):
    def problem(value: str) -> str | None:
        chosen = [token.strip().lower() for token in value.split(",") if token.strip()]
        return None if chosen and chosen[-1] in SAFE_REFERRER_POLICIES else f"{value!r} leaks URLs"

    _each(api, "Referrer-Policy", problem)


@check(
    "The session cookie is HttpOnly and Secure",
    points=3,
    rules=["R3.17"],
    hint="HttpOnly keeps the cookie away from JavaScript (an XSS cannot steal it); Secure keeps it off "
    "plain HTTP, wherever the session cookie is set (register, API login, form login). Browsers treat "
    "http://localhost as secure, so Secure cookies work in development.",
)
def test_session_cookie_flags(api, new_api):
    for response, cookie in session_cookie_lines(api, new_api):
        attributes = {attribute.split("=")[0] for attribute in cookie_attributes(cookie)}
        missing = [flag for flag in ("httponly", "secure") if flag not in attributes]
        expect(
            not missing,
            f"{describe(response)}: the session cookie {cookie.split('=')[0]} lacks {' and '.join(missing)}.",
            expected="HttpOnly; Secure",
            actual=cookie[:160],
            response=response,
        )
