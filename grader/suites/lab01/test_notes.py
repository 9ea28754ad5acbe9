"""A JSON resource"""

from __future__ import annotations

import json
import uuid
from typing import Any

from lab01_kit import HOST, expect_body, expect_refused, expect_status, get, request

from grader.checks import check
from grader.rawhttp import RawConnection, RawResponse

JSON = b"Content-Type: application/json\r\n"


def send_json(
    conn: RawConnection, method: str, target: str, body: bytes, content_type: bytes | None = JSON
) -> RawResponse:
    """A POST or PUT with `body` (raw bytes) and a Content-Type (none when `content_type` is None)."""
    conn.send(request(target, method, headers=HOST + (content_type or b""), body=body))
    return conn.response()


def json_of(conn: RawConnection, response: RawResponse, status: int) -> Any:
    """The JSON body of an answer expected with `status` and Content-Type: application/json."""
    if response.status != status:
        conn.fail(f"the answer was {response.status_line}: {response.body[:200]!r}", expected=str(status))
    media_type = (response.header("content-type") or "").split(";")[0].strip().lower()
    if media_type != "application/json":
        conn.fail(f"Content-Type was {response.header('content-type')!r}", expected="application/json")
    try:
        return json.loads(response.body.decode("utf-8"))
    except ValueError:
        conn.fail(f"the body is not JSON in UTF-8: {response.body[:200]!r}", expected="a JSON value")


def expect_error(conn: RawConnection, response: RawResponse, status: int, code: str) -> None:
    got = json_of(conn, response, status)
    if got != {"error": code}:
        conn.fail(f"the body was {json.dumps(got)[:200]}", expected=json.dumps({"error": code}))


def expect_note(conn: RawConnection, got: Any, text: str, note_id: int | None = None) -> int:
    """`got` is a note {"id": <int>, "text": text} (with that id when given); returns its id."""
    if (
        not isinstance(got, dict)
        or sorted(got) != ["id", "text"]
        or not isinstance(got["id"], int)
        or isinstance(got["id"], bool)
    ):
        conn.fail(f"the note was {json.dumps(got)[:200]}", expected='{"id": <integer>, "text": <string>}')
    if got["text"] != text or (note_id is not None and got["id"] != note_id):
        wanted = {"id": note_id if note_id is not None else "<id>", "text": text}
        conn.fail(f"the note was {json.dumps(got, ensure_ascii=False)[:200]}", expected=json.dumps(wanted))
    return int(got["id"])


def create(conn: RawConnection, text: str) -> int:
    """POST a note with `text`; its id."""
    response = send_json(conn, "POST", "/notes", json.dumps({"text": text}).encode())
    return expect_note(conn, json_of(conn, response, 201), text)


def unique(label: str) -> str:
    return f"{label} {uuid.uuid4().hex[:8]}"


@check(
    "POST /notes answers 201, Location: /notes/{id} and the note; the Location answers the same note",
    points=2,
    hint='Answer 201 Created with `Location: /notes/<id>` and the body {"id": <id>, "text": ...} as '
    "JSON (Content-Type: application/json); GET on that Location must find it.",
    rules=["R8.2", "R8.5", "R8.1"],
)
def test_create_answers_201(raw):
    conn = raw()
    text = unique("buy milk")
    response = send_json(conn, "POST", "/notes", json.dumps({"text": text}).encode())
    note_id = expect_note(conn, json_of(conn, response, 201), text)
    location = response.header("location")
    if location != f"/notes/{note_id}":
        conn.fail(f"Location was {location!r}", expected=f"/notes/{note_id}")
    expect_note(conn, json_of(conn, get(conn, location), 200), text, note_id)


