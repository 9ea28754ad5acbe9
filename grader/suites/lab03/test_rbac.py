"""Roles and ownership"""

from __future__ import annotations

from lab03_auth import bearer, mint, new_name, register, tokens

from grader.checks import check, describe, expect, expect_status, json_body, require_status


def _admin_headers(api, env) -> dict[str, str]:
    response = api.post(
        "/auth/token",
        data={"grant_type": "password", "username": env["ADMIN_USERNAME"], "password": env["ADMIN_PASSWORD"]},
    )
    expect(
        response.status_code == 200,
        f"{describe(response)} as ADMIN_USERNAME with ADMIN_PASSWORD: the "
        "administrator created at startup should log in.",
        expected="200",
        actual=f"{response.status_code} {response.text[:100]}",
        response=response,
    )
    return bearer(json_body(response)["access_token"])


def _user_headers(api):
    user = register(api)
    return user, bearer(tokens(api, user)["access_token"])


def _note(api, headers, title: str = "groceries") -> dict:
    response = api.post("/notes", json={"title": title, "body": "milk, eggs"}, headers=headers)
    require_status(response, 201, purpose="create a test note")
    return json_body(response)


@check(
    "An authenticated user without the admin role gets 403 (not 401) on GET /admin/users",
    points=3,
    rules=["R8.3", "R2.5"],
    hint='401 means "who are you?", 403 means "I know you, and no". The token is fine here: the role '
    "is not. Check the role, read from the database, in a dependency.",
)
def test_user_forbidden_403(api):
    _, headers = _user_headers(api)
    expect_status(api.get("/admin/users", headers=headers), 403)


@check(
    "The administrator (ADMIN_USERNAME) lists all users, without password hashes",
    points=2,
    rules=["R8.2", "R1.2"],
    hint="Create the administrator at startup from ADMIN_USERNAME/ADMIN_PASSWORD if missing; "
    "GET /admin/users answers id, username and role of every user, and nothing secret.",
)
def test_admin_lists_users(api, env):
    user, _ = _user_headers(api)
    response = api.get("/admin/users", headers=_admin_headers(api, env))
    expect_status(response, 200)
    body = json_body(response)
    expect(
        isinstance(body, list),
        f"{describe(response)}: expected a JSON list.",
        expected="[...]",
        actual=response.text[:100],
        response=response,
    )
    names = {item.get("username"): item for item in body if isinstance(item, dict)}
    expect(
        user.username in names
        and names[user.username].get("role") == "user"
        and names.get(env["ADMIN_USERNAME"], {}).get("role") == "admin",
        f"{describe(response)}: expected every user with their role.",
        expected=f"{user.username} (user) and {env['ADMIN_USERNAME']} (admin)",
        actual=response.text[:160],
        response=response,
    )
    secret = [
        key for item in names.values() for key in item if "hash" in key.lower() or "pass" in key.lower()
    ]
    expect(
        not secret,
        f"{describe(response)}: the list shows {sorted(set(secret))}.",
        expected="id, username, role",
        actual=str(sorted(set(secret))),
        response=response,
    )


@check(
    "The owner can create, read, change, list and delete a note",
    points=2,
    rules=["R8.4", "R8.5", "R8.6"],
    hint="POST /notes answers 201 with id, title, body and owner (the username); PATCH changes only "
    "what is sent; DELETE answers 204 and the note is gone (404).",
)
def test_notes_crud(api):
    user, headers = _user_headers(api)
    note = _note(api, headers)
    expect(
        note.get("owner") == user.username and note.get("title") == "groceries",
        "POST /notes: the answer should show the note and its owner.",
        expected=f'{{"id": ..., "title": "groceries", "body": "milk, eggs", "owner": "{user.username}"}}',
        actual=str(note)[:160],
    )
    path = f"/notes/{note['id']}"
    expect_status(api.get(path, headers=headers), 200)
    changed = api.patch(path, json={"title": "shopping"}, headers=headers)
    expect_status(changed, 200)
    expect(
        json_body(changed).get("title") == "shopping" and json_body(changed).get("body") == "milk, eggs",
        f"{describe(changed)}: the title should change and the body stay.",
        expected="shopping / milk, eggs",
        actual=changed.text[:120],
        response=changed,
    )
    listed = json_body(expect_status(api.get("/notes", headers=headers), 200))
    expect(
        [n.get("id") for n in listed] == [note["id"]],
        "GET /notes should list the user's note.",
        expected=str([note["id"]]),
        actual=str([n.get("id") for n in listed]),
    )
    expect_status(api.delete(path, headers=headers), 204)
    expect_status(api.get(path, headers=headers), 404)


