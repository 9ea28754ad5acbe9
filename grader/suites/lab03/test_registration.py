"""Registration and login"""

from __future__ import annotations

import secrets

from lab03_auth import (
    PASSWORD,
    median,
    new_name,
    password_grant,
    register,
    timed,
    tokens,
)

from grader.checks import check, describe, expect, expect_header, expect_status, json_body
from grader.concurrency import burst, statuses
from grader.pglock import while_locked


def _register(api, username: str, password: str, **extra: object):
    return api.post("/auth/register", json={"username": username, "password": password, **extra})


@check(
    "POST /auth/register creates a user and answers 201 with id, username and role",
    points=3,
    rules=["R3.1"],
    hint='Answer 201 with the new user\'s id, username and role "user"; never echo the password or its hash.',
)
def test_register_creates_user(api):
    username = new_name()
    response = _register(api, username, PASSWORD)
    expect_status(response, 201)
    body = json_body(response)
    expect(
        isinstance(body, dict) and body.get("username") == username and "id" in body,
        f"{describe(response)}: the answer should describe the new user.",
        expected=f'{{"id": ..., "username": "{username}", "role": "user"}}',
        actual=response.text[:160],
        response=response,
    )
    expect(
        body.get("role") == "user",
        f'{describe(response)}: a new user has the role "user".',
        expected='"role": "user"',
        actual=f"role: {body.get('role')!r}",
        response=response,
    )
    leaked = [key for key in body if "pass" in key.lower() or "hash" in key.lower()]
    expect(
        not leaked and PASSWORD not in response.text,
        f"{describe(response)}: the answer must not contain the password or its hash.",
        expected="id, username, role",
        actual=f"members {sorted(body)}",
        response=response,
    )


@check(
    "A taken username answers 409 Conflict",
    points=2,
    rules=["R3.4"],
    hint="Usernames are unique: let a UNIQUE constraint decide and turn its violation into 409.",
)
def test_duplicate_username_409(api):
    user = register(api)
    expect_status(_register(api, user.username, "another long passphrase"), 409)


@check(
    "Five simultaneous registrations of one username: exactly one 201, the others 409",
    points=2,
    rules=["R3.5"],
    needs="duplicate_username_409",
    alone=True,  # it holds a lock on `users` for a moment: other checks' registrations would wait on it
    hint='Checking "does the name exist?" and then inserting is a race: two requests both see it free. '
    "Rely on the database's UNIQUE constraint and catch its error (IntegrityError) as 409.",
)
def test_duplicate_race(api, db):
    username = new_name("race")
    # SHARE on `users` (R3.11) lets the app read and not insert: all five pass any "is the name free?"
    # SELECT before the first INSERT, so a check-then-insert is exposed every time, not by luck.
    results = while_locked(
        db,
        "users",
        "SHARE",
        lambda: burst(5, lambda i: _register(api, username, f"{PASSWORD} {i}")),
        ready=lambda waiting: waiting >= 5,
        what="the registrations to reach their INSERT",
    )
    outcomes = statuses(results)
    expect(
        outcomes.count(201) == 1 and outcomes.count(409) == 4,
        f"5 × POST /auth/register for {username!r} at the same moment: expected one 201 and four 409.",
        expected="[201, 409, 409, 409, 409] in any order",
        actual=str(sorted(map(str, outcomes))),
    )


@check(
    "Usernames that do not match ^[a-z0-9_]{3,32}$ are refused with 422",
    points=1,
    rules=["R3.3"],
    hint="Validate the username's form (pydantic Field(pattern=...)): lower-case letters, digits, "
    "underscore, 3 to 32 characters.",
)
def test_username_rules_422(api):
    for username in ("ab", "Upper_" + secrets.token_hex(3), "has space " + secrets.token_hex(2), "x" * 33):
        response = _register(api, username, PASSWORD)
        expect(
            response.status_code == 422,
            f"{describe(response)} with username {username!r}: expected 422, got {response.status_code}.",
            expected="422",
            actual=str(response.status_code),
            response=response,
        )


