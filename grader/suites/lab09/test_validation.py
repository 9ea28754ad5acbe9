"""Input validation (OWASP A03:2021 Injection, A07:2021 Authentication Failures)"""

import httpx
from lab09_kit import register, token

from grader.checks import check, describe, expect, json_body, require_status


def _register(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return client.post("/api/register", json={"username": username, "password": password})


@check(
    "Valid usernames and passwords are accepted",
    points=1,
    rules=["R3.1", "R3.2", "R3.3"],
    hint="POST /api/register accepts 3 to 32 characters of a-z, 0-9 and _ as the username and a "
    "password of 8 to 128 characters (201).",
)
def test_valid_registration_accepted(new_api):
    for username, password in (
        (f"a{token(1)}", "12345678"),
        (f"x_{token(14)}"[:32], "p" * 128),
        (f"{token(2)}_9", "correct horse battery staple"),
    ):
        response = _register(new_api(), username, password)
        expect(
            response.status_code == 201,
            f"{describe(response)} with username {username!r} and a {len(password)}-character password "
            f"answered {response.status_code}.",
            expected="201",
            actual=str(response.status_code),
            response=response,
        )


@check(
    "Usernames outside a-z, 0-9 and _ (3 to 32 characters) are refused",
    points=2,
    rules=["R3.2"],
    needs=["valid_registration_accepted"],
    hint="Validate on the server with an allowlist pattern: ^[a-z0-9_]{3,32}$; 422 otherwise. A username "
    "is shown on every page and in URLs: keep it boring.",
)
def test_username_rules(api, db):
    for username in (
        "ab",
        "a" * 33,
        "Alice_" + token(2),
        f"bob {token(2)}",
        f"<b>{token(2)}</b>",
        f"o'neil_{token(2)}",
        f"ann/{token(2)}",
        "",
        f"{token(2)}\u00e9",
        f"nl_{token(2)}\n",  # Python's re $ matches before a final newline: match the whole string
    ):
        response = _register(api, username, "valid-password-1")
        expect(
            response.status_code == 422,
            f"{describe(response)} with username {username!r} answered {response.status_code}.",
            expected="422",
            actual=str(response.status_code),
            response=response,
        )
        row = db.execute("SELECT 1 FROM users WHERE username = %s", (username,)).fetchone()
        expect(row is None, f"the invalid username {username!r} was stored.", expected="no row")


@check(
    "Passwords shorter than 8 or longer than 128 characters are refused",
    points=2,
    rules=["R3.3"],
    needs=["valid_registration_accepted"],
    hint="Too short is guessable; unbounded length lets one request keep a slow hash busy. 422 outside "
    "8 to 128 characters.",
)
def test_password_length(api):
    for password in ("", "1234567", "p" * 129, "p" * 5000):
        response = _register(api, f"pw_{token()}", password)
        expect(
            response.status_code == 422,
            f"{describe(response)} with a {len(password)}-character password "
            f"answered {response.status_code}.",
            expected="422",
            actual=str(response.status_code),
            response=response,
        )


@check(
    "A taken username is refused with 409 and the account keeps its password",
    points=1,
    rules=["R3.4"],
    hint="Usernames are unique: a second POST /api/register with the same name answers 409 and changes "
    "nothing (let the unique constraint decide, and turn its error into 409).",
)
def test_taken_username_refused(new_api):
    username = f"taken_{token()}"
    first = _register(new_api(), username, "first-password")
    require_status(first, 201, purpose="register a user")
    again = new_api()
    second = _register(again, username, "second-password")
    expect(
        second.status_code == 409,
        f"{describe(second)} with the taken username {username!r} answered {second.status_code}.",
        expected="409",
        actual=str(second.status_code),
        response=second,
    )
    for password, status in (("first-password", 200), ("second-password", 401)):
        login = new_api().post("/api/login", json={"username": username, "password": password})
        expect(
            login.status_code == status,
            f"{describe(login)} as {username} with the {password.split('-')[0]} password answered "
            f"{login.status_code}: the refused registration must not change the account.",
            expected=str(status),
            actual=str(login.status_code),
            response=login,
        )


@check(
    "Profile fields are accepted up to their limits and refused past them",
    points=2,
    rules=["R3.8", "R3.9"],
    hint="display_name up to 50 characters, bio up to 500, website up to 200 (and empty or http(s)): "
    "characters, not bytes. One more is 422, and a refused request changes nothing.",
)
def test_profile_field_limits(api):
    register(api)
    base = "https://localhost/"
    accepted = {
        "display_name": "\u00e9" * 50,  # 50 characters, 100 bytes in UTF-8
        "bio": "b" * 500,
        "website": base + "a" * (200 - len(base)),
    }
    refused = {
        "display_name": "d" * 51,
        "bio": "b" * 501,
        "website": base + "a" * (201 - len(base)),
    }
    for field, value in accepted.items():
        response = api.patch("/api/me", json={field: value})
        expect(
            response.status_code == 200 and json_body(response).get(field) == value,
            f"{describe(response)} with a {len(value)}-character {field} answered {response.status_code}.",
            expected="200 with the value saved",
            actual=f"{response.status_code} {response.text[:80]}",
            response=response,
        )
    before = api.get("/api/me")
    require_status(before, 200, purpose="read the profile")
    for field, value in [*refused.items(), ("website", "ftp://localhost/file"), ("website", "localhost")]:
        response = api.patch("/api/me", json={field: value})
        expect(
            response.status_code == 422,
            f"{describe(response)} with {field} of {len(value)} characters ({value[:24]}…) answered "
            f"{response.status_code}.",
            expected="422",
            actual=str(response.status_code),
            response=response,
        )
    after = api.get("/api/me")
    expect(
        after.status_code == 200 and json_body(after) == json_body(before),
        "a refused PATCH /api/me changed the profile.",
        expected=before.text[:120],
        actual=after.text[:120],
        response=after,
    )
    cleared = api.patch("/api/me", json={"website": ""})
    expect(
        cleared.status_code == 200 and json_body(cleared).get("website") == "",
        f"{describe(cleared)} with an empty website answered {cleared.status_code}: empty is allowed.",
        expected="200, website empty",
        actual=f"{cleared.status_code} {cleared.text[:80]}",
        response=cleared,
    )
