"""OpenID Connect login (extra credit)"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from lab03_auth import session_cookie, session_header, set_cookies
from lab03_oidc import Provider, other_key

from grader.checks import check, describe, expect, expect_status, fail, json_body

NEEDS = "oidc::login_works"


@dataclass
class Browser:
    """What a browser keeps between GET /auth/oidc/login and the callback."""

    params: dict[str, str]  # the authorization request's query
    cookies: dict[str, str]  # what the app set, sent back by hand (Secure cookies over plain http)

    def header(self) -> dict[str, str]:
        return (
            {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
            if self.cookies
            else {}
        )


def start_login(api: httpx.Client, provider: Provider) -> Browser:
    response = api.get("/auth/oidc/login")
    expect(
        response.status_code in (302, 303, 307),
        f"{describe(response)}: expected a redirect to the provider.",
        expected=f"302 with Location: {provider.issuer}/authorize?...",
        actual=f"{response.status_code} {response.text[:100]}",
        response=response,
    )
    location = response.headers.get("location", "")
    split = urlsplit(location)
    expect(
        location.startswith(f"{provider.issuer}/authorize"),
        f"{describe(response)}: the redirect should go to "
        "the authorization_endpoint of the discovery document.",
        expected=f"{provider.issuer}/authorize?...",
        actual=location[:120],
        response=response,
    )
    params = {name: values[0] for name, values in parse_qs(split.query).items()}
    cookies = {c.name: c.value for c in set_cookies(response) if c.attributes.get("max-age") != "0"}
    return Browser(params, cookies)


def callback(api: httpx.Client, browser: Browser, code: str, state: str | None = None) -> httpx.Response:
    redirect_path = urlsplit(browser.params.get("redirect_uri", "")).path or "/auth/oidc/callback"
    return api.get(
        redirect_path,
        params={"code": code, "state": state or browser.params.get("state", "")},
        headers=browser.header(),
    )


def logged_in(api: httpx.Client, response: httpx.Response) -> dict[str, Any]:
    expect(
        response.status_code in (200, 302, 303),
        f"{describe(response)}: the login should succeed.",
        expected="200 (or a redirect) with a session cookie",
        actual=f"{response.status_code} {response.text[:100]}",
        response=response,
    )
    me = api.get("/users/me", headers=session_header(session_cookie(response).value))
    expect_status(me, 200)
    return json_body(me)


def expect_refused(response: httpx.Response, what: str) -> None:
    expect(
        response.status_code in (400, 401),
        f"{describe(response)} with {what}: expected 400 or 401, got {response.status_code}.",
        expected="400 and no session",
        actual=f"{response.status_code} {response.text[:80]}",
        response=response,
    )
    if any(
        c.name == "session" and c.value and c.attributes.get("max-age") != "0" for c in set_cookies(response)
    ):
        fail(
            f"{describe(response)} with {what}: the app set a session cookie anyway.",
            expected="no session",
            actual="; ".join(response.headers.get_list("set-cookie")),
            response=response,
        )


@check(
    "GET /auth/oidc/login redirects with response_type=code, state, nonce and a PKCE S256 challenge",
    points=1,
    rules=["R11.1", "R11.2"],
    extra=True,
    # kept although the check registers nobody: `--only oidc` must still grade a required check, or a
    # selection of extra credit alone scores 0% and fails
    needs="registration::register_creates_user",
    hint="Read the discovery document, then redirect to authorization_endpoint with client_id, "
    "redirect_uri, scope=openid, fresh random state and nonce, and code_challenge = "
    "BASE64URL(SHA256(code_verifier)) with code_challenge_method=S256 (RFC 7636).",
)
def test_login_redirect(api, provider, env):
    first, second = start_login(api, provider), start_login(api, provider)
    p = first.params
    wanted = {
        "response_type": "code",
        "client_id": env["OIDC_CLIENT_ID"],
        "redirect_uri": env["OIDC_REDIRECT_URI"],
        "code_challenge_method": "S256",
    }
    wrong = {name: p.get(name) for name, value in wanted.items() if p.get(name) != value}
    expect(
        not wrong,
        "the authorization request has wrong or missing parameters.",
        expected=str(wanted),
        actual=str(wrong),
    )
    expect(
        "openid" in p.get("scope", "").split(),
        "scope must contain openid.",
        expected="openid",
        actual=str(p.get("scope")),
    )
    expect(
        len(p.get("code_challenge", "")) == 43,
        "code_challenge should be the 43-character base64url SHA-256 of the code_verifier.",
        expected="43 characters",
        actual=repr(p.get("code_challenge")),
    )
    for name in ("state", "nonce"):
        expect(
            len(p.get(name, "")) >= 16 and p.get(name) != second.params.get(name),
            f"{name} should be random (16+ characters, new for every login).",
            expected="a fresh random value",
            actual=f"{p.get(name)!r} then {second.params.get(name)!r}",
        )


@check(
    "The full code flow logs the user in with a session cookie",
    points=3,
    rules=["R11.4", "R11.6"],
    extra=True,
    needs="login_redirect",
    hint="At the callback: check state, POST the code with code_verifier and client credentials to the "
    "token_endpoint, verify the id_token (RS256 key from jwks_uri by kid, iss, aud, exp, nonce), then "
    "start a session exactly as POST /auth/session does.",
)
def test_login_works(api, provider):
    browser = start_login(api, provider)
    errors = len(provider.token_errors)
    response = callback(api, browser, provider.issue_code(browser.params))
    if response.status_code not in (200, 302, 303) and len(provider.token_errors) > errors:
        fail(
            f"{describe(response)}: the provider refused the app's token request: "
            f"{provider.token_errors[-1]}.",
            expected="a valid token request",
            actual=provider.token_errors[-1],
            response=response,
        )
    me = logged_in(api, response)
    expect(
        me.get("role") == "user",
        "a user logged in through OpenID Connect should have the role user.",
        expected="user",
        actual=str(me.get("role")),
    )


@check(
    "The same provider account logs in to the same local user",
    points=1,
    rules=["R11.8"],
    extra=True,
    needs=NEEDS,
    hint="Link the local user to the pair (iss, sub) and find it again at the next login.",
)
def test_same_subject_same_user(api, provider):
    subject = "idp-returning-" + str(time.monotonic_ns())
    ids = []
    for _ in range(2):
        browser = start_login(api, provider)
        ids.append(
            logged_in(api, callback(api, browser, provider.issue_code(browser.params, sub=subject))).get("id")
        )
    expect(
        ids[0] == ids[1],
        "two logins of one provider account gave two different local users.",
        expected="the same id twice",
        actual=str(ids),
    )


@check(
    "A callback whose state was issued to another browser is refused",
    points=1,
    rules=["R11.3", "R11.7"],
    extra=True,
    needs=NEEDS,
    hint="Bind the state to the browser that started the login (a cookie) and compare: otherwise an "
    "attacker can log a victim into the attacker's account (login CSRF).",
)
def test_state_checked(api, provider):
    victim, attacker = start_login(api, provider), start_login(api, provider)
    code = provider.issue_code(attacker.params)
    expect_refused(
        callback(api, victim, code, state=attacker.params.get("state")), "another browser's state and code"
    )


@check(
    "An id_token with the wrong nonce is refused",
    points=1,
    rules=["R11.5", "R11.7"],
    extra=True,
    needs=NEEDS,
    hint="Compare the id_token's nonce with the one you sent for this login: it stops replayed tokens.",
)
def test_nonce_checked(api, provider):
    browser = start_login(api, provider)
    expect_refused(
        callback(api, browser, provider.issue_code(browser.params, nonce="not-the-nonce-you-sent")),
        "an id_token whose nonce differs",
    )


@check(
    "An id_token not signed by the provider's key is refused",
    points=1,
    rules=["R11.5", "R11.7"],
    extra=True,
    needs=NEEDS,
    hint="Verify the RS256 signature with the key from jwks_uri whose kid matches; never decode without "
    "verification.",
)
def test_signature_checked(api, provider):
    browser = start_login(api, provider)
    expect_refused(
        callback(api, browser, provider.issue_code(browser.params, key=other_key())),
        "an id_token signed by another key",
    )


@check(
    "An id_token for another client (aud) or from another issuer is refused",
    points=1,
    rules=["R11.5", "R11.7"],
    extra=True,
    needs=NEEDS,
    hint="jwt.decode(..., audience=OIDC_CLIENT_ID, issuer=OIDC_ISSUER).",
)
def test_audience_and_issuer_checked(api, provider):
    browser = start_login(api, provider)
    expect_refused(
        callback(api, browser, provider.issue_code(browser.params, aud="some-other-client")),
        "aud of another client",
    )
    browser = start_login(api, provider)
    expect_refused(
        callback(api, browser, provider.issue_code(browser.params, iss="https://issuer.invalid")),
        "another iss",
    )


@check(
    "An expired id_token is refused",
    points=1,
    rules=["R11.5", "R11.7"],
    extra=True,
    needs=NEEDS,
    hint="Require exp and let jwt.decode check it.",
)
def test_expired_id_token(api, provider):
    browser = start_login(api, provider)
    now = int(time.time())
    expect_refused(
        callback(api, browser, provider.issue_code(browser.params, iat=now - 900, exp=now - 600)),
        "an id_token that expired 10 minutes ago",
    )


@check(
    'preferred_username "admin" from the provider is not the local administrator',
    points=2,
    rules=["R11.9"],
    extra=True,
    needs=NEEDS,
    hint="Never link accounts by a name or email the provider lets users choose; use (iss, sub) and "
    "create new accounts with the role user.",
)
def test_no_account_takeover(api, provider, env):
    browser = start_login(api, provider)
    me = logged_in(
        api,
        callback(
            api,
            browser,
            provider.issue_code(
                browser.params,
                preferred_username=env["ADMIN_USERNAME"],
                email=f"{env['ADMIN_USERNAME']}@example.com",
            ),
        ),
    )
    expect(
        me.get("role") == "user" and me.get("username") != env["ADMIN_USERNAME"],
        "an identity whose preferred_username is the administrator's name became that administrator.",
        expected="a new user with the role user",
        actual=str(me),
    )
