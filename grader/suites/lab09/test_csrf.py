"""Cross-site request forgery (OWASP A01:2021 Broken Access Control)"""

import json

import httpx
from lab09_kit import (
    ATTACKER,
    cookie_attributes,
    create_note,
    find_form,
    get_page,
    logged_in_as,
    register,
    session_cookie_lines,
    submit,
    token,
)

from grader.checks import check, describe, expect, expect_status, json_body

# How a forged request arrives: from the attacker's page, with the Origin stripped, from a sandboxed frame.
FORGED_HEADERS = [
    {"Origin": f"http://{ATTACKER}", "Referer": f"http://{ATTACKER}/win-a-prize.html"},
    {},
    {"Origin": "null"},
]


def _forge(
    client: httpx.Client, action: str, data: dict[str, str], headers: dict[str, str]
) -> httpx.Response:
    return client.post(action, data=data, headers=headers)


def _expect_refused(response: httpx.Response, what: str) -> None:
    expect(
        response.status_code == 403,
        f"{describe(response)} {what} answered {response.status_code}.",
        expected="403 (missing or wrong CSRF token)",
        actual=str(response.status_code),
        response=response,
    )


def _note_exists(client: httpx.Client, note_id: int) -> bool:
    return client.get(f"/api/notes/{note_id}").status_code == 200


def _titles(client: httpx.Client, word: str) -> list[str]:
    response = client.get("/api/notes", params={"q": word})
    expect_status(response, 200)
    return [note.get("title") for note in json_body(response)]


@check(
    "The HTML forms work when sent from the app's own pages",
    points=2,
    rules=["R5.2", "R5.4"],
    hint="Each form must carry what the check needs (a hidden token) so that the real user's "
    "submissions pass: creating a note, deleting it, editing the profile.",
)
def test_forms_work_with_their_token(api):
    register(api)
    title = f"Form note {token()}"
    created = submit(api, "/notes/new", "/notes", {"title": title, "body": "from the form"})
    expect_status(created, 303)
    notes = json_body(api.get("/api/notes", params={"q": title}))
    expect(
        len(notes) == 1,
        f"the note «{title}» made with the form should be found once.",
        expected=1,
        actual=len(notes),
    )
    note_id = notes[0]["id"]
    deleted = submit(api, f"/notes/{note_id}", f"/notes/{note_id}/delete", {})
    expect_status(deleted, 303)
    expect(not _note_exists(api, note_id), f"the note {note_id} should be gone after its delete form.")
    name = f"Formed {token(3)}"
    changed = submit(api, "/profile", "/profile", {"display_name": name, "bio": "about me", "website": ""})
    expect_status(changed, 303)
    me = logged_in_as(api) or {}
    expect(
        me.get("display_name") == name,
        "the profile form should change the display name.",
        expected=name,
        actual=me.get("display_name"),
    )


@check(
    "A forged cross-site post cannot create a note",
    points=3,
    rules=["R5.4"],
    needs=["forms_work_with_their_token"],
    hint="The session cookie goes along with any request the browser makes, even one another site "
    "triggers. Require a secret per-session token in every state-changing form, and refuse (403) "
    "a post without it, whatever its Origin.",
)
def test_cross_site_create_refused(api):
    register(api, "victim")
    word = token()
    for headers in FORGED_HEADERS:
        response = _forge(api, "/notes", {"title": f"Forged {word}", "body": "pwned"}, headers)
        _expect_refused(response, f"without a CSRF token (headers {headers or 'none'})")
    expect(
        not _titles(api, word), "a forged post created a note.", expected="no note", actual=_titles(api, word)
    )