@check(
    "a note's text comes back exactly as sent: non-ASCII, escaped, empty, other fields ignored",
    points=2,
    hint="Decode the body as UTF-8 before json.loads, encode the answer to UTF-8 and count its bytes "
    "for Content-Length; keep only `text` (an empty string is a valid text).",
    rules=["R8.2", "R8.1", "R4.4"],
)
def test_text_kept_exactly(raw):
    conn = raw()
    cases = [
        ('{"text": "café ☕ 📚"}'.encode(), "café ☕ 📚"),  # raw UTF-8 in the request
        (b'{"text": "\\u00e9t\\u00e9 \\ud83d\\udcda"}', "été 📚"),  # JSON escapes, a surrogate pair
        (b'{"text": ""}', ""),
        (b'{"tag": "x", "text": "with others", "id": 999999}', "with others"),
    ]
    for body, text in cases:
        # pipelined with a GET: a Content-Length in characters would cut the note or eat the next answer
        conn.send(request("/notes", "POST", headers=HOST + JSON, body=body) + request("/hello"))
        note_id = expect_note(conn, json_of(conn, conn.response(), 201), text)
        expect_body(conn, expect_status(conn, conn.response(), 200), b"Hello, world!\n")
        expect_note(conn, json_of(conn, get(conn, f"/notes/{note_id}"), 200), text, note_id)


@check(
    "ids increase with each new note and a deleted note's id is never given again",
    points=1,
    hint="Keep a counter of the last id given, apart from the notes: max(existing ids) + 1 gives a "
    "deleted last note's id again.",
    rules=["R8.3"],
)
def test_ids_never_reused(raw):
    conn = raw()
    first = create(conn, unique("first"))
    second = create(conn, unique("second"))
    if not 0 < first < second:
        conn.fail(f"the ids were {first} then {second}", expected="positive and increasing")
    expect_status(conn, get(conn, f"/notes/{second}", method="DELETE"), 204)
    third = create(conn, unique("third"))
    if third <= second:
        conn.fail(f"after deleting note {second}, the next note got the id {third}", expected=f"> {second}")


@check(
    "GET /notes lists the notes in creation order, an updated one in its place, a deleted one gone",
    points=2,
    hint="Keep the notes in an insertion-ordered structure (a dict keeps insertion order, and "
    "replacing a value keeps its place); answer a JSON array of {id, text} objects.",
    rules=["R8.4"],
)
def test_list_in_creation_order(raw):
    conn = raw()
    texts = [unique("one"), unique("two"), unique("three"), unique("four")]
    ids = [create(conn, text) for text in texts]
    updated = unique("one, updated")
    response = send_json(conn, "PUT", f"/notes/{ids[0]}", json.dumps({"text": updated}).encode())
    json_of(conn, response, 200)
    expect_status(conn, get(conn, f"/notes/{ids[1]}", method="DELETE"), 204)
    listed = json_of(conn, get(conn, "/notes"), 200)
    if not isinstance(listed, list) or not all(isinstance(n, dict) and "id" in n for n in listed):
        conn.fail(f"GET /notes answered {json.dumps(listed)[:300]}", expected="a JSON array of notes")
    ours = [note for note in listed if note.get("id") in ids]
    expected = [
        {"id": ids[0], "text": updated},
        {"id": ids[2], "text": texts[2]},
        {"id": ids[3], "text": texts[3]},
    ]
    if ours != expected:
        conn.fail(
            f"this check's notes in GET /notes were {json.dumps(ours, ensure_ascii=False)[:400]}",
            expected=json.dumps(expected),
        )


@check(
    "PUT /notes/{id} replaces the text and answers the note with its id unchanged",
    points=2,
    hint="Look the note up by id, replace its text only, answer 200 with the whole note.",
    rules=["R8.6"],
)
def test_put_replaces(raw):
    conn = raw()
    note_id = create(conn, unique("draft"))
    text = unique("final")
    response = send_json(conn, "PUT", f"/notes/{note_id}", json.dumps({"text": text}).encode())
    expect_note(conn, json_of(conn, response, 200), text, note_id)
    expect_note(conn, json_of(conn, get(conn, f"/notes/{note_id}"), 200), text, note_id)


