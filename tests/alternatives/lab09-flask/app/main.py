"""Notebook, the Flask version: pages, the JSON API, security headers and quiet errors."""

from datetime import timedelta

from flask import Flask, g, jsonify, request, session
from werkzeug.exceptions import HTTPException

from app import config, db, security, store
from app.api import api
from app.pages import pages
from app.sessions import PostgresSessions

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'",
    "Strict-Transport-Security": "max-age=31536000",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

app = Flask(__name__)
app.config.update(
    SECRET_KEY=config.SECRET_KEY,
    SESSION_COOKIE_SECURE=True,
    SESSION_COOKIE_HTTPONLY=True,
    SESSION_COOKIE_SAMESITE="Strict",
    PERMANENT_SESSION_LIFETIME=timedelta(hours=8),  # how long a session row lives after its login
    MAX_CONTENT_LENGTH=1024 * 1024,
)
app.session_interface = PostgresSessions()  # server-side: logout ends the session for every copy
app.register_blueprint(api)
app.register_blueprint(pages)
db.init()


@app.before_request
def load_user() -> None:
    g.user = store.user_by_id(session["uid"]) if "uid" in session else None


@app.after_request
def security_headers(response):
    response.headers.update(HEADERS)
    return response


@app.after_request
def readable_csrf_cookie(response):
    # The double-submit convention of script front-ends (XSRF-TOKEN): a copy of the form token that
    # page scripts may read. Not HttpOnly on purpose; the contract's flags are for the session cookie.
    if g.get("user") is not None or "uid" in session:
        response.set_cookie("XSRF-TOKEN", security.csrf_token(), secure=True, samesite="Strict")
    return response


def wants_json() -> bool:
    return request.path.startswith("/api/")


@app.errorhandler(HTTPException)
def http_error(error: HTTPException):
    if wants_json():
        return jsonify({"detail": error.description}), error.code
    return f"<!doctype html><title>{error.code}</title><h1>{error.code} {error.name}</h1>", error.code


@app.errorhandler(Exception)
def unexpected(error: Exception):
    # Flask logs the traceback; the client learns nothing about it.
    app.logger.exception("unexpected error on %s %s", request.method, request.path)
    if wants_json():
        return jsonify({"detail": "Internal Server Error"}), 500
    return "<!doctype html><title>Error</title><h1>Something went wrong</h1>", 500
