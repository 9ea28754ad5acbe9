"""Lab 03 written with Flask and plain SQL: the same contract, none of the solution's code."""

from __future__ import annotations

import os
import re
import uuid
from datetime import timedelta
from typing import Any

import psycopg
from flask import Flask, Response, jsonify, request

from app import db
from app.errors import ApiError, detail, invalid_grant
from app.identity import SESSION_COOKIE, admin_user, current_user
from app.logins import password_login, start_session
from app.oidc import oidc
from app.security import access_token, env_int, hasher, password_error, random_token, sha256

USERNAME = re.compile(r"[a-z0-9_]{3,32}")

app = Flask(__name__)
app.register_blueprint(oidc)
app.teardown_appcontext(db.close)


@app.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    return error.render()


def _init() -> None:
    with db.connect() as conn:
        conn.execute(db.SCHEMA)
        conn.execute(
            "INSERT INTO users (username, password_hash, role) VALUES (%s, %s, 'admin')"
            " ON CONFLICT (username) DO NOTHING",
            (os.environ["ADMIN_USERNAME"], hasher.hash(os.environ["ADMIN_PASSWORD"])),
        )


_init()


def _json() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise detail(422, "expected a JSON object")
    return body


def _user_out(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": user["id"], "username": user["username"], "role": user["role"]}


@app.get("/health")
def health() -> Any:
    return {"status": "ok"}


@app.post("/auth/register")
def register() -> Any:
    body = _json()
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not USERNAME.fullmatch(username) or not isinstance(password, str):
        raise detail(422, "username must match ^[a-z0-9_]{3,32}$ and password must be a string")
    if problem := password_error(username, password):
        raise detail(422, problem)
    try:
        user = db.one(
            "INSERT INTO users (username, password_hash) VALUES (%s, %s) RETURNING id, username, role",
            username,
            hasher.hash(password),
        )
    except psycopg.errors.UniqueViolation:
        raise detail(409, "username already registered") from None
    return _user_out(user or {}), 201


def _tokens(user_id: int, family: str) -> Response:
    refresh = random_token()
    db.run(
        "INSERT INTO refresh_tokens (token_sha256, family, user_id, expires_at)"
        " VALUES (%s, %s, %s, now() + %s)",
        sha256(refresh),
        family,
        user_id,
        timedelta(seconds=env_int("REFRESH_TOKEN_TTL")),
    )
    response = jsonify(
        access_token=access_token(user_id),
        token_type="Bearer",
        expires_in=env_int("ACCESS_TOKEN_TTL"),
        refresh_token=refresh,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _refresh(presented: str) -> Response:
    digest = sha256(presented)
    # The UPDATE is the lock: of concurrent requests with one token, only one finds it active.
    row = db.one(
        "UPDATE refresh_tokens SET state = 'used' WHERE token_sha256 = %s AND state = 'active'"
        " AND expires_at > now() RETURNING family, user_id",
        digest,
    )
    if row is None:
        # Reuses of one token revoke the same rows: each takes that token's row first, so they queue
        # one behind the other instead of locking the family's rows in different orders (a deadlock).
        old = db.one("SELECT family, state FROM refresh_tokens WHERE token_sha256 = %s FOR UPDATE", digest)
        if old is not None and old["state"] == "used":
            db.run("UPDATE refresh_tokens SET state = 'revoked' WHERE family = %s", old["family"])
            db.conn().commit()
        raise invalid_grant("refresh token not valid")
    return _tokens(row["user_id"], str(row["family"]))


@app.post("/auth/token")
def token() -> Any:
    form = request.form
    grant = form.get("grant_type")
    if grant == "password":
        user = password_login(form.get("username", ""), form.get("password", ""))
        return _tokens(user["id"], str(uuid.uuid4()))
    if grant == "refresh_token":
        return _refresh(form.get("refresh_token", ""))
    raise ApiError(400, {"error": "unsupported_grant_type"})


@app.post("/auth/logout")
def logout() -> Any:
    presented = _json().get("refresh_token")
    if isinstance(presented, str):
        db.run(
            "UPDATE refresh_tokens SET state = 'revoked' WHERE family ="
            " (SELECT family FROM refresh_tokens WHERE token_sha256 = %s)",
            sha256(presented),
        )
    return "", 204


@app.post("/auth/session")
def session_login() -> Any:
    user = password_login(request.form.get("username", ""), request.form.get("password", ""))
    response = jsonify(_user_out(user))
    start_session(response, user["id"], request.cookies.get(SESSION_COOKIE))
    return response


@app.post("/auth/session/logout")
def session_logout() -> Any:
    if sid := request.cookies.get(SESSION_COOKIE):
        db.run("DELETE FROM web_sessions WHERE sid_sha256 = %s", sha256(sid))
    response = Response(status=204)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="Strict")
    return response


@app.get("/users/me")
def me() -> Any:
    return _user_out(current_user())


@app.get("/admin/users")
def all_users() -> Any:
    admin_user()
    return jsonify(db.all_rows("SELECT id, username, role FROM users ORDER BY id"))


def _note_for(note_id: int, user: dict[str, Any]) -> dict[str, Any]:
    note = db.one(
        "SELECT n.id, n.title, n.body, u.username AS owner, n.owner_id FROM notes n"
        " JOIN users u ON u.id = n.owner_id WHERE n.id = %s",
        note_id,
    )
    if note is None or (note["owner_id"] != user["id"] and user["role"] != "admin"):
        raise detail(404, "no such note")
    return note


def _note_out(note: dict[str, Any]) -> dict[str, Any]:
    return {key: note[key] for key in ("id", "title", "body", "owner")}


def _text(body: dict[str, Any], name: str, required: bool) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (name == "title" and not 1 <= len(value) <= 200):
        raise detail(422, f"{name} must be a string (titles: 1 to 200 characters)")
    return value


@app.post("/notes")
def create_note() -> Any:
    user = current_user()
    body = _json()
    title = _text(body, "title", True)
    text = _text(body, "body", False) or ""
    note = db.one(
        "INSERT INTO notes (owner_id, title, body) VALUES (%s, %s, %s) RETURNING id, title, body",
        user["id"],
        title,
        text,
    )
    return {**(note or {}), "owner": user["username"]}, 201


@app.get("/notes")
def list_notes() -> Any:
    user = current_user()
    rows = db.all_rows("SELECT id, title, body FROM notes WHERE owner_id = %s ORDER BY id", user["id"])
    return jsonify([{**row, "owner": user["username"]} for row in rows])


@app.get("/notes/<int:note_id>")
def read_note(note_id: int) -> Any:
    return _note_out(_note_for(note_id, current_user()))


@app.patch("/notes/<int:note_id>")
def change_note(note_id: int) -> Any:
    note = _note_for(note_id, current_user())
    body = _json()
    title, text = _text(body, "title", False), _text(body, "body", False)
    db.run(
        "UPDATE notes SET title = coalesce(%s, title), body = coalesce(%s, body) WHERE id = %s",
        title,
        text,
        note_id,
    )
    return _note_out(
        db.one(
            "SELECT n.id, n.title, n.body, u.username AS owner FROM notes n JOIN users u ON u.id = n.owner_id"
            " WHERE n.id = %s",
            note_id,
        )
        or note
    )


@app.delete("/notes/<int:note_id>")
def delete_note(note_id: int) -> Any:
    _note_for(note_id, current_user())
    db.run("DELETE FROM notes WHERE id = %s", note_id)
    return "", 204


@app.post("/api-keys")
def create_key() -> Any:
    user = current_user()
    name = _json().get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        raise detail(422, "name: 1 to 100 characters")
    key = "ak_" + random_token(24)
    row = db.one(
        "INSERT INTO api_keys (user_id, name, key_sha256) VALUES (%s, %s, %s) RETURNING id, name, created_at",
        user["id"],
        name,
        sha256(key),
    )
    return {**(row or {}), "created_at": row["created_at"].isoformat() if row else None, "key": key}, 201


@app.get("/api-keys")
def list_keys() -> Any:
    user = current_user()
    rows = db.all_rows(
        "SELECT id, name, created_at FROM api_keys WHERE user_id = %s AND revoked_at IS NULL ORDER BY id",
        user["id"],
    )
    return jsonify([{**row, "created_at": row["created_at"].isoformat()} for row in rows])


@app.delete("/api-keys/<int:key_id>")
def revoke_key(key_id: int) -> Any:
    user = current_user()
    changed = db.run(
        "UPDATE api_keys SET revoked_at = now() WHERE id = %s AND user_id = %s AND revoked_at IS NULL",
        key_id,
        user["id"],
    )
    if not changed:
        raise detail(404, "no such API key")
    return "", 204
