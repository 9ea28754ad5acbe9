"""HTML built in Python: every value goes through esc(), and attributes are always double-quoted."""

from html import escape
from urllib.parse import quote


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def name_of(user: dict) -> str:
    return user.get("display_name") or user["username"]


def layout(title: str, content: str, user: dict | None, token: str) -> str:
    if user:
        who = (
            f'<a href="/notes/new">New note</a> | <a href="/profile">{esc(name_of(user))}</a> '
            f'<form method="post" action="/logout"><input type="hidden" name="csrf" value="{esc(token)}">'
            '<button type="submit">Log out</button></form>'
        )
    else:
        who = '<a href="/login">Log in</a> | <a href="/register">Register</a>'
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title></head>'
        '<body><nav><a href="/">Notebook</a> | <a href="/search">Search</a> | '
        '<a href="/files">Files</a> | '
        f"{who}</nav><main>{content}</main></body></html>"
    )


def note_links(notes: list[dict], with_author: bool = False) -> str:
    items = []
    for note in notes:
        author = (
            f' by <a href="/users/{quote(note["username"])}">{esc(name_of(note))}</a>' if with_author else ""
        )
        items.append(f'<li><a href="/notes/{int(note["id"])}">{esc(note["title"])}</a>{author}</li>')
    return "<ul>" + ("".join(items) or "<li>Nothing here.</li>") + "</ul>"


def hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{esc(name)}" value="{esc(value)}">'


def login_form(token: str, next_path: str, username: str = "", error: str = "") -> str:
    problem = f'<p class="error">{esc(error)}</p>' if error else ""
    return (
        f'<h1>Log in</h1>{problem}<form method="post" action="/login">{hidden("csrf", token)}'
        f"{hidden('next', next_path)}"
        f'<label>Username <input name="username" value="{esc(username)}"></label>'
        '<label>Password <input name="password" type="password"></label>'
        '<button type="submit">Log in</button>'
        "</form>"
    )


def register_form(token: str, username: str = "", error: str = "") -> str:
    problem = f'<p class="error">{esc(error)}</p>' if error else ""
    return (
        f'<h1>Register</h1>{problem}<form method="post" action="/register">{hidden("csrf", token)}'
        f'<label>Username <input name="username" value="{esc(username)}"></label>'
        '<label>Password <input name="password" type="password"></label>'
        '<button type="submit">Register</button>'
        "</form>"
    )


def note_page(note: dict, author: dict, is_owner: bool, token: str) -> str:
    lines = "".join(f"{esc(line)}<br>\n" for line in note["body"].splitlines())
    delete = (
        f'<form method="post" action="/notes/{int(note["id"])}/delete">{hidden("csrf", token)}'
        '<button type="submit">Delete</button></form>'
        if is_owner
        else ""
    )
    return (
        f'<article><h1>{esc(note["title"])}</h1><p>by <a href="/users/{quote(author["username"])}">'
        f"{esc(name_of(author))}</a></p><div>{lines}</div></article>{delete}"
    )


def profile_form(user: dict, token: str, error: str = "") -> str:
    problem = f'<p class="error">{esc(error)}</p>' if error else ""
    return (
        f'<h1>Your profile</h1>{problem}<form method="post" action="/profile">{hidden("csrf", token)}'
        f'<label>Display name <input name="display_name" value="{esc(user["display_name"])}"></label>'
        f'<label>Bio <textarea name="bio">{esc(user["bio"])}</textarea></label>'
        f'<label>Website <input name="website" value="{esc(user["website"])}"></label>'
        '<button type="submit">Save</button></form>'
    )


def user_page(profile: dict, notes: list[dict]) -> str:
    website = profile["website"]
    link = (
        f'<p><a href="{esc(website)}" rel="nofollow">Website</a></p>'
        if website.lower().startswith(("http://", "https://"))
        else ""
    )
    heading = f"<h1>{esc(name_of(profile))}</h1><p>{esc(profile['bio'])}</p>{link}"
    return f"{heading}<h2>Notes</h2>{note_links(notes)}"
