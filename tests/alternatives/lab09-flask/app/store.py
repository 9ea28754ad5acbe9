"""The queries, shared by the API and the pages."""

from app import db

NOTE = "id, owner_id, title, body, private, created_at"


def user_by_id(user_id: object) -> dict | None:
    return db.one("SELECT * FROM users WHERE id = :id", id=user_id)


def user_by_name(username: str) -> dict | None:
    return db.one("SELECT * FROM users WHERE username = :u", u=username)


def public(user: dict) -> dict:
    return {key: user[key] for key in ("id", "username", "display_name", "bio", "website")}


def private_view(user: dict) -> dict:
    return {**public(user), "is_admin": user["is_admin"]}


def note(note_id: int) -> dict | None:
    return db.one(f"SELECT {NOTE} FROM notes WHERE id = :id", id=note_id)


def can_see(row: dict, user: dict | None) -> bool:
    return not row["private"] or (user is not None and row["owner_id"] == user["id"])


def search(viewer: dict | None, q: str) -> list[dict]:
    like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return db.all_rows(
        f"SELECT {NOTE} FROM notes WHERE (NOT private OR owner_id = :viewer) "
        "AND (title ILIKE :like OR body ILIKE :like) ORDER BY id DESC LIMIT 100",
        viewer=viewer["id"] if viewer else None,
        like=like,
    )


def add_note(owner_id: int, title: str, body: str, private: bool) -> dict:
    return db.one(
        f"INSERT INTO notes (owner_id, title, body, private) VALUES (:o, :t, :b, :p) RETURNING {NOTE}",
        o=owner_id,
        t=title,
        b=body,
        p=private,
    )


def latest_public() -> list[dict]:
    return db.all_rows(
        "SELECT n.id, n.title, u.username, u.display_name FROM notes n JOIN users u "
        "ON u.id = n.owner_id WHERE NOT n.private ORDER BY n.id DESC LIMIT 20"
    )


def notes_by(owner_id: int, with_private: bool) -> list[dict]:
    return db.all_rows(
        f"SELECT {NOTE} FROM notes WHERE owner_id = :o AND (NOT private OR :p) ORDER BY id DESC",
        o=owner_id,
        p=with_private,
    )


def set_profile(user_id: int, display_name: str | None, bio: str | None, website: str | None) -> None:
    db.run(
        "UPDATE users SET display_name = COALESCE(:d, display_name), bio = COALESCE(:b, bio), "
        "website = COALESCE(:w, website) WHERE id = :id",
        d=display_name,
        b=bio,
        w=website,
        id=user_id,
    )
