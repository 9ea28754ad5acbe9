"""Static files"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

from lab01_kit import HOST, IMF_FIXDATE, date_of, expect_body, expect_status, expect_text, get

from grader.checks import check
from grader.rawhttp import RawConnection, RawResponse

# The files the kit ships in public/ (labs/lab01-http/public): path -> (size, sha256, Content-Type).
# Kept here, not read from the submission: a server that serves the wrong bytes cannot vouch for them.
FILES = {
    "hello.txt": (
        52,
        "bfc4381eadc81b424e4656f0c5c1d3a78074ce71da46b0ba16f4439256502818",
        "text/plain; charset=utf-8",
    ),
    "index.html": (
        424,
        "eccbbc73190552a09394abd5c683f04df6d332aa5a39ddfa078aac7b1c572219",
        "text/html; charset=utf-8",
    ),
    "style.css": (
        121,
        "bc6966631db6916bc649882e6c43cb0534c9a3144839bf6bafbdbf0e2ba03a55",
        "text/css; charset=utf-8",
    ),
    "meta.json": (29, "0efc7686f335685e2da9fc5413cca5a7ed4ca58cbf0649a37cc33405c314576f", "application/json"),
    "logo.png": (7028, "d32fc653f71722db8d1ee40386ec5529c5f2515635376947f4ecb944d1e9d071", "image/png"),
    "data.bin": (
        516,
        "e769d5c944934e86d10035cf3933725be7b2f8d8c7921bc56eec0d5f4a1ada37",
        "application/octet-stream",
    ),
    "docs/guide.txt": (
        77,
        "df02ce857918b0b7774063850a3d652ee58e4e93043bcde4b4237faa746f3422",
        "text/plain; charset=utf-8",
    ),
    "docs/read me.txt": (
        48,
        "8fbff163249a65f4d98b0555dd27abada7fb43f5537c535aaf25967cfa603a8f",
        "text/plain; charset=utf-8",
    ),
}
STRONG_TAG = re.compile(r'"[\x21\x23-\x7e\x80-\xff]*"')
RANGED = "logo.png"  # binary, a few KB: ranges are checked on it


def target(path: str) -> str:
    return "/static/" + path.replace(" ", "%20")


def fetch(conn: RawConnection, path: str, extra: bytes = b"", method: str = "GET") -> RawResponse:
    return get(conn, target(path), method=method, headers=HOST + extra)


def expect_file(conn: RawConnection, response: RawResponse, path: str) -> bytes:
    """A 200 whose body is exactly the shipped file `path`."""
    expect_status(conn, response, 200)
    size, digest, _ = FILES[path]
    if len(response.body) != size or hashlib.sha256(response.body).hexdigest() != digest:
        conn.fail(
            f"the body of {target(path)} was {len(response.body)} bytes, not the file's",
            expected=f"the {size} bytes of public/{path} as the kit ships it",
        )
    return response.body


def etag_of(conn: RawConnection, response: RawResponse) -> str:
    tag = response.header("etag")
    if tag is None or not STRONG_TAG.fullmatch(tag):
        conn.fail(
            f"ETag was {tag!r}", expected='a strong entity tag: a quoted string such as "5d41402a", no W/'
        )
    return tag


def last_modified(conn: RawConnection, response: RawResponse) -> datetime:
    value = response.header("last-modified")
    if value is None or not IMF_FIXDATE.fullmatch(value):
        conn.fail(f"Last-Modified was {value!r}", expected="IMF-fixdate, e.g. Sun, 06 Nov 1994 08:49:37 GMT")
    return parsedate_to_datetime(value).astimezone(UTC)


def expect_304(conn: RawConnection, response: RawResponse, tag: str, why: str) -> None:
    """A 304 with the file's ETag and no body: the next answer on the connection must start cleanly."""
    if response.status != 304:
        conn.fail(f"{why}: the answer was {response.status_line}", expected="304 Not Modified")
    if response.header("etag") != tag:
        conn.fail(f"{why}: the 304's ETag was {response.header('etag')!r}", expected=tag)
    if response.header("last-modified") is None:
        conn.fail(f"{why}: the 304 had no Last-Modified", expected="the file's Last-Modified")
    expect_body(conn, expect_status(conn, get(conn, "/echo/after-304"), 200), b"after-304")


