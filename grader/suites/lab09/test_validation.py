"""Input validation (OWASP A03:2021 Injection, A07:2021 Authentication Failures)"""

import httpx
from lab09_kit import token

from grader.checks import check, describe, expect


def _register(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return client.post("/api/register", json={"username": username, "password": password})


@check(
    "Valid usernames and passwords are accepted",
    points=1,
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