@check(
    "Another user's note answers 404 to GET, PATCH and DELETE, and stays unchanged",
    points=3,
    rules=["R8.7"],
    needs="notes_crud",
    hint="Broken Object Level Authorization (OWASP API1): look the note up by id AND owner. Answer 404, "
    "as for an id that does not exist, so ids of other people's notes cannot be probed.",
)
def test_others_note_404(api):
    _, owner = _user_headers(api)
    _, intruder = _user_headers(api)
    note = _note(api, owner, "my secret plans")
    path = f"/notes/{note['id']}"
    for response in (
        api.get(path, headers=intruder),
        api.patch(path, json={"title": "pwned"}, headers=intruder),
        api.delete(path, headers=intruder),
    ):
        expect(
            response.status_code == 404,
            f"{describe(response)} by another user: expected 404, got {response.status_code}.",
            expected="404",
            actual=str(response.status_code),
            response=response,
        )
    mine = json_body(expect_status(api.get(path, headers=owner), 200))
    expect(
        mine.get("title") == "my secret plans",
        "another user's PATCH changed the note.",
        expected="my secret plans",
        actual=str(mine.get("title")),
    )


@check(
    "GET /notes lists only the caller's own notes, also for the administrator",
    points=2,
    rules=["R8.5"],
    needs="notes_crud",
    hint="Filter the query by the current user's id; never return every row.",
)
def test_notes_list_own_only(api, env):
    alice, alice_headers = _user_headers(api)
    bob, bob_headers = _user_headers(api)
    ids = {_note(api, alice_headers, "alice's")["id"], _note(api, bob_headers, "bob's")["id"]}
    listed = json_body(expect_status(api.get("/notes", headers=alice_headers), 200))
    owners = sorted({n.get("owner") for n in listed})
    expect(
        owners == [alice.username] and len(listed) == 1,
        "GET /notes shows notes that are not the caller's.",
        expected=f"one note, owner {alice.username}",
        actual=f"{len(listed)} notes, owners {owners}",
    )
    # "also for admins": an admin may open any note, but the list is still their own (judged by id:
    # an app that lists every note may well label each with the caller's name)
    listed = json_body(expect_status(api.get("/notes", headers=_admin_headers(api, env)), 200))
    others = sorted(ids & {n.get("id") for n in listed if isinstance(n, dict)})
    expect(
        not others,
        f"GET /notes as the administrator shows the notes {others} of {alice.username} and {bob.username}.",
        expected=f"only notes owned by {env['ADMIN_USERNAME']}",
        actual=f"notes {others}",
    )


@check(
    "An admin may read and delete any user's note",
    points=1,
    rules=["R8.6"],
    needs="notes_crud",
    hint="Ownership rule with one exception: the role admin passes the check.",
)
def test_admin_reads_any_note(api, env):
    _, owner = _user_headers(api)
    note = _note(api, owner)
    admin = _admin_headers(api, env)
    expect_status(api.get(f"/notes/{note['id']}", headers=admin), 200)
    expect_status(api.delete(f"/notes/{note['id']}", headers=admin), 204)
    expect_status(api.get(f"/notes/{note['id']}", headers=owner), 404)


@check(
    "The role comes from the database: a role claim in a token grants nothing, a role changed in the "
    "database counts at once",
    points=3,
    rules=["R5.8", "R8.2", "R8.3"],
    needs="user_forbidden_403",
    hint="Decide on the user's role as stored in users.role, read on every request: a claim in the "
    "token is frozen when it was issued (and anyone who holds the secret chooses it).",
)
def test_role_read_from_database(api, env, db):
    user, headers = _user_headers(api)
    claimed = mint(env, user.id, role="admin", roles=["admin"], scope="admin")
    response = api.get("/admin/users", headers=bearer(claimed))
    expect(
        response.status_code == 403,
        f'{describe(response)} with a token of a normal user carrying "role": "admin": expected 403, '
        f"got {response.status_code}.",
        expected="403",
        actual=f"{response.status_code} {response.text[:100]}",
        response=response,
    )
    # promoted behind the app's back, after the token was issued
    db.execute("UPDATE users SET role = 'admin' WHERE username = %s", (user.username,))
    response = api.get("/admin/users", headers=headers)
    expect(
        response.status_code == 200,
        f"{describe(response)} with a token issued before users.role became admin: expected 200, "
        f"got {response.status_code}.",
        expected="200",
        actual=f"{response.status_code} {response.text[:100]}",
        response=response,
    )


@check(
    "Errors (401, 403, 404, 409, 422) are JSON objects with a detail member",
    points=1,
    rules=["R2.1"],
    needs="notes_crud",
    hint='Raise HTTPException (or let FastAPI\'s validation answer): its body is {"detail": ...}. A '
    "custom handler must keep that shape for every error but the token endpoint's.",
)
def test_errors_have_detail(api):
    user, headers = _user_headers(api)
    _, other = _user_headers(api)
    note = _note(api, other)
    for response in (
        api.get("/users/me"),
        api.get("/admin/users", headers=headers),
        api.get(f"/notes/{note['id']}", headers=headers),
        api.post("/auth/register", json={"username": user.username, "password": "another long passphrase"}),
        api.post("/auth/register", json={"username": new_name(), "password": "short"}),
    ):
        try:
            body = response.json()
        except ValueError:
            body = None
        expect(
            isinstance(body, dict) and "detail" in body,
            f"{describe(response)} answered {response.status_code} without a JSON object with detail.",
            expected='{"detail": ...}',
            actual=response.text[:120],
            response=response,
        )
