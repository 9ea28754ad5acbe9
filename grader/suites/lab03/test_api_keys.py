"""API keys"""

from __future__ import annotations

import secrets

from lab03_auth import bearer, expect_not_stored, register, tokens

from grader.checks import check, describe, expect, expect_header, expect_status, json_body

NEEDS = "api_keys::create_and_use"


def _owner(api):
    user = register(api)
    return user, bearer(tokens(api, user)["access_token"])


def _create(api, headers, name: str = "ci") -> dict:
    response = api.post("/api-keys", json={"name": name}, headers=headers)
    expect_status(response, 201)
    body = json_body(response)
    expect(
        isinstance(body.get("key"), str) and len(body["key"]) >= 22 and "id" in body,
        f"{describe(response)}: expected the new key (22+ characters) and its id.",
        expected='{"id": ..., "name": "ci", "created_at": ..., "key": "..."}',
        actual=response.text[:160],
        response=response,
    )
    return body


def _key(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


@check(
    "POST /api-keys returns a key that authenticates as its owner (X-API-Key)",
    points=3,
    rules=["R9.1", "R9.5", "R2.2"],
    hint="Generate the key with secrets (at least 128 bits), answer it once with 201, and accept "
    "X-API-Key in the same dependency that reads bearer tokens and session cookies.",
)
def test_create_and_use(api):
    user, headers = _owner(api)
    key = _create(api, headers)["key"]
    response = api.get("/users/me", headers=_key(key))
    expect_status(response, 200)
    expect(
        json_body(response).get("username") == user.username,
        f"{describe(response)}: expected the key's owner.",
        expected=user.username,
        actual=response.text[:100],
        response=response,
    )


@check(
    "GET /api-keys lists the keys without the key itself",
    points=2,
    rules=["R9.2", "R9.1"],
    needs=NEEDS,
    hint="The key is shown once, at creation. The list shows id, name and created_at.",
)
def test_list_hides_key(api):
    _, headers = _owner(api)
    created = _create(api, headers, "deploy")
    response = api.get("/api-keys", headers=headers)
    expect_status(response, 200)
    listed = json_body(response)
    expect(
        isinstance(listed, list) and [k.get("id") for k in listed] == [created["id"]],
        f"{describe(response)}: expected the one key of this user.",
        expected=f'[{{"id": {created["id"]}, ...}}]',
        actual=response.text[:160],
        response=response,
    )
    expect(
        created["key"] not in response.text,
        f"{describe(response)}: the list shows the secret key.",
        expected="id, name, created_at",
        actual=response.text[:160],
        response=response,
    )


@check(
    "API keys are stored only as hashes",
    points=3,
    rules=["R9.6"],
    needs=NEEDS,
    hint="Store sha256(key) and look keys up by that digest: a random key of 256 bits needs no slow "
    "hash, but it must not be readable from the table.",
)
def test_key_stored_hashed(api, db):
    _, headers = _owner(api)
    expect_not_stored(db, _create(api, headers)["key"], "API key")


@check(
    "DELETE /api-keys/{id} revokes the key at once",
    points=3,
    rules=["R9.3", "R9.5"],
    needs=NEEDS,
    hint="Delete (or mark revoked) the row and check it on every request; no cache may keep a revoked "
    "key alive.",
)
def test_revoke_immediate(api):
    _, headers = _owner(api)
    created = _create(api, headers)
    expect_status(api.get("/users/me", headers=_key(created["key"])), 200)
    expect_status(api.delete(f"/api-keys/{created['id']}", headers=headers), 204)
    response = api.get("/users/me", headers=_key(created["key"]))
    expect(
        response.status_code == 401,
        f"{describe(response)} with a revoked key: expected 401, got {response.status_code}.",
        expected="401",
        actual=str(response.status_code),
        response=response,
    )


@check(
    "Another user cannot revoke your key (404), and it keeps working",
    points=2,
    rules=["R9.4"],
    needs=NEEDS,
    hint="Delete WHERE id = ... AND user_id = the caller; nothing deleted means 404.",
)
def test_other_user_cannot_revoke(api):
    _, owner = _owner(api)
    _, intruder = _owner(api)
    created = _create(api, owner)
    expect_status(api.delete(f"/api-keys/{created['id']}", headers=intruder), 404)
    expect_status(api.get("/users/me", headers=_key(created["key"])), 200)


@check(
    "An unknown API key answers 401 with WWW-Authenticate",
    points=1,
    rules=["R9.5", "R2.3"],
    needs=NEEDS,
    hint="A key that matches no stored hash is a failed authentication: 401 with the challenge header.",
)
def test_unknown_key_401(api):
    response = api.get("/users/me", headers=_key("nk_" + secrets.token_urlsafe(32)))
    expect_status(response, 401)
    expect_header(response, "WWW-Authenticate")
