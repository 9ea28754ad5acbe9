"""Accounts and sessions (the API every attack check builds on)"""

from lab09_kit import logged_in_as, register

from grader.checks import check, describe, expect, expect_status, json_body

OWN_FIELDS = {"id", "username", "display_name", "bio", "website", "is_admin"}


@check(
    "GET /api/me shows the logged-in user; POST /api/logout ends the session",
    points=1,
    rules=["R3.1", "R3.6", "R3.7"],
    hint="GET /api/me answers 401 without a session and 200 with exactly id, username, display_name, bio, "
    "website and is_admin with one; POST /api/logout answers 204 and the client is no longer logged in.",
)
def test_me_and_logout(api):
    anonymous = api.get("/api/me")
    expect_status(anonymous, 401)
    user = register(api)
    me = api.get("/api/me")
    expect_status(me, 200)
    body = json_body(me)
    wanted = {"id": user.id, "username": user.username, "display_name": "", "bio": "", "website": ""}
    expect(
        isinstance(body, dict)
        and set(body) == OWN_FIELDS
        and {key: body.get(key) for key in wanted} == wanted
        and body.get("is_admin") is False,
        f"{describe(me)}: a new user should be exactly {sorted(OWN_FIELDS)}, empty profile, not an admin.",
        expected={**wanted, "is_admin": False},
        actual=me.text[:200],
        response=me,
    )
    out = api.post("/api/logout")
    expect_status(out, 204)
    after = api.get("/api/me")
    expect(
        after.status_code == 401,
        f"after POST /api/logout, {describe(after)} answered {after.status_code}.",
        expected="401",
        actual=str(after.status_code),
        response=after,
    )


def _altered(value: str, near: int) -> str:
    """The value with the alphanumeric character nearest to `near` changed. Never the last character:
    the end of a base64 text may hold padding bits only, and a cookie decoded from it would not change."""
    for at in [*range(near, len(value) - 1), *range(min(near, len(value) - 1) - 1, -1, -1)]:
        if value[at].isalnum():
            swapped = "b" if value[at] == "a" else "a"
            return value[:at] + swapped + value[at + 1 :]
    return value + "a"


@check(
    "Logout ends the session on the server: a copy of the cookie is refused afterwards",
    points=3,
    rules=["R3.19"],
    needs=["me_and_logout"],
    hint="Clearing the browser's cookie is not a logout: whoever copied the cookie before (a shared "
    "computer, a proxy log, malware) is still logged in. Keep the session on the server (an opaque random "
    "id in the cookie, the session in the database) and delete it at logout.",
)
def test_logout_ends_session_on_server(api, new_api):
    user = register(api)
    copied = [(cookie.name, cookie.value) for cookie in api.cookies.jar]

    def replay(cookies: list[tuple[str, str]]) -> dict | None:
        client = new_api()
        for name, value in cookies:
            client.cookies.set(name, value)
        return logged_in_as(client)

    before = replay(copied)
    expect(
        before is not None and before.get("username") == user.username,
        "a fresh client holding a copy of the session cookie should be logged in before the logout.",
        expected=f"GET /api/me: 200 {user.username}",
        actual=f"{before}",
    )
    # in its middle and next to its end: an app that checks only part of the cookie accepts one of them
    for where, near in (("in its middle", lambda v: len(v) // 2), ("next to its end", lambda v: len(v) - 2)):
        altered = replay([(name, _altered(value, near(value))) for name, value in copied])
        expect(
            altered is None,
            f"a session cookie with one character {where} changed was accepted.",
            expected="GET /api/me: 401",
            actual=f"200 {altered}",
        )
    out = api.post("/api/logout")
    expect_status(out, 204)
    after = replay(copied)
    expect(
        after is None,
        f"after POST /api/logout, a copy of the session cookie taken before it still logged in as "
        f"{(after or {}).get('username')!r}: the logout only told the browser to forget the cookie.",
        expected="GET /api/me with the old cookie: 401",
        actual=f"200 {after}",
    )
