"""Helpers of the lab03 suite: users with random names, token forging, cookies, database searches."""

from __future__ import annotations

import base64
import json
import secrets
import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from psycopg import sql

from grader.checks import describe, expect, expect_header, fail, json_body, require_status
from grader.polling import eventually

PASSWORD = "a long enough passphrase"
# passlib md5_crypt of LEGACY_PASSWORD: what "older versions of the service" stored (see the contract).
LEGACY_PASSWORD = "legacy pass phrase 2019"
LEGACY_HASH = "$1$Z2PVLQfd$Z4RUjxp9dtmyYpOmTf8lA1"
# The second instance of the app: lifetimes and limits short enough to watch them end.
SHORT_ENV = {
    "ACCESS_TOKEN_TTL": "1",
    "REFRESH_TOKEN_TTL": "1",
    "SESSION_TTL": "1",
    "LOGIN_MAX_FAILURES": "5",
    "LOGIN_LOCKOUT_SECONDS": "1",
}


def new_name(prefix: str = "u") -> str:
    """A fresh username: every check works with its own users, so a lockout never spills over."""
    return f"{prefix}_{secrets.token_hex(6)}"


@dataclass
class User:
    id: int | str
    username: str
    password: str


def register(api: httpx.Client, password: str = PASSWORD, prefix: str = "u") -> User:
    username = new_name(prefix)
    response = api.post("/auth/register", json={"username": username, "password": password})
    # a user is the scenario of most checks: a refused registration is blamed on POST /auth/register;
    # 200 instead of 201 still made a user (registration::register_creates_user judges the status alone)
    require_status(response, 201, 200, purpose="register a test user")
    body = json_body(response)
    expect(
        isinstance(body, dict) and "id" in body,
        f"{describe(response)}: the answer has no id.",
        expected='{"id": ..., "username": ..., "role": "user"}',
        actual=response.text[:120],
        response=response,
    )
    return User(body["id"], username, password)


def password_grant(api: httpx.Client, username: str, password: str) -> httpx.Response:
    return api.post(
        "/auth/token", data={"grant_type": "password", "username": username, "password": password}
    )


