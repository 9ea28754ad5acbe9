"""Cookie sessions"""

from __future__ import annotations

import secrets
import time
from email.utils import parsedate_to_datetime

from lab03_auth import (
    expect_not_stored,
    new_session,
    register,
    session_cookie,
    session_header,
    session_login,
    set_cookies,
)

from grader.checks import check, describe, expect, expect_status, json_body

NEEDS = "sessions::session_login_works"


def me_status(api, session_id: str) -> int:
    return api.get("/users/me", headers=session_header(session_id)).status_code


@check(
    "POST /auth/session sets a session cookie (Path=/) that authenticates GET /users/me",
    points=3,
    rules=["R7.1", "R2.2"],
    hint="Create a random session id, keep it on the server with the user and an expiry, and send it "
    'with response.set_cookie("session", ..., path="/").',
)
def test_session_login_works(api):
    user = register(api)
    response = session_login(api, user.username, user.password)
    expect_status(response, 200)
    expect(
        json_body(response).get("username") == user.username,
        f"{describe(response)}: expected the user.",
        expected=user.username,
        actual=response.text[:100],
        response=response,
    )
    cookie = session_cookie(response)
    expect(
        cookie.attributes.get("path") == "/",
        "the session cookie should have Path=/ (else the browser keeps it from the other endpoints).",
        expected="Path=/",
        actual=cookie.raw,
    )
    me = api.get("/users/me", headers=session_header(cookie.value))
    expect_status(me, 200)
    expect(
        json_body(me).get("username") == user.username,
        f"{describe(me)}: expected the session's user.",
        expected=user.username,
        actual=me.text[:100],
        response=me,
    )


def _attributes(api):
    user = register(api)
    response = session_login(api, user.username, user.password)
    expect_status(response, 200)
    return session_cookie(response)


@check(
    "The session cookie is HttpOnly",
    points=2,
    rules=["R7.2"],
    hint="HttpOnly keeps the cookie away from JavaScript, so an XSS cannot steal the session.",
)
def test_cookie_httponly(api):
    cookie = _attributes(api)
    expect(
        "httponly" in cookie.attributes,
        "the session cookie lacks HttpOnly.",
        expected="HttpOnly",
        actual=cookie.raw,
    )


@check(
    "The session cookie is Secure",
    points=2,
    rules=["R7.3"],
    hint="Secure: the browser never sends it over plain http, where anyone on the network reads it.",
)
def test_cookie_secure(api):
    cookie = _attributes(api)
    expect(
        "secure" in cookie.attributes,
        "the session cookie lacks Secure.",
        expected="Secure",
        actual=cookie.raw,
    )


@check(
    "The session cookie is SameSite=Lax or Strict",
    points=2,
    rules=["R7.4"],
    hint="SameSite=Lax keeps the cookie off cross-site POSTs: the first line of defence against CSRF.",
)
def test_cookie_samesite(api):
    cookie = _attributes(api)
    value = cookie.attributes.get("samesite", "").lower()
    expect(
        value in ("lax", "strict"),
        "the session cookie should be SameSite=Lax or Strict.",
        expected="SameSite=Lax",
        actual=cookie.raw,
    )


@check(
    "Session ids are long and random: two logins get different ids of 22+ characters",
    points=1,
    rules=["R7.6"],
    hint="Use secrets.token_urlsafe(32): at least 128 bits from a cryptographic random source.",
)
def test_session_id_random(api):
    user = register(api)
    first, second = new_session(api, user), new_session(api, user)
    expect(
        first != second and min(len(first), len(second)) >= 22,
        "two logins should get two different session ids of at least 22 characters.",
        expected="two random ids",
        actual=f"{first!r}, {second!r}",
    )


@check(
    "A session id planted before login is not adopted (session fixation)",
    points=3,
    rules=["R7.9"],
    needs=NEEDS,
    hint="Always generate a new id at login, whatever cookie the request carried; an attacker who "
    "planted an id in the victim's browser must not get a logged-in session.",
)
def test_planted_id_not_adopted(api):
    user = register(api)
    planted = secrets.token_urlsafe(32)
    issued = new_session(api, user, cookie=planted)
    expect(
        issued != planted,
        "the login kept the session id the request brought.",
        expected="a new id",
        actual=issued,
    )
    status = me_status(api, planted)
    expect(
        status == 401,
        f"GET /users/me with the planted id after the victim logged in: got {status}.",
        expected="401",
        actual=str(status),
    )


@check(
    "Logging in again ends the session the browser had and issues a new id",
    points=2,
    rules=["R7.10"],
    needs=NEEDS,
    hint="When the login request carries a valid session cookie, delete that session before creating "
    "the new one: one browser, one live session id.",
)
def test_relogin_rotates(api):
    user = register(api)
    old = new_session(api, user)
    new = new_session(api, user, cookie=old)
    expect(new != old, "a second login kept the same session id.", expected="a new id", actual=new)
    expect(
        me_status(api, old) == 401,
        "the previous session still works after logging in again.",
        expected="401 with the old id",
        actual=str(me_status(api, old)),
    )
    expect(
        me_status(api, new) == 200,
        "the new session does not work.",
        expected="200",
        actual=str(me_status(api, new)),
    )


@check(
    "POST /auth/session/logout deletes the session on the server",
    points=3,
    rules=["R7.11", "R2.3"],
    needs=NEEDS,
    hint="Deleting the cookie in the browser is not enough: someone who copied it can still use it. "
    "Delete the session server-side; the old id must answer 401.",
)
def test_logout_invalidates(api):
    user = register(api)
    session_id = new_session(api, user)
    expect_status(api.post("/auth/session/logout", headers=session_header(session_id)), 204)
    status = me_status(api, session_id)
    expect(
        status == 401,
        f"the session id sent again by hand after logout got {status}.",
        expected="401",
        actual=str(status),
    )


@check(
    "Logout clears the cookie in the browser (Max-Age=0 or an Expires in the past)",
    points=1,
    rules=["R7.12"],
    hint='response.delete_cookie("session", path="/") with the same attributes as when it was set.',
)
def test_logout_clears_cookie(api):
    user = register(api)
    session_id = new_session(api, user)
    response = api.post("/auth/session/logout", headers=session_header(session_id))
    expect_status(response, 204)
    cookies = [c for c in set_cookies(response) if c.name == "session"]
    expect(
        bool(cookies) and removes(cookies[0]),
        f"{describe(response)}: expected a Set-Cookie that removes the session cookie.",
        expected='Set-Cookie: session=""; Max-Age=0; Path=/',
        actual="; ".join(response.headers.get_list("set-cookie")) or "no Set-Cookie",
        response=response,
    )


def removes(cookie) -> bool:
    if cookie.attributes.get("max-age", "").strip() in ("0", "-1"):
        return True
    try:
        expires = parsedate_to_datetime(cookie.attributes.get("expires", ""))
    except (TypeError, ValueError):
        return False
    return expires.timestamp() <= time.time() + 1


@check(
    "Session ids are stored only as hashes",
    points=1,
    rules=["R7.8"],
    hint="Like refresh tokens: keep sha256(session id) in the table, so a leaked table opens no session.",
)
def test_session_stored_hashed(api, db):
    user = register(api)
    expect_not_stored(db, new_session(api, user), "session id")