@check(
    "DELETE /notes/{id} answers 204 with no body and no Content-Length; the note is then 404",
    points=2,
    hint="204 No Content ends with the empty line: no body, no Content-Length (RFC 9110 §8.6). "
    "A second DELETE finds nothing: 404.",
    rules=["R8.7", "R4.4", "R8.8"],
)
def test_delete_answers_204(raw):
    conn = raw()
    note_id = create(conn, unique("to delete"))
    # pipelined with a GET: a body after the 204 would be read as the next status line
    conn.send(request(f"/notes/{note_id}", "DELETE") + request("/hello"))
    response = expect_status(conn, conn.response(), 204)
    if response.header("content-length") is not None:
        conn.fail(f"the 204 had Content-Length: {response.header('content-length')}", expected="none")
    expect_body(conn, expect_status(conn, conn.response(), 200), b"Hello, world!\n")
    expect_error(conn, get(conn, f"/notes/{note_id}"), 404, "not_found")
    expect_error(conn, get(conn, f"/notes/{note_id}", method="DELETE"), 404, "not_found")


@check(
    'an id that is no note\'s (never given, abc, a leading zero, a sign) answers 404 {"error": "not_found"}',
    points=2,
    hint="Match the id with a strict pattern ([1-9][0-9]*) before int(): int() also takes '01', '+1' "
    "and ' 1'. An unknown id is 404 to every method, HEAD included.",
    rules=["R8.8", "R8.5"],
)
def test_unknown_id_404(raw):
    conn = raw()
    note_id = create(conn, unique("known"))
    for target in ("/notes/987654321", "/notes/abc", f"/notes/0{note_id}", f"/notes/+{note_id}", "/notes/0"):
        expect_error(conn, get(conn, target), 404, "not_found")
    expect_status(conn, get(conn, "/notes/987654321", method="HEAD"), 404)


@check(
    "PUT or DELETE of an unknown id answers 404 and creates nothing, whatever the body",
    points=1,
    hint="Look the id up before reading the body, and never insert on PUT: PUT replaces an existing note.",
    rules=["R8.8"],
)
def test_put_unknown_id(raw):
    conn = raw()
    text = unique("never created")
    response = send_json(conn, "PUT", "/notes/987654322", json.dumps({"text": text}).encode())
    expect_error(conn, response, 404, "not_found")
    response = send_json(
        conn, "PUT", "/notes/987654322", b"not json", content_type=b"Content-Type: text/plain\r\n"
    )
    expect_error(conn, response, 404, "not_found")
    expect_error(conn, get(conn, "/notes/987654322"), 404, "not_found")
    listed = json_of(conn, get(conn, "/notes"), 200)
    if isinstance(listed, list) and any(isinstance(n, dict) and n.get("text") == text for n in listed):
        conn.fail("a PUT to an unknown id created a note", expected="404 and no new note")


@check(
    "a body that is not application/json answers 415; the media type is matched in any case, with parameters",
    points=2,
    hint="Compare the media type before any ';', stripped and lower-cased, with application/json exactly "
    "(not a prefix: application/json-seq is another type). No Content-Type at all is 415 too.",
    rules=["R8.9"],
)
def test_wrong_media_type_415(raw):
    conn = raw()
    body = json.dumps({"text": "x"}).encode()
    for content_type in (b"Content-Type: text/plain\r\n", None, b"Content-Type: application/json-seq\r\n"):
        expect_error(
            conn, send_json(conn, "POST", "/notes", body, content_type), 415, "unsupported_media_type"
        )
    text = unique("any case")
    response = send_json(
        conn,
        "POST",
        "/notes",
        json.dumps({"text": text}).encode(),
        b"Content-Type: Application/JSON ; charset=utf-8\r\n",
    )
    note_id = expect_note(conn, json_of(conn, response, 201), text)
    response = send_json(conn, "PUT", f"/notes/{note_id}", body, b"Content-Type: text/json\r\n")
    expect_error(conn, response, 415, "unsupported_media_type")