@check(
    "GET /static/{path} answers the exact bytes of public/ files, nested ones and %20 included",
    points=2,
    hint="Read the file in binary mode and send its bytes as they are; percent-decode the path (%20 is a "
    "space) and drop the query string before looking the file up.",
    rules=["R9.1"],
)
def test_serves_files(raw):
    conn = raw()
    for path in FILES:
        expect_file(conn, fetch(conn, path), path)
    expect_file(conn, get(conn, "/static/hello.txt?v=2&x=%2e%2e"), "hello.txt")


@check(
    "a static file's Content-Type follows its extension, application/octet-stream otherwise",
    points=1,
    hint="Map .html, .txt, .css, .json and .png as the contract lists them (text types with "
    "charset=utf-8); anything else is application/octet-stream.",
    rules=["R9.2"],
)
def test_content_types(raw):
    conn = raw()
    for path, (_, _, content_type) in FILES.items():
        got = " ".join((fetch(conn, path).header("content-type") or "").lower().split()).replace("; ", ";")
        if got != content_type.replace("; ", ";"):
            conn.fail(f"{target(path)}: Content-Type was {got!r}", expected=content_type)


@check(
    "a missing file, a folder and /static/ itself answer 404",
    points=1,
    hint="Serve regular files only: a folder (with or without a final /) is not a file to send.",
    rules=["R9.1"],
)
def test_missing_404(raw):
    conn = raw()
    for path in ("/static/missing.txt", "/static/docs", "/static/docs/", "/static/", "/static/hello.txt/"):
        response = expect_status(conn, get(conn, path), 404)
        expect_text(conn, response)


@check(
    "a static file has a strong ETag, stable and distinct per file, and a Last-Modified date",
    points=2,
    hint='ETag is a quoted string ("..."), for instance a hash of the content or its size and mtime; '
    "Last-Modified is the file's mtime in IMF-fixdate (email.utils.formatdate(mtime, usegmt=True)).",
    rules=["R9.3"],
)
def test_validators(raw):
    conn = raw()
    tags: dict[str, str] = {}
    for path in FILES:
        response = fetch(conn, path)
        tags[path] = etag_of(conn, response)
        modified = last_modified(conn, response)
        if modified > date_of(conn, response) + timedelta(seconds=2):
            conn.fail(
                f"{target(path)}: Last-Modified is after the answer's Date", expected="the file's mtime"
            )
    again = fetch(conn, "hello.txt")
    if etag_of(conn, again) != tags["hello.txt"]:
        conn.fail(
            f"two GETs of the same file gave {tags['hello.txt']} then {again.header('etag')}",
            expected="the same ETag",
        )
    head = fetch(conn, "logo.png", method="HEAD")
    if head.header("etag") != tags["logo.png"]:
        conn.fail(
            f"HEAD gave the ETag {head.header('etag')!r}, GET {tags['logo.png']}", expected="the same ETag"
        )
    if len(set(tags.values())) != len(tags):
        conn.fail(f"files of different content share an ETag: {tags}", expected="one ETag per content")


@check(
    "If-None-Match with the file's tag (alone, in a list, weak W/, or *) answers 304 with no body",
    points=3,
    hint="Split If-None-Match on commas, strip each tag and a leading W/ (weak comparison), and answer "
    "304 with ETag and Last-Modified but no body when one equals the file's ETag, or for *.",
    rules=["R9.4"],
)
def test_if_none_match(raw):
    conn = raw()
    tag = etag_of(conn, fetch(conn, "hello.txt"))
    cases = [
        (tag, "its own tag"),
        (f'"nope", {tag}, "other"', "a list holding its tag"),
        (f"W/{tag}", "its tag marked weak"),
        ("*", "*"),
    ]
    for value, why in cases:
        expect_304(conn, fetch(conn, "hello.txt", f"If-None-Match: {value}\r\n".encode()), tag, why)
    expect_304(conn, fetch(conn, "hello.txt", f"If-None-Match: {tag}\r\n".encode(), "HEAD"), tag, "HEAD")
    expect_file(conn, fetch(conn, "hello.txt", b'If-None-Match: "nope", W/"other"\r\n'), "hello.txt")
    other = etag_of(conn, fetch(conn, "style.css"))
    expect_file(conn, fetch(conn, "hello.txt", f"If-None-Match: {other}\r\n".encode()), "hello.txt")


