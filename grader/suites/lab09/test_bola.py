"""Object level authorization on the API (API1:2023 BOLA, OWASP A01:2021)"""

import httpx
from lab09_kit import create_note, register, token

from grader.checks import check, describe, expect, expect_status, json_body


def _pair(api: httpx.Client, new_api) -> tuple[httpx.Client, dict, dict]:
    """(the attacker's client, the victim's private note, the victim's public note)."""
    victim = new_api()
    register(victim, "victim")
    private = create_note(victim, f"Private {token()}", "my diary", private=True)
    public = create_note(victim, f"Public {token()}", "hello world")
    register(api, "mallory")
    return victim, private, public


def _unchanged(owner: httpx.Client, note: dict) -> None:
    response = owner.get(f"/api/notes/{note['id']}")
    expect(
        response.status_code == 200,
        f"the note {note['id']} is gone: another user deleted it.",
        expected="200 for its owner",
        actual=str(response.status_code),
        response=response,
    )
    now = json_body(response)
    expect(
        now.get("title") == note["title"] and now.get("body") == note["body"],
        f"the note {note['id']} was changed by another user.",
        expected=note["title"],
        actual=now.get("title"),
        response=response,
    )


@check(
    "Owners read, change and delete their notes",
    points=2,
    rules=["R4.5", "R4.6", "R4.7"],
    hint="GET, PATCH and DELETE /api/notes/{id} work for the note's owner (200, 200, 204); PATCH sets "
    "every field it is given, false and empty text included.",
)
def test_owner_can_manage_notes(api):
    register(api)
    note = create_note(api, f"Mine {token()}", "draft", private=True)
    expect_status(api.get(f"/api/notes/{note['id']}"), 200)
    patched = api.patch(f"/api/notes/{note['id']}", json={"title": "Mine, edited"})
    expect_status(patched, 200)
    expect(
        json_body(patched).get("title") == "Mine, edited",
        f"{describe(patched)}: the title did not change.",
        response=patched,
    )
    # false and "" are values to set, not "field absent"
    published = api.patch(f"/api/notes/{note['id']}", json={"private": False, "body": ""})
    expect_status(published, 200)
    expect(
        json_body(published).get("private") is False and json_body(published).get("body") == "",
        f"{describe(published)} with private false and an empty body did not change them.",
        expected={"private": False, "body": ""},
        actual={key: json_body(published).get(key) for key in ("private", "body")},
        response=published,
    )
    expect_status(api.delete(f"/api/notes/{note['id']}"), 204)
    expect_status(api.get(f"/api/notes/{note['id']}"), 404)


@check(
    "Anyone reads a public note",
    points=1,
    rules=["R4.2", "R4.6"],
    hint="GET /api/notes/{id} of a public note answers 200 to every logged-in user and to visitors.",
)
def test_public_notes_readable(api, new_api):
    _, _, public = _pair(api, new_api)
    for client in (api, new_api()):
        response = client.get(f"/api/notes/{public['id']}")
        expect_status(response, 200)
        expect(
            json_body(response).get("title") == public["title"],
            f"{describe(response)}: wrong note.",
            response=response,
        )


@check(
    "Another user's private note cannot be read",
    points=3,
    rules=["R4.2", "R4.6", "R5.2"],
    needs=["public_notes_readable"],
    hint="Finding a row by id is not permission to see it: check who owns it. A private note of "
    "someone else answers 404 (API and page), as if it did not exist.",
)
def test_private_note_read_refused(api, new_api):
    _, private, _ = _pair(api, new_api)
    for client in (api, new_api()):
        for path in (f"/api/notes/{private['id']}", f"/notes/{private['id']}"):
            response = client.get(path)
            expect(
                response.status_code == 404 and private["title"] not in response.text,
                f"{describe(response)}: another user's private note answered {response.status_code}.",
                expected="404",
                actual=str(response.status_code),
                response=response,
            )


@check(
    "Another user's private note cannot be changed or deleted",
    points=3,
    rules=["R4.9"],
    needs=["owner_can_manage_notes"],
    hint="PATCH and DELETE need the same ownership check as GET: 404 for a private note that is not yours.",
)
def test_private_note_write_refused(api, new_api):
    victim, private, _ = _pair(api, new_api)
    patched = api.patch(f"/api/notes/{private['id']}", json={"title": "owned", "private": False})
    expect(
        patched.status_code == 404,
        f"{describe(patched)}: another user's private note answered {patched.status_code}.",
        expected="404",
        actual=str(patched.status_code),
        response=patched,
    )
    deleted = api.delete(f"/api/notes/{private['id']}")
    expect(
        deleted.status_code == 404,
        f"{describe(deleted)}: another user's private note answered {deleted.status_code}.",
        expected="404",
        actual=str(deleted.status_code),
        response=deleted,
    )
    _unchanged(victim, private)


@check(
    "Another user's public note cannot be changed or deleted",
    points=3,
    rules=["R4.10"],
    needs=["owner_can_manage_notes"],
    hint="Being allowed to read a note is not being allowed to write it: 403 when the note is visible "
    "but not yours.",
)
def test_public_note_write_refused(api, new_api):
    victim, _, public = _pair(api, new_api)
    patched = api.patch(f"/api/notes/{public['id']}", json={"body": "defaced"})
    expect(
        patched.status_code == 403,
        f"{describe(patched)}: another user's public note answered {patched.status_code}.",
        expected="403",
        actual=str(patched.status_code),
        response=patched,
    )
    deleted = api.delete(f"/api/notes/{public['id']}")
    expect(
        deleted.status_code == 403,
        f"{describe(deleted)}: another user's public note answered {deleted.status_code}.",
        expected="403",
        actual=str(deleted.status_code),
        response=deleted,
    )
    _unchanged(victim, public)


@check(
    "Visitors cannot create, change or delete notes",
    points=1,
    rules=["R4.5", "R4.8"],
    needs=["owner_can_manage_notes"],
    hint="Without a session, POST /api/notes and PATCH and DELETE /api/notes/{id} answer 401.",
)
def test_anonymous_write_refused(new_api):
    owner = new_api()
    register(owner)
    note = create_note(owner, f"Public {token()}", "text")
    visitor = new_api()
    for response in (
        visitor.post("/api/notes", json={"title": "anonymous", "body": "x", "private": False}),
        visitor.patch(f"/api/notes/{note['id']}", json={"body": "x"}),
        visitor.delete(f"/api/notes/{note['id']}"),
    ):
        expect_status(response, 401)
    _unchanged(owner, note)