@check(
    "A forged cross-site post cannot delete a note",
    points=3,
    rules=["R5.4"],
    needs=["forms_work_with_their_token"],
    hint="The delete form is state-changing too: no valid token, no deletion (403).",
)
def test_cross_site_delete_refused(api):
    register(api, "victim")
    note = create_note(api, f"Keep me {token()}")
    page = get_page(api, f"/notes/{note['id']}")
    blanked = dict.fromkeys(find_form(page, f"/notes/{note['id']}/delete").fields, "")
    for headers in FORGED_HEADERS:
        for data in ({}, blanked):
            response = _forge(api, f"/notes/{note['id']}/delete", data, headers)
            _expect_refused(response, "without a valid CSRF token")
            expect(_note_exists(api, note["id"]), f"the note {note['id']} was deleted by a forged post.")


@check(
    "A forged cross-site post cannot change the profile",
    points=3,
    rules=["R5.4"],
    needs=["forms_work_with_their_token"],
    hint="The profile form must check the token too; an empty token is no token.",
)
def test_cross_site_profile_refused(api):
    register(api, "victim")
    before = (logged_in_as(api) or {}).get("display_name")
    blanked = dict.fromkeys(find_form(get_page(api, "/profile"), "/profile").fields, "")
    for headers in FORGED_HEADERS:
        for extra in ({}, blanked):
            response = _forge(
                api, "/profile", {**extra, "display_name": "Hacked", "bio": "", "website": ""}, headers
            )
            _expect_refused(response, "without a valid CSRF token")
    after = (logged_in_as(api) or {}).get("display_name")
    expect(after == before, "a forged post changed the display name.", expected=before, actual=after)


@check(
    "A token from another session is refused",
    points=2,
    rules=["R5.4"],
    needs=["forms_work_with_their_token"],
    hint="The token must belong to the session that posts it: the attacker can always get a valid "
    "token for their own account and put it in the forged form.",
)
def test_token_of_another_session_refused(api, new_api):
    register(api, "victim")
    word = token()
    attacker = new_api()
    register(attacker, "mallory")
    their_fields = find_form(get_page(attacker, "/notes/new"), "/notes").fields
    response = _forge(
        api,
        "/notes",
        {**their_fields, "title": f"Forged {word}", "body": "x"},
        {"Origin": f"http://{ATTACKER}"},
    )
    _expect_refused(response, "with the attacker's own token")
    expect(not _titles(api, word), "a post with another session's token created a note.")


@check(
    "The session cookie is SameSite=Lax or Strict",
    points=2,
    rules=["R3.18"],
    hint="SameSite tells the browser not to send the cookie with cross-site posts: a second wall "
    "behind the token. Set it on the session cookie wherever it is issued.",
)
def test_session_cookie_samesite(api, new_api):
    for response, cookie in session_cookie_lines(api, new_api):
        attributes = cookie_attributes(cookie)
        expect(
            "samesite=lax" in attributes or "samesite=strict" in attributes,
            f"{describe(response)}: the session cookie {cookie.split('=')[0]} has no SameSite=Lax or Strict.",
            expected="SameSite=Lax",
            actual=cookie[:160],
            response=response,
        )


@check(
    "The JSON API refuses the bodies a cross-site form can send",
    points=2,
    rules=["R5.5"],
    hint="A form on another site can post text/plain or form-encoded bodies with the user's cookie and "
    "no CORS preflight. The JSON API takes no CSRF token, so it must take JSON bodies only "
    "(Content-Type: application/json) and refuse the rest.",
)
def test_api_takes_json_only(api):
    register(api, "victim")
    word = token()
    attacker = {"Origin": f"http://{ATTACKER}"}
    as_json = json.dumps({"title": f"Forged {word}", "body": "pwned", "private": False})
    for response in (
        api.post("/api/notes", content=as_json, headers={**attacker, "Content-Type": "text/plain"}),
        api.post("/api/notes", data={"title": f"Forged {word}", "body": "pwned"}, headers=attacker),
    ):
        expect(
            response.status_code >= 400,
            f"{describe(response)} with Content-Type {response.request.headers.get('content-type')} "
            f"answered {response.status_code}.",
            expected="4xx (JSON bodies only)",
            actual=str(response.status_code),
            response=response,
        )
    expect(not _titles(api, word), "a cross-site body that is not JSON created a note.")