@check(
    "If-Modified-Since at or after Last-Modified answers 304, earlier or invalid serves the file",
    points=2,
    hint="Parse the date (IMF-fixdate only) and compare whole seconds: not modified when the file's "
    "mtime, rounded down, is at or before it. A date you cannot parse is ignored.",
    rules=["R9.5"],
)
def test_if_modified_since(raw):
    conn = raw()
    response = fetch(conn, "docs/guide.txt")
    tag, modified = etag_of(conn, response), last_modified(conn, response)
    for moment, why in ((modified, "the same date"), (modified + timedelta(hours=1), "a later date")):
        since = format_datetime(moment, usegmt=True)
        expect_304(conn, fetch(conn, "docs/guide.txt", f"If-Modified-Since: {since}\r\n".encode()), tag, why)
    for since in (format_datetime(modified - timedelta(seconds=1), usegmt=True), "yesterday", ""):
        expect_file(
            conn, fetch(conn, "docs/guide.txt", f"If-Modified-Since: {since}\r\n".encode()), "docs/guide.txt"
        )


@check(
    "If-Modified-Since is ignored when If-None-Match is present, and a 304 wins over Range",
    points=1,
    hint="RFC 9110 §13.2.2: If-None-Match first; only without it look at If-Modified-Since. Evaluate "
    "the conditions before the Range header.",
    rules=["R9.5", "R9.4"],
)
def test_condition_precedence(raw):
    conn = raw()
    response = fetch(conn, "hello.txt")
    tag, since = etag_of(conn, response), response.header("last-modified") or ""
    extra = f'If-None-Match: "nope"\r\nIf-Modified-Since: {since}\r\n'.encode()
    expect_file(conn, fetch(conn, "hello.txt", extra), "hello.txt")
    extra = f"If-None-Match: {tag}\r\nRange: bytes=0-4\r\n".encode()
    expect_304(conn, fetch(conn, "hello.txt", extra), tag, "If-None-Match with a Range")


def expect_range(conn: RawConnection, whole: bytes, spec: str, first: int, last: int) -> None:
    response = fetch(conn, RANGED, f"Range: bytes={spec}\r\n".encode())
    wanted = f"bytes {first}-{last}/{len(whole)}"
    if response.status != 206:
        conn.fail(
            f"Range: bytes={spec}: the answer was {response.status_line}", expected="206 Partial Content"
        )
    if response.header("content-range") != wanted:
        conn.fail(
            f"Range: bytes={spec}: Content-Range was {response.header('content-range')!r}", expected=wanted
        )
    if response.body != whole[first : last + 1]:
        conn.fail(
            f"Range: bytes={spec}: {len(response.body)} bytes, not bytes {first} to {last} of the file",
            expected=f"the {last - first + 1} bytes from {first} to {last}",
        )


@check(
    "Range: bytes=a-b, a- and -n answer 206 with Content-Range and exactly those bytes, the end clamped",
    points=3,
    hint="Both ends are included and counted from 0; -n is the last n bytes; clamp an end past the file "
    "to its last byte. Content-Range: bytes first-last/length, Content-Length the part's size.",
    rules=["R9.6"],
)
def test_ranges(raw):
    conn = raw()
    whole = expect_file(conn, fetch(conn, RANGED), RANGED)
    size = len(whole)
    cases = [
        ("0-0", 0, 0),
        ("0-99", 0, 99),
        (f"{size - 1}-{size - 1}", size - 1, size - 1),
        (f"{size - 10}-", size - 10, size - 1),
        ("100-", 100, size - 1),
        ("-10", size - 10, size - 1),
        ("-1", size - 1, size - 1),
        (f"-{size + 50}", 0, size - 1),
        (f"10-{size + 1000}", 10, size - 1),
        (f"0-{size - 1}", 0, size - 1),
    ]
    for spec, first, last in cases:
        expect_range(conn, whole, spec, first, last)


