"""Flask's `session`, kept on the server: the cookie holds an opaque random id, the data a row in PostgreSQL.

Flask's own session is a signed cookie: logout can only ask the browser to forget it, and a copy taken
before stays valid. Here logout deletes the row, and the copy opens nothing.
"""

import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from app import config, db


class ServerSession(CallbackDict[str, Any], SessionMixin):
    def __init__(self, data: dict[str, Any] | None = None, sid: str | None = None) -> None:
        def changed(_: CallbackDict[str, Any]) -> None:
            self.modified = True

        super().__init__(data or {}, changed)
        self.sid = sid  # the cookie's value; None until the session is first stored
        self.renew = False  # store it under a new id (login, logout): the old id ends
        self.modified = False


def renew(session: SessionMixin) -> None:
    """Start over with an empty session under a new id: the old row is deleted when the response is saved."""
    session.clear()
    if isinstance(session, ServerSession):
        session.renew = True


def _row_id(sid: str) -> str:
    """The table stores a keyed hash of the id, never the id: a leaked table holds no usable session."""
    return hmac.new(config.SECRET_KEY.encode(), sid.encode(), hashlib.sha256).hexdigest()


class PostgresSessions(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(self.get_cookie_name(app))
        if sid:
            row = db.one("SELECT data FROM sessions WHERE id = :id AND expires_at > now()", id=_row_id(sid))
            if row is not None:
                return ServerSession(row["data"], sid)
        return ServerSession()

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)
        if session.sid is not None and (session.renew or not session):
            db.run("DELETE FROM sessions WHERE id = :id", id=_row_id(session.sid))
            if not session:
                self._forget(app, response)
                return
            session.sid = None
        if not session.modified or not session:
            return
        data = json.dumps(dict(session))
        if session.sid is not None:
            db.run(
                "UPDATE sessions SET data = CAST(:data AS jsonb) WHERE id = :id",
                id=_row_id(session.sid),
                data=data,
            )
            return
        session.sid = secrets.token_urlsafe(32)
        expires = datetime.now(UTC) + app.permanent_session_lifetime  # absolute: not extended by use
        db.run(
            "INSERT INTO sessions (id, data, expires_at) VALUES (:id, CAST(:data AS jsonb), :expires)",
            id=_row_id(session.sid),
            data=data,
            expires=expires,
        )
        db.run("DELETE FROM sessions WHERE expires_at <= now()")  # expired rows go when a new one comes
        response.set_cookie(
            self.get_cookie_name(app),
            session.sid,
            expires=expires,
            path=self.get_cookie_path(app),
            domain=self.get_cookie_domain(app),
            secure=self.get_cookie_secure(app),
            httponly=self.get_cookie_httponly(app),
            samesite=self.get_cookie_samesite(app),
        )

    def _forget(self, app: Flask, response: Response) -> None:
        response.delete_cookie(
            self.get_cookie_name(app),
            path=self.get_cookie_path(app),
            domain=self.get_cookie_domain(app),
            secure=self.get_cookie_secure(app),
            httponly=self.get_cookie_httponly(app),
            samesite=self.get_cookie_samesite(app),
        )
