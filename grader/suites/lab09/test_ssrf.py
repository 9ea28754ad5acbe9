"""Server-side request forgery (OWASP A10:2021 SSRF, API7:2023)"""

import httpx
from lab09_kit import ALLOWED_PAGE, INTERNAL_SECRET, Upstreams, register, token

from grader.checks import check, describe, expect, expect_status, json_body
from grader.stub import StubResponse

METADATA = "/internal/metadata"


def _import(api: httpx.Client, url: str) -> httpx.Response:
    return api.post("/api/notes/import", json={"url": url, "title": f"import {token(3)}"})


def _expect_refused(
    api: httpx.Client, urls: list[str], *, leaks: tuple[str, ...], upstreams: Upstreams
) -> None:
    """Each URL answers 400 before any connection: nothing leaks, the internal server sees no request."""
    for url in urls:
        upstreams.internal.reset()
        response = _import(api, url)
        leaked = [leak for leak in leaks if leak in response.text]
        expect(
            not leaked,
            f"{describe(response)} with url {url!r} fetched something it must not: {leaked[0]!r}"
            if leaked
            else "",
            expected="400, nothing fetched",
            actual=response.text[:100],
            response=response,
        )
        expect(
            upstreams.internal.count() == 0,
            f"{describe(response)} with url {url!r} made a request to the internal server.",
            expected="no connection to anything outside FETCH_ALLOWED_ORIGINS",
            actual=f"{upstreams.internal.count()} request(s)",
            response=response,
        )
        expect(
            response.status_code == 400,
            f"{describe(response)} with url {url!r} answered {response.status_code}.",
            expected="400 (refused before connecting)",
            actual=str(response.status_code),
            response=response,
        )


def _leaks(lab) -> tuple[str, ...]:
    return (lab.app.env["METADATA_TOKEN"], INTERNAL_SECRET, "root:x:0:0")


@check(
    "A note is imported from an allowed URL",
    points=2,
    hint='POST /api/notes/import {"url": ...} fetches the URL when its host:port is listed in '
    "FETCH_ALLOWED_ORIGINS and answers 201 with the new note, whose body is the page's text.",
)
def test_import_from_allowed_origin(api, upstreams):
    register(api)
    response = _import(api, f"http://{upstreams.allowed_origin}/page.txt")
    expect_status(response, 201)
    note = json_body(response)
    expect(
        ALLOWED_PAGE in str(note.get("body")),
        f"{describe(response)}: the note's body should be the page.",
        expected=ALLOWED_PAGE,
        actual=str(note.get("body"))[:80],
        response=response,
    )


@check(
    "A redirect within the allowed origin is followed",
    points=1,
    needs=["import_from_allowed_origin"],
    hint="Follow up to 3 redirects yourself, checking each new URL against FETCH_ALLOWED_ORIGINS "
    "before connecting to it.",
)
def test_allowed_redirect_followed(api, upstreams):
    register(api)
    response = _import(api, f"http://{upstreams.allowed_origin}/hop")
    expect_status(response, 201)
    expect(
        ALLOWED_PAGE in str(json_body(response).get("body")),
        f"{describe(response)}: /hop redirects to /page.txt on the same allowed origin.",
        expected=ALLOWED_PAGE,
        response=response,
    )


@check(
    "A host:port that is not listed is refused",
    points=3,
    needs=["import_from_allowed_origin"],
    hint="The rule is an allowlist of exact host:port pairs: the same host on another port is another "
    "service (a database, an admin panel). Compare host and port, refuse with 400.",
)
def test_other_origin_refused(api, upstreams, lab):
    register(api)
    _expect_refused(
        api,
        [f"http://{upstreams.internal_origin}/secret", f"https://{upstreams.internal_origin}/secret"],
        leaks=_leaks(lab),
        upstreams=upstreams,
    )


