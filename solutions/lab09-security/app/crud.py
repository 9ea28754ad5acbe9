"""Queries on users and notes, shared by the JSON API and the HTML pages."""

from typing import Any

from psycopg import sql

from app.core.db import Conn, Row
from app.core.security import burn_time, hash_password, verify_password


def _returned(row: Row | None) -> Row:
    """The row of an INSERT ... RETURNING, which returns one row or raises."""
    if row is None:
        raise RuntimeError("INSERT ... RETURNING returned no row")
    return row


def public_user(user: Row) -> Row:
    return {key: user[key] for key in ("id", "username", "display_name", "bio", "website")}


def own_user(user: Row) -> Row:
    return {**public_user(user), "is_admin": user["is_admin"]}


# --- users -------------------------------------------------------------------------------------


PROFILE_FIELDS = ("display_name", "bio", "website")


def authenticate(conn: Conn, username: str, password: str) -> Row | None:
    """The user if the password matches; a legacy hash is replaced by a slow one on the way."""
    user = get_user_by_username(conn, username)
    if user is None:
        burn_time(password)
        return None
    matches, new_hash = verify_password(user["password_hash"], password)
    if not matches:
        return None
    if new_hash:
        conn.execute("UPDATE users SET password_hash = %s WHERE id = %s", (new_hash, user["id"]))
    return user


def create_user(conn: Conn, username: str, password: str) -> Row:
    """Raises psycopg.errors.UniqueViolation when the username is taken."""
    return _returned(
        conn.execute(
            "INSERT INTO users (username, password_hash) VALUES (%s, %s) RETURNING *",
            (username, hash_password(password)),
        ).fetchone()
    )


def get_user(conn: Conn, user_id: Any) -> Row | None:
    return conn.execute("SELECT * FROM users WHERE id = %s", (user_id,)).fetchone()


def get_user_by_username(conn: Conn, username: str) -> Row | None:
    return conn.execute("SELECT * FROM users WHERE username = %s", (username,)).fetchone()


def list_users(conn: Conn) -> list[Row]:
    return conn.execute("SELECT id, username, is_admin FROM users ORDER BY id").fetchall()


def update_profile(conn: Conn, user_id: int, fields: dict[str, Any]) -> Row | None:
    """Update the profile fields given (and only those) and return the user (None if it is gone)."""
    changes = {key: fields[key] for key in PROFILE_FIELDS if fields.get(key) is not None}
    if changes:
        assignments = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(key)) for key in changes)
        conn.execute(
            sql.SQL("UPDATE users SET {} WHERE id = %s").format(assignments),
            (*changes.values(), user_id),
        )
    return get_user(conn, user_id)


# --- notes -------------------------------------------------------------------------------------


def search_notes(conn: Conn, viewer_id: int | None, q: str) -> list[Row]:
    """Notes the viewer may see (public ones and their own) whose title or body contains q."""
    # q is a parameter, never SQL; LIKE's own wildcards in it are escaped so that they match themselves.
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return conn.execute(
        "SELECT id, owner_id, title, body, private, created_at FROM notes "
        "WHERE (private = FALSE OR owner_id = %s) AND (title ILIKE %s OR body ILIKE %s) "
        "ORDER BY id DESC LIMIT 100",
        (viewer_id, pattern, pattern),
    ).fetchall()


def latest_public_notes(conn: Conn, limit: int = 20) -> list[Row]:
    return conn.execute(
        "SELECT n.id, n.title, u.username, u.display_name FROM notes n JOIN users u ON u.id = n.owner_id "
        "WHERE n.private = FALSE ORDER BY n.id DESC LIMIT %s",
        (limit,),
    ).fetchall()


def notes_of(conn: Conn, owner_id: int, include_private: bool) -> list[Row]:
    return conn.execute(
        "SELECT id, owner_id, title, body, private, created_at FROM notes "
        "WHERE owner_id = %s AND (private = FALSE OR %s) ORDER BY id DESC LIMIT 100",
        (owner_id, include_private),
    ).fetchall()


def get_note(conn: Conn, note_id: int) -> Row | None:
    return conn.execute(
        "SELECT id, owner_id, title, body, private, created_at FROM notes WHERE id = %s", (note_id,)
    ).fetchone()


def create_note(conn: Conn, owner_id: int, title: str, body: str, private: bool) -> Row:
    return _returned(
        conn.execute(
            "INSERT INTO notes (owner_id, title, body, private) VALUES (%s, %s, %s, %s) "
            "RETURNING id, owner_id, title, body, private, created_at",
            (owner_id, title, body, private),
        ).fetchone()
    )


def update_note(conn: Conn, note_id: int, fields: dict[str, Any]) -> Row | None:
    """Update the fields given and return the note (None if it is gone)."""
    changes = {key: fields[key] for key in ("title", "body", "private") if fields.get(key) is not None}
    if changes:
        assignments = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(key)) for key in changes)
        conn.execute(
            sql.SQL("UPDATE notes SET {} WHERE id = %s").format(assignments), (*changes.values(), note_id)
        )
    return get_note(conn, note_id)


def delete_note(conn: Conn, note_id: int) -> None:
    conn.execute("DELETE FROM notes WHERE id = %s", (note_id,))
