"""The HTML pages and their forms."""

import os
from urllib.parse import quote, urljoin, urlsplit

from flask import Blueprint, abort, g, redirect, request, send_file
from werkzeug.security import safe_join

from app import config, store, validate
from app import pages_html as html
from app.api import authenticate
from app.db import one, run
from app.security import csrf_ok, csrf_token, end_session, hash_password, new_session

pages = Blueprint("pages", __name__)


def page(title: str, content: str, status: int = 200):
    return html.layout(title, content, g.user, csrf_token()), status


def require_csrf() -> None:
    if not csrf_ok(request.form.get("csrf")):
        abort(403, "the form's CSRF token is missing or wrong")


def require_login():
    if g.user is None:
        return redirect(f"/login?next={quote(request.path)}", 303)
    return None


def local_target(target: str | None) -> str:
    """target if, read the way a browser reads it, it stays on this site; "/" otherwise."""
    # "//host" (with any number of slashes) is another site; browsers read backslashes and controls oddly.
    if not target or target.startswith("//") or any(ch == "\\" or ord(ch) < 0x21 for ch in target):
        return "/"
    resolved = urlsplit(urljoin(request.host_url, target))
    return target if resolved.netloc == urlsplit(request.host_url).netloc and target.startswith("/") else "/"


@pages.get("/")
def home():
    return page("Notebook", "<h1>Latest public notes</h1>" + html.note_links(store.latest_public(), True))


@pages.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return page("Log in", html.login_form(csrf_token(), request.args.get("next", "/")))
    require_csrf()
    username, next_path = request.form.get("username", ""), request.form.get("next", "/")
    user = authenticate(username, request.form.get("password", ""))
    if user is None:
        form = html.login_form(csrf_token(), next_path, username, "Invalid username or password.")
        return page("Log in", form, 401)
    new_session(user["id"])
    return redirect(local_target(next_path), 303)


@pages.route("/register", methods=["GET", "POST"])
def register():
    if request.method == "GET":
        return page("Register", html.register_form(csrf_token()))
    require_csrf()
    username, password = request.form.get("username", ""), request.form.get("password", "")
    problem = validate.account(username, password)
    if problem is None and store.user_by_name(username):
        problem = "This username is taken."
    if problem:
        return page("Register", html.register_form(csrf_token(), username, problem), 400)
    user = one(
        "INSERT INTO users (username, password_hash) VALUES (:u, :h) RETURNING id",
        u=username,
        h=hash_password(password),
    )
    new_session(user["id"])
    return redirect("/", 303)


@pages.post("/logout")
def logout():
    require_csrf()
    end_session()
    return redirect("/", 303)


@pages.get("/search")
def search():
    q = request.args.get("q", "")
    found = html.note_links(store.search(g.user, q)) if q else ""
    heading = f"<p>Results for <em>{html.esc(q)}</em>:</p>" if q else ""
    form = (
        f'<form method="get" action="/search"><input name="q" value="{html.esc(q)}">'
        "<button>Search</button></form>"
    )
    return page("Search", f"<h1>Search</h1>{form}{heading}{found}")


@pages.get("/notes/new")
def new_note():
    if (to_login := require_login()) is not None:
        return to_login
    form = (
        '<h1>New note</h1><form method="post" action="/notes">'
        + html.hidden("csrf", csrf_token())
        + '<label>Title <input name="title" required></label>'
        '<label>Body <textarea name="body"></textarea></label>'
        '<label><input type="checkbox" name="private"> Private</label><button>Save</button></form>'
    )
    return page("New note", form)


@pages.post("/notes")
def create_note():
    require_csrf()
    if (to_login := require_login()) is not None:
        return to_login
    title, body = request.form.get("title", ""), request.form.get("body", "")
    if not 1 <= len(title) <= 200 or len(body) > 20000:
        abort(422, "a title of 1 to 200 characters, a body of at most 20000")
    note = store.add_note(g.user["id"], title, body, "private" in request.form)
    return redirect(f"/notes/{note['id']}", 303)


@pages.get("/notes/<int:note_id>")
def show_note(note_id: int):
    note = store.note(note_id)
    if note is None or not store.can_see(note, g.user):
        abort(404)
    owner = g.user is not None and g.user["id"] == note["owner_id"]
    return page(note["title"], html.note_page(note, store.user_by_id(note["owner_id"]), owner, csrf_token()))


@pages.post("/notes/<int:note_id>/delete")
def delete_note(note_id: int):
    require_csrf()
    if (to_login := require_login()) is not None:
        return to_login
    note = store.note(note_id)
    if note is None or not store.can_see(note, g.user):
        abort(404)
    if note["owner_id"] != g.user["id"]:
        abort(403)
    run("DELETE FROM notes WHERE id = :id", id=note_id)
    return redirect("/", 303)


@pages.route("/profile", methods=["GET", "POST"])
def profile():
    if request.method == "POST":
        require_csrf()
    if (to_login := require_login()) is not None:
        return to_login
    if request.method == "GET":
        return page("Your profile", html.profile_form(g.user, csrf_token()))
    fields = {key: request.form.get(key, "") for key in ("display_name", "bio", "website")}
    problem = validate.profile(**fields)
    if problem:
        return page("Your profile", html.profile_form(g.user, csrf_token(), problem), 400)
    store.set_profile(g.user["id"], **fields)
    return redirect(f"/users/{quote(g.user['username'])}", 303)


@pages.get("/users/<username>")
def show_user(username: str):
    profile = store.user_by_name(username)
    if profile is None:
        abort(404)
    own = g.user is not None and g.user["id"] == profile["id"]
    return page(html.name_of(profile), html.user_page(profile, store.notes_by(profile["id"], own)))


@pages.get("/files")
def files():
    names = sorted(
        os.path.relpath(os.path.join(folder, name), config.FILES_DIR)
        for folder, _, found in os.walk(config.FILES_DIR)
        for name in found
    )
    items = "".join(f'<li><a href="/files/download?name={quote(n)}">{html.esc(n)}</a></li>' for n in names)
    return page("Files", f"<h1>Files</h1><ul>{items}</ul>")


@pages.get("/files/download")
def download():
    # safe_join refuses absolute names and any .. that would climb out; realpath catches symbolic links.
    path = safe_join(config.FILES_DIR, request.args.get("name", ""))
    inside = path is not None and os.path.realpath(path).startswith(config.FILES_DIR + os.sep)
    if not inside or not os.path.isfile(path):
        abort(404)
    return send_file(path)