def refresh_grant(api: httpx.Client, refresh_token: str) -> httpx.Response:
    return api.post("/auth/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token})


def session_login(
    api: httpx.Client, username: str, password: str, cookie: str | None = None
) -> httpx.Response:
    headers = {"Cookie": f"session={cookie}"} if cookie else {}
    return api.post("/auth/session", data={"username": username, "password": password}, headers=headers)


def tokens(api: httpx.Client, user: User) -> dict[str, Any]:
    """The token answer of a successful password login."""
    response = password_grant(api, user.username, user.password)
    require_status(response, 200, purpose="log a test user in with grant_type=password")
    body = json_body(response)
    for name in ("access_token", "refresh_token"):
        expect(
            isinstance(body, dict) and isinstance(body.get(name), str) and body[name],
            f"{describe(response)}: the answer has no {name}.",
            expected=name,
            actual=response.text[:160],
            response=response,
        )
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def session_header(value: str) -> dict[str, str]:
    # Sent by hand: the session cookie is Secure and the suite speaks plain http on loopback.
    return {"Cookie": f"session={value}"}


# -- JWTs ---------------------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_for(env: Mapping[str, str], subject: str | int, **changes: Any) -> dict[str, Any]:
    """The claims of a valid access token (contract, "Access tokens"); a change of None drops the claim."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(subject),
        "iss": env["JWT_ISSUER"],
        "aud": env["JWT_AUDIENCE"],
        "iat": now,
        "exp": now + 300,
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def mint(
    env: Mapping[str, str],
    subject: str | int,
    *,
    key: str | None = None,
    algorithm: str = "HS256",
    **changes: Any,
) -> str:
    return jwt.encode(claims_for(env, subject, **changes), key or env["JWT_SECRET"], algorithm=algorithm)


def unsigned(env: Mapping[str, str], subject: str | int) -> str:
    """A token whose header says alg "none" and that has no signature at all."""
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims_for(env, subject)).encode())
    return f"{header}.{payload}."


def expect_rejected_token(response: httpx.Response, what: str) -> None:
    """401 with a Bearer challenge that says invalid_token (RFC 6750 3.1)."""
    if response.status_code != 401:
        fail(
            f"{describe(response)} with {what}: expected 401, got {response.status_code}.",
            expected='401 and WWW-Authenticate: Bearer error="invalid_token"',
            actual=f"{response.status_code} {response.text[:100]}",
            response=response,
        )
    challenge = expect_header(response, "WWW-Authenticate", contains="Bearer")
    expect(
        "invalid_token" in challenge,
        f'{describe(response)} with {what}: the challenge should say error="invalid_token".',
        expected='Bearer error="invalid_token"',
        actual=challenge,
        response=response,
    )


# -- cookies ------------------------------------------------------------------------------------------


@dataclass
class SetCookie:
    name: str
    value: str
    attributes: dict[str, str]  # lower-case names; flags map to ""
    raw: str


def set_cookies(response: httpx.Response) -> list[SetCookie]:
    cookies = []
    for raw in response.headers.get_list("set-cookie"):
        first, *rest = raw.split(";")
        name, _, value = first.strip().partition("=")
        attributes = {}
        for part in rest:
            key, _, val = part.strip().partition("=")
            if key:
                attributes[key.strip().lower()] = val.strip()
        cookies.append(SetCookie(name.strip(), value.strip().strip('"'), attributes, raw))
    return cookies


def session_cookie(response: httpx.Response) -> SetCookie:
    for cookie in set_cookies(response):
        if cookie.name == "session":
            return cookie
    return fail(
        f"{describe(response)}: no Set-Cookie for the cookie named session.",
        expected="Set-Cookie: session=...; HttpOnly; Secure; SameSite=Lax; Path=/",
        actual="; ".join(response.headers.get_list("set-cookie")) or "no Set-Cookie",
        response=response,
    )


def new_session(api: httpx.Client, user: User, cookie: str | None = None) -> str:
    response = session_login(api, user.username, user.password, cookie)
    require_status(response, 200, purpose="log a test user in with POST /auth/session")
    return session_cookie(response).value


# -- the database -------------------------------------------------------------------------------------


def password_hash(db: Any, username: str) -> str:
    row = db.execute("SELECT password_hash FROM users WHERE username = %s", (username,)).fetchone()
    if row is None:
        fail(
            f"no row in the table users with username = {username!r} (the contract names users.username).",
            expected="a row for the registered user",
            actual="none",
        )
    return str(row[0])


def where_in_database(db: Any, needle: str) -> list[str]:
    """Tables of the app whose rows contain `needle` as text (or its bytes as hex, for bytea columns)."""
    tables = db.execute(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        " AND table_schema NOT IN ('pg_catalog', 'information_schema')"
    ).fetchall()
    found = []
    for schema, table in tables:
        query = sql.SQL(
            "SELECT 1 FROM {}.{} AS r WHERE strpos(r::text, %s) > 0 OR strpos(r::text, %s) > 0 LIMIT 1"
        )
        row = db.execute(
            query.format(sql.Identifier(schema), sql.Identifier(table)), (needle, needle.encode().hex())
        ).fetchone()
        if row is not None:
            found.append(f"{schema}.{table}")
    return found


def expect_not_stored(db: Any, secret: str, what: str) -> None:
    tables = where_in_database(db, secret)
    expect(
        not tables,
        f"the {what} is stored in clear in the database (found in {', '.join(tables)}).",
        expected=f"only a hash of the {what}",
        actual=f"the {what} itself in {', '.join(tables)}",
    )


# -- timing -------------------------------------------------------------------------------------------


def timed(call: Any) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = call()
    return time.perf_counter() - started, response


def median(values: list[float]) -> float:
    return statistics.median(values)


def wait_until(deadline: float, what: str) -> None:
    """Let wall-clock time pass up to `deadline` (time.monotonic()): TTLs of a second or two expire."""
    eventually(
        lambda: time.monotonic() >= deadline,
        timeout=max(0.0, deadline - time.monotonic()) + 1,
        interval=0.1,
        what=what,
    )