@check(
    "Passwords need 10 to 128 characters: 9 and 129 are refused with 422, 10 and 128 (non-ASCII too) pass",
    points=2,
    rules=["R3.6"],
    hint="Check the length of the password (in characters) before hashing it: at least 10 (NIST "
    'SP 800-63B), at most 128 (hashing megabytes of "password" is a denial of service).',
)
def test_password_length_limits(api):
    # 128 accented characters are 256 bytes in UTF-8: the limit counts characters
    cases = (("kq7#vmz!p", 422), ("x" * 129, 422), ("kq7#vmz!pw", 201), ("y" * 128, 201), ("é" * 128, 201))
    for password, status in cases:
        response = _register(api, new_name(), password)
        expect(
            response.status_code == status,
            f"{describe(response)} with a password of {len(password)} characters: expected {status}, "
            f"got {response.status_code}.",
            expected=str(status),
            actual=str(response.status_code),
            response=response,
        )


@check(
    "Passwords from app/common_passwords.txt are refused with 422, whatever their case",
    points=2,
    rules=["R3.7"],
    hint="Load the blocklist once and compare the password in lower case against it: attackers try "
    "these first (credential stuffing, dictionary attacks).",
)
def test_common_password_422(api):
    for password in ("password1234", "QwertyUiop", "1q2w3e4r5t"):
        response = _register(api, new_name(), password)
        expect(
            response.status_code == 422,
            f"{describe(response)} with the common password {password!r}: "
            f"expected 422, got {response.status_code}.",
            expected="422",
            actual=str(response.status_code),
            response=response,
        )


@check(
    "A password that contains the username is refused with 422",
    points=1,
    rules=["R3.8"],
    hint='Compare without regard to case: "Alice2024!!" for the user alice is the first guess.',
)
def test_username_in_password_422(api):
    username = new_name()
    response = _register(api, username, f"my name is {username.upper()}!")
    expect_status(response, 422)


@check(
    "Passphrases with spaces and Unicode, without digits or capitals, are accepted and work",
    points=2,
    rules=["R3.9"],
    # no needs: a registration refused for lack of a digit is this rule broken, not a missing prerequisite
    hint="No composition rules (NIST SP 800-63B 3.1.1.2): accept any characters, spaces included, "
    "and compare the password exactly as it was sent (no trimming, no normalisation surprises).",
)
def test_passphrases_welcome(api):
    for password in ("correct horse battery staple", "Ünïcødé pässwörd ✓ 🔑", "  spaces around it  "):
        username = new_name()
        expect_status(_register(api, username, password), 201)
        response = password_grant(api, username, password)
        expect(
            response.status_code == 200,
            f"{describe(response)}: logging in with the password {password!r} "
            f"it was registered with should work, got {response.status_code}.",
            expected="200",
            actual=f"{response.status_code} {response.text[:100]}",
            response=response,
        )


@check(
    "A role sent at registration is ignored: the new user is not an admin",
    points=3,
    rules=["R3.2", "R3.11"],
    hint="Mass assignment: never copy client-chosen fields such as role into the model. Take only "
    "username and password from the body.",
)
def test_role_not_client_chosen(api, db):
    username = new_name("sneaky")
    response = _register(api, username, PASSWORD, role="admin", is_admin=True)
    expect_status(response, 201, 422)
    if response.status_code == 422:
        return
    body = json_body(response)
    expect(
        body.get("role") == "user",
        f'{describe(response)} with "role": "admin": the answer says role {body.get("role")!r}.',
        expected='"role": "user"',
        actual=response.text[:120],
        response=response,
    )
    row = db.execute("SELECT role FROM users WHERE username = %s", (username,)).fetchone()
    expect(
        row is not None and row[0] == "user",
        f'users.role of {username!r} is {row[0] if row else None!r} after registering with "role": "admin".',
        expected="user",
        actual=str(row[0] if row else None),
    )


