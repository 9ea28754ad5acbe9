"""Server-side request forgery (OWASP A10:2021 SSRF, API7:2023)"""

import httpx
from lab09_kit import ALLOWED_PAGE, BIG_PAGE, IMPORT_LIMIT, INTERNAL_SECRET, Upstreams, register, token

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
    rules=["R4.11"],
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
    rules=["R4.13"],
    needs=["import_from_allowed_origin"],
    hint="Follow up to 3 redirects yourself, checking each new URL against FETCH_ALLOWED_ORIGINS "
    "before connecting to it.",
)
def test_allowed_redirect_followed(api, upstreams):
    register(api)
    # one redirect, then three in a row (/hop3 -> /hop2 -> /hop -> /page.txt): the contract follows up to 3
    for path in ("/hop", "/hop3"):
        response = _import(api, f"http://{upstreams.allowed_origin}{path}")
        expect_status(response, 201)
        expect(
            ALLOWED_PAGE in str(json_body(response).get("body")),
            f"{describe(response)}: {path} redirects to /page.txt on the same allowed origin.",
            expected=ALLOWED_PAGE,
            response=response,
        )


@check(
    "A host:port that is not listed is refused",
    points=3,
    rules=["R4.12"],
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
    rules=["R4.12"],
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
    rules=["R4.12"],
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
    rules=["R4.12"],
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
    rules=["R4.13"],
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
    rules=["R4.12"],
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


@check(
    "A page longer than 64 KiB is imported cut at 64 KiB",
    points=1,
    rules=["R4.11"],
    needs=["import_from_allowed_origin"],
    hint="Read at most 64 KiB of the page and keep only that much: a read loop that stops once the limit "
    "is passed still holds the chunk that went past it.",
)
def test_import_body_capped(api, upstreams):
    register(api)
    response = _import(api, f"http://{upstreams.allowed_origin}/big.txt")
    expect_status(response, 201)
    body = str(json_body(response).get("body"))
    size = len(body.encode())
    expect(
        body.startswith("head of the big page 5c1a"),
        f"{describe(response)}: the note should hold the start of the page.",
        expected="head of the big page 5c1a…",
        actual=body[:60],
        response=response,
    )
    expect(
        size <= IMPORT_LIMIT and "tail past the limit" not in body,
        f"{describe(response)}: the page is {len(BIG_PAGE.encode())} bytes; the note kept {size}.",
        expected=f"at most {IMPORT_LIMIT} bytes (64 KiB)",
        actual=f"{size} bytes",
        response=response,
    )


@check(
    "An allowed page that answers an error gives 502",
    points=1,
    rules=["R4.14"],
    needs=["import_from_allowed_origin"],
    hint="An allowed URL that does not answer 200 (404, 500) is the upstream's failure: 502 Bad Gateway, "
    "no note created.",
)
def test_upstream_failure_502(api, upstreams):
    register(api)
    word = token()
    for path in ("/missing.txt", "/broken.txt"):
        response = api.post(
            "/api/notes/import", json={"url": f"http://{upstreams.allowed_origin}{path}", "title": word}
        )
        expect(
            response.status_code == 502,
            f"{describe(response)} for a page that answers {path[1:-4]} answered {response.status_code}.",
            expected="502",
            actual=str(response.status_code),
            response=response,
        )
    notes = api.get("/api/notes", params={"q": word})
    expect(
        notes.status_code == 200 and json_body(notes) == [],
        f"{describe(notes)}: a failed import created a note.",
        expected="[]",
        actual=notes.text[:120],
        response=notes,
    )