@check(
    "a range starting at or past the end, or bytes=-0, answers 416 with Content-Range: bytes */length",
    points=2,
    hint="Unsatisfiable: the first byte is not in the file (a >= length), or a suffix of 0 bytes. "
    "Answer 416 with Content-Range: bytes */<length>.",
    rules=["R9.7"],
)
def test_unsatisfiable_416(raw):
    conn = raw()
    size = FILES[RANGED][0]
    for spec in (f"{size}-", f"{size}-{size + 5}", f"{size + 1000}-", "-0"):
        response = fetch(conn, RANGED, f"Range: bytes={spec}\r\n".encode())
        if response.status != 416:
            conn.fail(f"Range: bytes={spec}: the answer was {response.status_line}", expected="416")
        if response.header("content-range") != f"bytes */{size}":
            conn.fail(
                f"Range: bytes={spec}: Content-Range was {response.header('content-range')!r}",
                expected=f"bytes */{size}",
            )


@check(
    "several ranges, another unit, b before a or a malformed Range are ignored: 200, the whole file",
    points=1,
    hint="Only one well-formed byte range is honoured; for anything else ignore the header and serve "
    "the whole file with 200.",
    rules=["R9.8"],
)
def test_other_ranges_ignored(raw):
    conn = raw()
    for value in ("bytes=0-1,4-5", "items=0-1", "bytes=5-2", "bytes=x-", "bytes=-", "bytes=1-2-3"):
        expect_file(conn, fetch(conn, RANGED, f"Range: {value}\r\n".encode()), RANGED)


@check(
    "no path reaches outside public/: .., encoded dots and slashes, backslashes, absolute paths answer 404",
    points=3,
    hint="Percent-decode first, then split on '/' and refuse empty, '.' and '..' segments, backslashes "
    "and NUL bytes; also resolve the path and check it is still inside public/. Never join a raw path.",
    rules=["R9.9"],
)
def test_traversal_refused(raw):
    conn = raw()
    for path in (
        "/static/../lab.toml",
        "/static/%2e%2e/lab.toml",
        "/static/%2E%2E/app/main.py",
        "/static/docs/..%2f..%2flab.toml",
        "/static/docs/../../lab.toml",
        "/static/..%5clab.toml",
        "/static/docs\\..\\hello.txt",
        "/static/%2fetc%2fpasswd",
        "/static//etc/passwd",
        "/static/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/static/./hello.txt",
        "/static/docs/./guide.txt",
        "/static/docs/../hello.txt",
        "/static/hello.txt%00.png",
    ):
        response = get(conn, path)
        if response.status != 404:
            conn.fail(f"GET {path} answered {response.status_line}: {response.body[:120]!r}", expected="404")


@check(
    "HEAD on a static file answers GET's headers (Content-Length, ETag) and no body; other methods 405",
    points=1,
    hint="/static/{path} is a GET resource: HEAD sends the head of the GET answer; POST, PUT, DELETE "
    "answer 405 with Allow: GET, HEAD.",
    rules=["R4.5", "R9.1", "R1.6"],
)
def test_head_static(raw):
    conn = raw()
    full = fetch(conn, "data.bin")
    response = expect_status(conn, fetch(conn, "data.bin", method="HEAD"), 200)
    for name in ("content-length", "etag", "content-type"):
        if response.header(name) != full.header(name):
            conn.fail(
                f"HEAD gave {name}: {response.header(name)!r}, GET {full.header(name)!r}", expected="the same"
            )
    expect_body(conn, expect_status(conn, get(conn, "/echo/after-head"), 200), b"after-head")
    response = expect_status(conn, get(conn, "/static/hello.txt", method="DELETE"), 405)
    allow = {m.strip().upper() for m in (response.header("allow") or "").split(",") if m.strip()}
    if allow != {"GET", "HEAD"}:
        conn.fail(f"Allow was {response.header('allow')!r}", expected="GET, HEAD")
