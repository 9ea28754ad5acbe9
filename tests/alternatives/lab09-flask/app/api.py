"""The JSON API."""

import ipaddress

from flask import Blueprint, abort, g, jsonify, request
from psycopg.errors import UniqueViolation
from sqlalchemy.exc import IntegrityError

from app import config, db, store, validate
from app.fetch import Failed, Refused, fetch
from app.security import check_password, end_session, hash_password, new_session

api = Blueprint("api", __name__)


def body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(422, "a JSON object is expected")
    return data


def me() -> dict:
    if g.user is None:
        abort(401, "log in first")
    return g.user


@api.post("/api/register")
def register():
    data = body()
    problem = validate.account(data.get("username"), data.get("password"))
    if problem:
        abort(422, problem)
    try:
        user = db.one(
            "INSERT INTO users (username, password_hash) VALUES (:u, :h) RETURNING *",
            u=data["username"],
            h=hash_password(data["password"]),
        )
    except IntegrityError as exc:
        if isinstance(exc.orig, UniqueViolation):
            abort(409, "this username is taken")
        raise
    new_session(user["id"])
    return jsonify(store.private_view(user)), 201


def authenticate(username: object, password: object) -> dict | None:
    if not isinstance(username, str) or not isinstance(password, str):
        return None
    user = store.user_by_name(username)
    if user is None:
        hash_password(password)  # the same time whether the user exists or not
        return None
    matches, upgrade = check_password(user["password_hash"], password)
    if not matches:
        return None
    if upgrade:
        db.run("UPDATE users SET password_hash = :h WHERE id = :id", h=hash_password(password), id=user["id"])
    return user


@api.post("/api/login")
def login():
    data = body()
    user = authenticate(data.get("username"), data.get("password"))
    if user is None:
        abort(401, "invalid username or password")
    new_session(user["id"])
    return jsonify(store.private_view(user))


@api.post("/api/logout")
def logout():
    end_session()
    return "", 204


@api.get("/api/me")
def get_me():
    return jsonify(store.private_view(me()))


@api.patch("/api/me")
def patch_me():
    user, data = me(), body()
    # Only the three profile fields are read; anything else in the body is ignored.
    fields = {key: data.get(key) for key in ("display_name", "bio", "website")}
    problem = validate.profile(**fields)
    if problem:
        abort(422, problem)
    store.set_profile(user["id"], **fields)
    return jsonify(store.private_view(store.user_by_id(user["id"])))


@api.get("/api/users/<int:user_id>")
def get_user(user_id: int):
    user = store.user_by_id(user_id)
    if user is None:
        abort(404, "no such user")
    return jsonify(store.public(user))


@api.get("/api/admin/users")
def admin_users():
    if not me()["is_admin"]:
        abort(403, "admins only")
    return jsonify(db.all_rows("SELECT id, username, is_admin FROM users ORDER BY id"))


@api.get("/api/notes")
def list_notes():
    return jsonify(store.search(g.user, request.args.get("q", "")))


def note_text(data: dict, key: str, limit: int, required: bool) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > limit or (key == "title" and not value):
        abort(422, f"{key}: text of at most {limit} characters")
    return value


@api.post("/api/notes")
def create_note():
    user, data = me(), body()
    title = note_text(data, "title", 200, required=True)
    text = note_text(data, "body", 20000, required=False) or ""
    return jsonify(store.add_note(user["id"], title, text, bool(data.get("private", False)))), 201


def find_note(note_id: int, for_writing: bool) -> dict:
    row = store.note(note_id)
    if row is None or not store.can_see(row, g.user):
        abort(404, "no such note")
    if for_writing and row["owner_id"] != g.user["id"]:
        abort(403, "this note is not yours")
    return row


@api.get("/api/notes/<int:note_id>")
def get_note(note_id: int):
    return jsonify(find_note(note_id, for_writing=False))


@api.patch("/api/notes/<int:note_id>")
def patch_note(note_id: int):
    me()
    row, data = find_note(note_id, for_writing=True), body()
    title = note_text(data, "title", 200, required=False)
    text = note_text(data, "body", 20000, required=False)
    private = data.get("private")
    db.run(
        "UPDATE notes SET title = COALESCE(:t, title), body = COALESCE(:b, body), "
        "private = COALESCE(:p, private) WHERE id = :id",
        t=title,
        b=text,
        p=private if isinstance(private, bool) else None,
        id=row["id"],
    )
    return jsonify(store.note(row["id"]))


@api.delete("/api/notes/<int:note_id>")
def delete_note(note_id: int):
    me()
    row = find_note(note_id, for_writing=True)
    db.run("DELETE FROM notes WHERE id = :id", id=row["id"])
    return "", 204


@api.post("/api/notes/import")
def import_note():
    user, data = me(), body()
    url = data.get("url")
    if not isinstance(url, str):
        abort(422, "url: a string")
    try:
        text = fetch(url)
    except Refused as exc:
        abort(400, str(exc))
    except Failed as exc:
        abort(502, str(exc))
    title = data.get("title") if isinstance(data.get("title"), str) and data.get("title") else url[:200]
    return jsonify(store.add_note(user["id"], title, text, bool(data.get("private", False)))), 201


@api.get("/internal/metadata")
def metadata():
    try:
        loopback = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        abort(403, "internal only")
    return jsonify({"instance": "notebook-flask", "token": config.METADATA_TOKEN})


@api.get("/health")
def health():
    return jsonify({"status": "ok"})