@check(
    "The app's own internal endpoint cannot be fetched",
    points=3,
    needs=["import_from_allowed_origin"],
    hint="http://127.0.0.1:<the app's port>/internal/metadata is what an attacker asks for first: the app "
    "trusts itself. It is not in the list: 400.",
)
def test_own_port_refused(api, upstreams, lab, app):
    register(api)
    port = app.own_port
    _expect_refused(
        api,
        [f"http://127.0.0.1:{port}{METADATA}", f"http://localhost:{port}{METADATA}"],
        leaks=_leaks(lab),
        upstreams=upstreams,
    )


@check(
    "Other spellings of 127.0.0.1 are refused",
    points=3,
    needs=["own_port_refused"],
    hint="2130706433, 0x7f000001, 0177.0.0.1, 127.1 and [::ffff:127.0.0.1] all mean 127.0.0.1 to the "
    "resolver. A blocklist of strings never ends; an exact allowlist does not care.",
)
def test_loopback_spellings_refused(api, upstreams, lab, app):
    register(api)
    port = app.own_port
    hosts = [
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "127.1",
        "0x7f.0.0.1",
        "127.000.000.001",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[::1]",
        "LOCALHOST",
        "localhost.",
        "127.0.0.1.",
    ]
    _expect_refused(
        api, [f"http://{host}:{port}{METADATA}" for host in hosts], leaks=_leaks(lab), upstreams=upstreams
    )


@check(
    "Credentials and fragments in the URL do not fool the check",
    points=2,
    needs=["import_from_allowed_origin"],
    hint="In http://allowed@other/ the host is 'other': parse the URL and compare its host and port, "
    "never test the URL as a string (startswith, in).",
)
def test_url_tricks_refused(api, upstreams, lab):
    register(api)
    allowed, internal = upstreams.allowed_origin, upstreams.internal_origin
    urls = [
        f"http://{allowed}@{internal}/secret",
        f"http://user:pass@{internal}/secret",
        f"http://{internal}/secret?next=http://{allowed}/",
        f"http://{internal}/secret#{allowed}",
        f"http://{internal}/{allowed}/secret",
        f"http://{allowed}\\@{internal}/secret",
    ]
    _expect_refused(api, urls, leaks=_leaks(lab), upstreams=upstreams)


@check(
    "Redirects from an allowed site to anywhere else are refused",
    points=3,
    needs=["allowed_redirect_followed"],
    hint="An allowed site may redirect: a library that follows redirects by itself never asks you. Turn "
    "automatic redirects off and check every Location before connecting to it.",
)
def test_redirect_to_internal_refused(api, upstreams, lab, app):
    register(api)
    port = app.own_port
    targets = {
        "/r/internal": f"http://{upstreams.internal_origin}/secret",
        "/r/self": f"http://127.0.0.1:{port}{METADATA}",
        "/r/decimal": f"http://2130706433:{port}{METADATA}",
        "/r/chain": "/r/internal",
        "/r/file": "file:///etc/passwd",
    }
    for path, location in targets.items():
        upstreams.allowed.route("GET", path, lambda _, location=location: StubResponse.redirect(location))
    upstreams.allowed.route("GET", "/r/307", lambda _: StubResponse.redirect(targets["/r/internal"], 307))
    urls = [f"http://{upstreams.allowed_origin}{path}" for path in [*targets, "/r/307"]]
    _expect_refused(api, urls, leaks=_leaks(lab), upstreams=upstreams)


@check(
    "Only http and https URLs are fetched",
    points=2,
    needs=["import_from_allowed_origin"],
    hint="URL openers speak more than HTTP: file:// reads the app's own disk. Check the scheme first.",
)
def test_non_http_schemes_refused(api, upstreams, lab):
    register(api)
    allowed = upstreams.allowed_origin
    urls = [
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        f"//{upstreams.internal_origin}/x",
        "/etc/passwd",
        f"gopher://{allowed}/_GET%20/page.txt",
        f"dict://{allowed}/info",
    ]
    _expect_refused(api, urls, leaks=(*_leaks(lab), ALLOWED_PAGE), upstreams=upstreams)