@check(
    'a body that is not JSON in UTF-8 answers 400 {"error": "invalid_json"} and closes the connection',
    points=2,
    hint="Decode as UTF-8 and json.loads inside one try: both errors (UnicodeDecodeError, ValueError) "
    "are invalid_json; an empty body too. Then close, as after every 400.",
    rules=["R8.10", "R3.7"],
)
def test_invalid_json_400(raw):
    for body in (b'{"text": "a"', b"", b"{'text': 'a'}", b'{"text": "caf\xe9"}'):
        conn = raw()
        response = send_json(conn, "POST", "/notes", body)
        expect_error(conn, response, 400, "invalid_json")
        expect_refused(conn, response, 400)


@check(
    'JSON that is not an object with a string text answers 400 {"error": "invalid_note"}, to POST and PUT',
    points=2,
    hint="After json.loads, check isinstance(data, dict) and isinstance(data.get('text'), str): "
    "an array, null, a number or a missing text is JSON, but not a note.",
    rules=["R8.10", "R3.7"],
)
def test_invalid_note_400(raw):
    for body in (b"[]", b"null", b"5", b'"text"', b"{}", b'{"text": null}', b'{"text": 5}', b'{"Text": "a"}'):
        conn = raw()
        response = send_json(conn, "POST", "/notes", body)
        expect_error(conn, response, 400, "invalid_note")
        expect_refused(conn, response, 400)
    conn = raw()
    note_id = create(conn, unique("kept"))
    response = send_json(conn, "PUT", f"/notes/{note_id}", b'{"text": ["a"]}')
    expect_error(conn, response, 400, "invalid_note")


@check(
    "another method on /notes or /notes/{id} answers 405 with Allow and a JSON error",
    points=1,
    hint="/notes serves GET, HEAD, POST; /notes/{id} serves GET, HEAD, PUT, DELETE. Answer 405 with Allow "
    'and {"error": "method_not_allowed"} as JSON.',
    rules=["R8.11", "R1.6"],
)
def test_notes_405(raw):
    conn = raw()
    note_id = create(conn, unique("for 405"))
    cases = [
        ("DELETE", "/notes", {"GET", "HEAD", "POST"}),
        ("PUT", "/notes", {"GET", "HEAD", "POST"}),
        ("POST", f"/notes/{note_id}", {"GET", "HEAD", "PUT", "DELETE"}),
        ("PATCH", "/notes/987654323", {"GET", "HEAD", "PUT", "DELETE"}),
    ]
    for method, target, allowed in cases:
        body = b"{}" if method in ("POST", "PUT", "PATCH") else None
        response = get(conn, target, method=method, body=body, headers=HOST + JSON)
        expect_error(conn, response, 405, "method_not_allowed")
        allow = {m.strip().upper() for m in (response.header("allow") or "").split(",") if m.strip()}
        if allow != allowed:
            conn.fail(f"{method} {target}: Allow was {response.header('allow')!r}", expected=allowed)


@check(
    "HEAD /notes/{id} answers GET's status and headers, Content-Length included, and no body",
    points=1,
    hint="Route HEAD like GET, then send only the head of the answer.",
    rules=["R4.5", "R8.5"],
)
def test_head_note(raw):
    conn = raw()
    text = unique("head ☕")
    note_id = create(conn, text)
    full = json_of(conn, get(conn, f"/notes/{note_id}"), 200)
    length = len((get(conn, f"/notes/{note_id}")).body)
    response = expect_status(conn, get(conn, f"/notes/{note_id}", method="HEAD"), 200)
    if response.header("content-length") != str(length):
        conn.fail(
            f"Content-Length was {response.header('content-length')!r}", expected=f"{length}, as for GET"
        )
    expect_note(conn, full, text, note_id)
    expect_body(conn, expect_status(conn, get(conn, "/echo/after-head"), 200), b"after-head")
