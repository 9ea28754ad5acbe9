"""Resources"""

from __future__ import annotations

from lab01_kit import HOST, expect_body, expect_status, expect_text, get, request

from grader.checks import check


@check(
    "GET /health and GET /hello answer 200 with their exact bodies",
    points=1,
    hint="The body is exactly `Hello, world!\\n` (14 bytes, newline included), framed by Content-Length.",
    rules=["R1.1"],
)
def test_hello(raw):
    conn = raw()
    for target, body in (("/health", b"ok\n"), ("/hello", b"Hello, world!\n")):
        response = expect_status(conn, get(conn, target), 200)
        expect_body(conn, response, body)


@check(
    "GET /echo/{text} answers the text percent-decoded as UTF-8, '+' kept, the query string dropped",
    points=2,
    hint="Decode %XX escapes to bytes, then the bytes as UTF-8 (urllib.parse.unquote_to_bytes). '+' means "
    "a space only in form-encoded query strings, never in a path; the path ends at the first '?'.",
    rules=["R1.2"],
)
def test_echo_decodes(raw):
    conn = raw()
    cases = [
        ("/echo/caf%C3%A9%20au%20lait", "café au lait"),
        ("/echo/a+b%2Fc?x=1&y=%41", "a+b/c"),
        ("/echo/%e2%82%ac", "€"),
        ("/echo/why%3F?x=1?y=2", "why?"),  # the query starts at the first raw '?', after decoding no more
    ]
    for target, text in cases:
        response = expect_status(conn, get(conn, target), 200)
        expect_body(conn, response, text.encode())


@check(
    "GET /headers/{name} finds a header whatever the case of either name, its value trimmed",
    points=2,
    hint="Compare header names case-insensitively (store them lower-cased); strip spaces and tabs "
    "around the value.",
    rules=["R1.3", "R2.3"],
)
def test_header_lookup(raw):
    conn = raw()
    conn.send(request("/headers/x-LAB-token", headers=HOST + b"X-Lab-Token: \t abc def \t\r\n"))
    expect_body(conn, expect_status(conn, conn.response(), 200), b"abc def")


@check(
    "a header sent on several lines answers its values joined with ', ' in order; a missing one 404",
    points=2,
    hint="Keep every header line (a list of pairs, not a dict that keeps the last one), then join the "
    "values of one name with ', ' in the order they came.",
    rules=["R1.3"],
)
def test_repeated_header(raw):
    conn = raw()
    headers = HOST + b"X-Tag: one\r\nAccept: */*\r\nx-tag: two\r\nX-TAG: three\r\n"
    conn.send(request("/headers/X-Tag", headers=headers))
    expect_body(conn, expect_status(conn, conn.response(), 200), b"one, two, three")
    expect_status(conn, get(conn, "/headers/x-not-sent"), 404)


@check(
    "GET /chunked/{n} over HTTP/1.1 answers one chunk per line with Transfer-Encoding: chunked",
    points=2,
    hint="Send `Transfer-Encoding: chunked` (and no Content-Length), then each line as `<hex size>\\r\\n"
    "<data>\\r\\n`, and end with `0\\r\\n\\r\\n`.",
    rules=["R1.4"],
)
def test_chunked_resource(raw):
    conn = raw()
    # n = 100 is the upper bound, and its last line is 10 bytes: hex `a`, not decimal `10`
    response = expect_status(conn, get(conn, "/chunked/100"), 200)
    expected = [f"chunk {i}\n".encode() for i in range(1, 101)]
    if response.framing != "chunked" or response.header("content-length") is not None:
        conn.fail("the answer was not chunked", expected="Transfer-Encoding: chunked, no Content-Length")
    if response.chunks != expected:
        conn.fail(
            f"{len(response.chunks)} chunks, starting {response.chunks[:3]!r}",
            expected="100 chunks, one per line: chunk 1 … chunk 100",
        )


@check(
    "GET /chunked/{n} over HTTP/1.0 answers the same body with Content-Length, not chunked",
    points=2,
    hint="HTTP/1.0 clients do not know the chunked coding: look at the request's version before "
    "choosing how to frame the answer.",
    rules=["R1.4"],
)
def test_chunked_resource_http10(raw):
    conn = raw()
    response = expect_status(conn, get(conn, "/chunked/3", version="1.0", headers=b""), 200)
    if response.header("transfer-encoding") is not None or response.framing != "length":
        conn.fail("an HTTP/1.0 client got a chunked (or unframed) answer", expected="Content-Length")
    expect_body(conn, response, b"chunk 1\nchunk 2\nchunk 3\n")


@check(
    "POST /echo answers exactly the bytes of the body, as application/octet-stream",
    points=2,
    hint="Keep the body as bytes (no decoding, no stripping): CR, LF, NUL and bytes above 0x7f included.",
    rules=["R1.5"],
)
def test_post_echo(raw):
    conn = raw()
    body = b"\x00binary\r\n\r\nnot a header\xff\xfe "
    response = expect_status(conn, get(conn, "/echo", method="POST", body=body), 200)
    expect_body(conn, response, body)
    content_type = (response.header("content-type") or "").lower()
    if content_type.split(";")[0].strip() != "application/octet-stream":
        conn.fail(f"Content-Type was {content_type!r}", expected="application/octet-stream")


@check(
    "an unknown path answers 404, as text",
    points=1,
    hint="Anything that is not a resource of the contract answers 404 (and keeps the connection).",
    rules=["R1.6"],
)
def test_unknown_path(raw):
    conn = raw()
    for target in ("/nope", "/hello/world", "/echoes"):
        response = expect_status(conn, get(conn, target), 404)
    expect_text(conn, response)


@check(
    "a known path with another method answers 405 with an Allow header",
    points=2,
    hint="405 says the resource exists but not for this method; `Allow` lists what it serves "
    "(`GET, HEAD`, or `POST` for /echo).",
    rules=["R1.6"],
)
def test_wrong_method(raw):
    conn = raw()
    cases = [
        ("DELETE", "/hello", {"GET", "HEAD"}),
        ("POST", "/echo/x", {"GET", "HEAD"}),
        ("GET", "/echo", {"POST"}),
    ]
    for method, target, allowed in cases:
        body = b"" if method == "POST" else None
        response = expect_status(conn, get(conn, target, method=method, body=body), 405)
        allow = {m.strip().upper() for m in (response.header("allow") or "").split(",") if m.strip()}
        if allow != allowed:
            conn.fail(f"{method} {target}: Allow was {response.header('allow')!r}", expected=allowed)
