"""The HTML side: server-rendered pages and their forms."""

from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from psycopg.errors import UniqueViolation

from app import crud
from app.api.deps import DbConn, OptionalUser
from app.core.security import end_session, start_session
from app.web.templates import render

router = APIRouter(include_in_schema=False)


def login_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)


@router.get("/")
def home(request: Request, conn: DbConn, user: OptionalUser) -> Response:
    return render(request, "home.html", user=user, notes=crud.latest_public_notes(conn))


@router.get("/register")
def register_form(request: Request, user: OptionalUser) -> Response:
    return render(request, "register.html", user=user, error=None, username="")


@router.post("/register")
def register(request: Request, conn: DbConn, username: str = Form(""), password: str = Form("")) -> Response:
    try:
        new_user = crud.create_user(conn, username, password)
    except UniqueViolation:
        return render(
            request, "register.html", 400, user=None, error="This username is taken.", username=username
        )
    response = RedirectResponse("/", status_code=303)
    start_session(response, new_user["id"])
    return response


@router.get("/login")
def login_form(request: Request, user: OptionalUser, next_path: str = Query("/", alias="next")) -> Response:
    return render(request, "login.html", user=user, error=None, username="", next=next_path)


@router.post("/login")
def login(
    request: Request,
    conn: DbConn,
    username: str = Form(""),
    password: str = Form(""),
    next_path: str = Form("/", alias="next"),
) -> Response:
    user = crud.authenticate(conn, username, password)
    if user is None:
        return render(
            request,
            "login.html",
            401,
            user=None,
            error="Invalid username or password.",
            username=username,
            next=next_path,
        )
    response = RedirectResponse(next_path or "/", status_code=303)
    start_session(response, user["id"])
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/", status_code=303)
    end_session(response)
    return response


@router.get("/search")
def search(request: Request, conn: DbConn, user: OptionalUser, q: str = "") -> Response:
    notes = crud.search_notes(conn, user["id"] if user else None, q) if q else []
    return render(request, "search.html", user=user, q=q, notes=notes)


@router.get("/notes/new")
def new_note_form(request: Request, user: OptionalUser) -> Response:
    if user is None:
        return login_redirect(request)
    return render(request, "new_note.html", user=user)


@router.post("/notes")
def create_note(
    request: Request,
    conn: DbConn,
    user: OptionalUser,
    title: str = Form(...),
    body: str = Form(""),
    private: bool = Form(False),
) -> Response:
    if user is None:
        return login_redirect(request)
    note = crud.create_note(conn, user["id"], title, body, private)
    return RedirectResponse(f"/notes/{note['id']}", status_code=303)


@router.get("/notes/{note_id}")
def show_note(note_id: int, request: Request, conn: DbConn, user: OptionalUser) -> Response:
    note = crud.get_note(conn, note_id)
    if note is None or (note["private"] and (user is None or user["id"] != note["owner_id"])):
        raise HTTPException(status_code=404, detail="no such note")
    author = crud.get_user(conn, note["owner_id"])
    body_html = note["body"].replace("\n", "<br>\n")
    return render(request, "note.html", user=user, note=note, author=author, body_html=body_html)


@router.post("/notes/{note_id}/delete")
def delete_note(note_id: int, request: Request, conn: DbConn, user: OptionalUser) -> Response:
    if user is None:
        return login_redirect(request)
    note = crud.get_note(conn, note_id)
    if note is None or note["owner_id"] != user["id"]:
        raise HTTPException(status_code=404, detail="no such note")
    crud.delete_note(conn, note_id)
    return RedirectResponse("/", status_code=303)


@router.get("/profile")
def profile_form(request: Request, user: OptionalUser) -> Response:
    if user is None:
        return login_redirect(request)
    return render(request, "profile_edit.html", user=user, error=None)


@router.post("/profile")
async def update_profile(request: Request, conn: DbConn, user: OptionalUser) -> Response:
    if user is None:
        return login_redirect(request)
    form = await request.form()
    crud.update_user(conn, user["id"], dict(form))
    return RedirectResponse(f"/users/{user['username']}", status_code=303)


@router.get("/users/{username}")
def show_user(username: str, request: Request, conn: DbConn, user: OptionalUser) -> Response:
    profile = crud.get_user_by_username(conn, username)
    if profile is None:
        raise HTTPException(status_code=404, detail="no such user")
    own = user is not None and user["id"] == profile["id"]
    notes = crud.notes_of(conn, profile["id"], include_private=own)
    return render(request, "user.html", user=user, profile=profile, notes=notes)