@check(
    "POST /auth/token (form-encoded, grant_type=password) answers the OAuth2 token response",
    points=3,
    rules=["R4.1", "R4.2"],
    hint='RFC 6749 4.3 and 5.1: read a form (not JSON), answer access_token, token_type "bearer", '
    "expires_in and refresh_token, with Cache-Control: no-store. The access token must work on "
    "GET /users/me.",
)
def test_token_password_grant(api, env):
    user = register(api)
    response = password_grant(api, user.username, user.password)
    expect_status(response, 200)
    expect_header(response, "Cache-Control", contains="no-store")
    body = tokens(api, user)
    expect(
        str(body.get("token_type", "")).lower() == "bearer",
        'token_type should be "bearer".',
        expected="bearer",
        actual=repr(body.get("token_type")),
    )
    expect(
        body.get("expires_in") == int(env["ACCESS_TOKEN_TTL"]),
        f"expires_in should be ACCESS_TOKEN_TTL ({env['ACCESS_TOKEN_TTL']}).",
        expected=env["ACCESS_TOKEN_TTL"],
        actual=repr(body.get("expires_in")),
    )
    me = api.get("/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    expect_status(me, 200)
    expect(
        json_body(me).get("username") == user.username,
        f"{describe(me)}: expected the logged-in user.",
        expected=user.username,
        actual=me.text[:120],
        response=me,
    )


@check(
    "A wrong password and an unknown user both answer 400 invalid_grant",
    points=2,
    rules=["R4.3"],
    hint='RFC 6749 5.2: failed credentials are 400 with a JSON body {"error": "invalid_grant"}.',
)
def test_bad_credentials_invalid_grant(api):
    user = register(api)
    tokens(api, user)  # the right password logs in: an endpoint that refuses everything proves nothing
    for username, password in ((user.username, "not the right passphrase"), (new_name("ghost"), PASSWORD)):
        response = password_grant(api, username, password)
        expect_status(response, 400)
        body = json_body(response)
        expect(
            isinstance(body, dict) and body.get("error") == "invalid_grant",
            f'{describe(response)}: expected {{"error": "invalid_grant"}}.',
            expected="invalid_grant",
            actual=response.text[:120],
            response=response,
        )


@check(
    "Wrong password and unknown user get exactly the same answer",
    points=3,
    rules=["R4.4"],
    needs="bad_credentials_invalid_grant",
    hint='"No such user" versus "wrong password" tells an attacker which accounts exist. Use one '
    "message for every failed login.",
)
def test_no_user_enumeration(api):
    user = register(api)
    wrong = password_grant(api, user.username, "not the right passphrase")
    ghost = password_grant(api, new_name("ghost"), "not the right passphrase")
    expect(
        wrong.status_code == ghost.status_code and json_body(wrong) == json_body(ghost),
        "a wrong password and an unknown username should get the same status and body.",
        expected=f"{wrong.status_code} {wrong.text[:80]}",
        actual=f"{ghost.status_code} {ghost.text[:80]}",
        response=ghost,
    )


@check(
    "An unknown user takes about as long to refuse as a wrong password",
    points=2,
    rules=["R4.5"],
    needs="no_user_enumeration",
    hint="Verifying a password is slow on purpose; skipping it for unknown users makes them answer "
    "much faster, which tells an attacker who exists. Verify against a dummy hash instead.",
)
def test_login_timing(api):
    users = [register(api) for _ in range(3)]
    known: list[float] = []
    unknown: list[float] = []
    for i in range(6):  # interleaved, so that a busy machine slows both sides alike
        seconds, response = timed(
            lambda i=i: password_grant(api, users[i % 3].username, f"wrong guess {i} !!")
        )
        expect_status(response, 400)
        known.append(seconds)
        seconds, response = timed(lambda: password_grant(api, new_name("ghost"), "wrong guess !!"))
        expect_status(response, 400)
        unknown.append(seconds)
    fast, slow = median(unknown), median(known)
    expect(
        fast >= slow / 2,
        f"unknown users are refused in {fast * 1000:.0f} ms, wrong passwords in "
        f"{slow * 1000:.0f} ms (medians of 6): the difference reveals which users exist.",
        expected="similar times (within a factor of two)",
        actual=f"{fast * 1000:.0f} ms vs {slow * 1000:.0f} ms",
    )
