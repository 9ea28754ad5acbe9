"""Open redirect after login (OWASP A01:2021 Broken Access Control)"""

import httpx
from lab09_kit import ATTACKER, User, browser_location, form_login, origin_of, register

from grader.checks import check, describe, expect, expect_status


def _user(new_api) -> User:
    return register(new_api())


def _expect_stays_here(new_api, user: User, targets: list[str]) -> None:
    for target in targets:
        client = new_api()
        response = form_login(client, user.username, user.password, next_path=target)
        expect_status(response, 303)
        location = response.headers.get("location", "")
        lands = browser_location(location, origin_of(client))
        expect(
            lands == origin_of(client).lower(),
            f"{describe(response)} with next={target!r} sends the browser to {lands} "
            f"(Location: {location!r}).",
            expected="a Location on this site (e.g. /)",
            actual=location,
            response=response,
        )


@check(
    "After login the form goes back to the page given in next",
    points=1,
    rules=["R5.3"],
    hint="POST /login with next=/notes/new answers 303 with Location: /notes/new; without next, Location: /.",
)
def test_next_path_followed(new_api):
    user = _user(new_api)
    for target, wanted in (
        ("/notes/new", "/notes/new"),
        ("/search?q=a%20b", "/search?q=a%20b"),
        ("/users/" + user.username, "/users/" + user.username),
    ):
        client: httpx.Client = new_api()
        response = form_login(client, user.username, user.password, next_path=target)
        expect_status(response, 303)
        location = response.headers.get("location", "")
        expect(
            location in (wanted, origin_of(client) + wanted),
            f"{describe(response)} with next={target!r}: expected Location {wanted}.",
            expected=wanted,
            actual=location,
            response=response,
        )
    response = form_login(new_api(), user.username, user.password)
    expect_status(response, 303)


@check(
    "next cannot send the user to another site",
    points=2,
    rules=["R5.3"],
    needs=["next_path_followed"],
    hint="Accept only a path on this site: it starts with a single /. Anything else (a full URL, another "
    "scheme) falls back to /.",
)
def test_absolute_url_refused(new_api):
    _expect_stays_here(
        new_api,
        _user(new_api),
        [
            f"http://{ATTACKER}/login",
            f"https://{ATTACKER}/",
            f"HTTP://{ATTACKER}/",
            f"https:{ATTACKER}",
            "javascript:alert(document.cookie)",
        ],
    )


@check(
    "Scheme-relative URLs (//host) are refused",
    points=2,
    rules=["R5.3"],
    needs=["next_path_followed"],
    hint="//attacker.example/ starts with a slash and is still another site: the browser keeps the "
    "scheme and changes the host.",
)
def test_scheme_relative_refused(new_api):
    _expect_stays_here(new_api, _user(new_api), [f"//{ATTACKER}/", f"///{ATTACKER}/", f"////{ATTACKER}"])


@check(
    "Browser quirks (backslashes, tabs) do not open a redirect",
    points=2,
    rules=["R5.3"],
    needs=["next_path_followed"],
    hint="Browsers read \\ as / in URLs and drop tabs and newlines: /\\host and /<tab>/host are //host. "
    "Refuse backslashes and control characters rather than trying to normalise them.",
)
def test_browser_quirks_refused(new_api):
    _expect_stays_here(
        new_api,
        _user(new_api),
        [
            f"/\\{ATTACKER}/",
            f"\\\\{ATTACKER}/",
            f"/\t/{ATTACKER}/",
            f"/\n/{ATTACKER}/",
            f" //{ATTACKER}/",
            f"\\/{ATTACKER}/",
        ],
    )
