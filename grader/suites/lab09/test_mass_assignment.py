"""Mass assignment and exposed properties (API3:2023 BOPLA, API5:2023 BFLA)"""

from lab09_kit import api_login, find_form, get_page, logged_in_as, origin_of, register, submit, token

from grader.checks import check, describe, expect, expect_status, json_body

PUBLIC_FIELDS = {"id", "username", "display_name", "bio", "website"}


def _is_admin(db, user_id: int) -> bool:
    row = db.execute("SELECT is_admin FROM users WHERE id = %s", (user_id,)).fetchone()
    return bool(row and row[0])


@check(
    "Users edit their display name, bio and website",
    points=2,
    rules=["R3.8", "R5.4"],
    hint="PATCH /api/me with any of display_name, bio, website changes them and answers 200 with the "
    "user; the profile form does the same.",
)
def test_profile_update_works(api):
    register(api)
    fields = {"display_name": f"Ada {token(3)}", "bio": "Writes notes.", "website": "https://localhost/ada"}
    response = api.patch("/api/me", json=fields)
    expect_status(response, 200)
    me = logged_in_as(api) or {}
    for key, value in fields.items():
        expect(
            me.get(key) == value,
            f"after PATCH /api/me, {key} should be {value!r}.",
            expected=value,
            actual=me.get(key),
            response=response,
        )
    partial = api.patch("/api/me", json={"bio": "Only the bio."})
    expect_status(partial, 200)
    me = logged_in_as(api) or {}
    expect(
        me.get("display_name") == fields["display_name"] and me.get("bio") == "Only the bio.",
        "PATCH /api/me with only bio should change the bio and keep the display name.",
        expected=f"{fields['display_name']!r}, 'Only the bio.'",
        actual=f"{me.get('display_name')!r}, {me.get('bio')!r}",
    )
    formed = submit(api, "/profile", "/profile", {"display_name": "Formed", "bio": "b", "website": ""})
    expect_status(formed, 303)
    expect((logged_in_as(api) or {}).get("display_name") == "Formed", "the profile form did not save.")


@check(
    "Only admins see the user list",
    points=2,
    rules=["R1.4", "R3.12"],
    hint="GET /api/admin/users answers 200 to an admin, 403 to other users and 401 without a session: "
    "check the role (users.is_admin, as it is now) on the server for every admin route.",
)
def test_admin_list_for_admins_only(api, new_api, lab, db):
    expect_status(new_api().get("/api/admin/users"), 401)
    user = register(api)
    expect_status(api.get("/api/admin/users"), 403)
    admin = new_api()
    expect_status(api_login(admin, lab.app.env["ADMIN_USERNAME"], lab.app.env["ADMIN_PASSWORD"]), 200)
    response = admin.get("/api/admin/users")
    expect_status(response, 200)
    users = json_body(response)
    expect(
        isinstance(users, list) and all(isinstance(row, dict) for row in users),
        f"{describe(response)}: expected a JSON list of users.",
        response=response,
    )
    mine = [row for row in users if row.get("id") == user.id]
    expect(
        len(mine) == 1 and set(mine[0]) == {"id", "username", "is_admin"} and mine[0]["is_admin"] is False,
        f"{describe(response)}: the list should hold {{id, username, is_admin}} for every user, "
        f"{user.username} included.",
        expected={"id": user.id, "username": user.username, "is_admin": False},
        actual=mine[0] if mine else "absent",
        response=response,
    )
    # The role is users.is_admin now, not a name or a claim fixed at login: promote behind the app's back.
    db.execute("UPDATE users SET is_admin = true WHERE id = %s", (user.id,))
    try:
        promoted = api.get("/api/admin/users")
    finally:
        db.execute("UPDATE users SET is_admin = false WHERE id = %s", (user.id,))
    expect(
        promoted.status_code == 200,
        f"{describe(promoted)} answered {promoted.status_code} to a user made admin in the database.",
        expected="200 (is_admin is read from users at each request)",
        actual=str(promoted.status_code),
        response=promoted,
    )


