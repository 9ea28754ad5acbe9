"""Notebook, the Flask version: pages, the JSON API, security headers and quiet errors."""

from flask import Flask, g, jsonify, request, session
from werkzeug.exceptions import HTTPException

from app import config, db, store
from app.api import api
from app.pages import pages

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
    MAX_CONTENT_LENGTH=1024 * 1024,
)
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
