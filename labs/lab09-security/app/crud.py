"""Queries on users and notes, shared by the JSON API and the HTML pages."""

from typing import Any

from psycopg import sql

from app.core.db import Conn
from app.core.security import hash_password

NOTE_COLUMNS = "id, owner_id, title, body, private, created_at"


def public_user(user: dict) -> dict:
    return {key: user[key] for key in ("id", "username", "display_name", "bio", "website")}


def own_user(user: dict) -> dict:
    return {**public_user(user), "is_admin": user["is_admin"]}


# --- users -------------------------------------------------------------------------------------


def authenticate(conn: Conn, username: str, password: str) -> dict | None:
    query = (
        f"SELECT * FROM users WHERE username = '{username}' AND password_hash = '{hash_password(password)}'"
    )
    return conn.execute(query).fetchone()


def create_user(conn: Conn, username: str, password: str) -> dict:
    """Raises psycopg.errors.UniqueViolation when the username is taken."""
    return conn.execute(
        "INSERT INTO users (username, password_hash) VALUES (%s, %s) RETURNING *",
        (username, hash_password(password)),
    ).fetchone()


def get_user(conn: Conn, user_id: Any) -> dict | None:
    return conn.execute("SELECT * FROM users WHERE id = %s", (user_id,)).fetchone()


def get_user_by_username(conn: Conn, username: str) -> dict | None:
    return conn.execute("SELECT * FROM users WHERE username = %s", (username,)).fetchone()


def list_users(conn: Conn) -> list[dict]:
    return conn.execute("SELECT id, username, is_admin FROM users ORDER BY id").fetchall()


def update_user(conn: Conn, user_id: int, fields: dict[str, Any]) -> dict:
    """Update the columns named in `fields` and return the user."""
    columns = {
        row["column_name"]
        for row in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'"
        )
    }
    changes = {key: value for key, value in fields.items() if key in columns}
    if changes:
        assignments = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(key)) for key in changes)
        conn.execute(
            sql.SQL("UPDATE users SET {} WHERE id = %s").format(assignments),
            (*changes.values(), user_id),
        )
    return get_user(conn, user_id)


# --- notes -------------------------------------------------------------------------------------


def search_notes(conn: Conn, viewer_id: int | None, q: str) -> list[dict]:
    """Notes the viewer may see (public ones and their own) whose title or body contains q."""
    query = f"""SELECT {NOTE_COLUMNS} FROM notes
        WHERE (private = FALSE OR owner_id = {viewer_id or 0}) AND (title ILIKE '%{q}%' OR body ILIKE '%{q}%')
        ORDER BY id DESC LIMIT 100"""
    return conn.execute(query).fetchall()


def latest_public_notes(conn: Conn, limit: int = 20) -> list[dict]:
    return conn.execute(
        "SELECT n.id, n.title, u.username, u.display_name FROM notes n JOIN users u ON u.id = n.owner_id "
        "WHERE n.private = FALSE ORDER BY n.id DESC LIMIT %s",
        (limit,),
    ).fetchall()


def notes_of(conn: Conn, owner_id: int, include_private: bool) -> list[dict]:
    return conn.execute(
        f"SELECT {NOTE_COLUMNS} FROM notes WHERE owner_id = %s AND (private = FALSE OR %s) "
        "ORDER BY id DESC LIMIT 100",
        (owner_id, include_private),
    ).fetchall()


def get_note(conn: Conn, note_id: int) -> dict | None:
    return conn.execute(f"SELECT {NOTE_COLUMNS} FROM notes WHERE id = %s", (note_id,)).fetchone()


def create_note(conn: Conn, owner_id: int, title: str, body: str, private: bool) -> dict:
    return conn.execute(
        "INSERT INTO notes (owner_id, title, body, private) VALUES (%s, %s, %s, %s) "
        f"RETURNING {NOTE_COLUMNS}",
        (owner_id, title, body, private),
    ).fetchone()


def update_note(conn: Conn, note_id: int, fields: dict[str, Any]) -> dict | None:
    changes = {key: fields[key] for key in ("title", "body", "private") if fields.get(key) is not None}
    if changes:
        assignments = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(key)) for key in changes)
        conn.execute(
            sql.SQL("UPDATE notes SET {} WHERE id = %s").format(assignments), (*changes.values(), note_id)
        )
    return get_note(conn, note_id)


def delete_note(conn: Conn, note_id: int) -> None:
    conn.execute("DELETE FROM notes WHERE id = %s", (note_id,))