@check(
    "A user cannot make themselves admin through PATCH /api/me",
    points=4,
    rules=["R3.10"],
    needs=["profile_update_works", "admin_list_for_admins_only"],
    hint="Binding the whole request body to the user row lets the client set any column. Accept only "
    "the editable fields (an explicit model), refuse or ignore the rest.",
)
def test_admin_flag_via_api_refused(api, db):
    user = register(api, "mallory")
    for body in ({"display_name": "Mallory", "is_admin": True}, {"is_admin": "true"}, {"is_admin": 1}):
        response = api.patch("/api/me", json=body)
        expect(
            response.status_code in (200, 422),
            f"{describe(response)} answered {response.status_code}.",
            expected="200 (extra fields ignored) or 422 (refused)",
            actual=str(response.status_code),
            response=response,
        )
        expect(
            not _is_admin(db, user.id),
            f"{describe(response)} with {body} made the user an admin.",
            expected="is_admin still false",
            actual="is_admin = true",
            response=response,
        )
    expect_status(api.get("/api/admin/users"), 403)


@check(
    "A user cannot make themselves admin through the profile form",
    points=3,
    rules=["R3.10"],
    needs=["profile_update_works", "admin_list_for_admins_only"],
    hint="The form handler must read the fields it expects, not copy every posted field into the row.",
)
def test_admin_flag_via_form_refused(api, db):
    user = register(api, "mallory")
    form = find_form(get_page(api, "/profile"), "/profile")
    response = api.post(
        "/profile",
        headers={"Origin": origin_of(api)},
        data={**form.fields, "display_name": "Mallory", "bio": "", "website": "", "is_admin": "true"},
    )
    expect(
        response.status_code in (303, 400, 422),
        f"{describe(response)} answered {response.status_code}.",
        expected="303 (extra field ignored) or 400/422",
        actual=str(response.status_code),
        response=response,
    )
    expect(
        not _is_admin(db, user.id),
        f"{describe(response)} with is_admin=true made the user an admin.",
        expected="is_admin still false",
        actual="is_admin = true",
        response=response,
    )


@check(
    "Read-only fields (username, id, password_hash) cannot be set through PATCH /api/me",
    points=2,
    rules=["R3.10"],
    needs=["profile_update_works"],
    hint="Refusing only is_admin is a blacklist: list what may change instead.",
)
def test_read_only_fields_refused(api, db):
    user = register(api, "mallory")
    before = db.execute("SELECT id, username, password_hash FROM users WHERE id = %s", (user.id,)).fetchone()
    new_name = f"renamed_{token()}"
    for body in (
        {"username": new_name},
        {"password_hash": "0" * 32},
        {"id": user.id + 100000},
        {"created_at": "2000-01-01T00:00:00Z"},
    ):
        response = api.patch("/api/me", json=body)
        expect(
            response.status_code in (200, 422),
            f"{describe(response)} answered {response.status_code}.",
            expected="200 (ignored) or 422",
            actual=str(response.status_code),
            response=response,
        )
        after = db.execute(
            "SELECT id, username, password_hash FROM users WHERE id = %s", (user.id,)
        ).fetchone()
        expect(
            after == before,
            f"{describe(response)} with {body} changed the user row.",
            expected=str(before[:2]),
            actual=str(after[:2] if after else "the row is gone"),
            response=response,
        )
    expect_status(api_login(api, user.username, user.password), 200)


@check(
    "A user's public profile does not expose the password hash or the role",
    points=3,
    rules=["R3.11"],
    hint="GET /api/users/{id} returns the public fields (id, username, display_name, bio, website) "
    "and nothing else: choose the fields of the answer, do not send the row.",
)
def test_public_profile_hides_secrets(api, new_api, db):
    user = register(new_api())
    stored = db.execute("SELECT password_hash FROM users WHERE id = %s", (user.id,)).fetchone()[0]
    response = api.get(f"/api/users/{user.id}")
    expect_status(response, 200)
    body = json_body(response)
    expect(
        isinstance(body, dict) and body.get("username") == user.username,
        f"{describe(response)}: expected the user {user.username}.",
        response=response,
    )
    extra = set(body) - PUBLIC_FIELDS
    expect(
        stored not in response.text and not extra,
        f"{describe(response)} exposes fields beyond the public profile: {sorted(extra)}.",
        expected=sorted(PUBLIC_FIELDS),
        actual=sorted(body),
        response=response,
    )
