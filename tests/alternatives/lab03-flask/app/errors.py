"""One exception for every error answer, rendered as JSON by the app's error handler."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}

    def render(self) -> Response:
        response = jsonify(self.body)
        response.status_code = self.status
        response.headers.update(self.headers)
        return response


def detail(status: int, message: str, headers: dict[str, str] | None = None) -> ApiError:
    return ApiError(status, {"detail": message}, headers)


def invalid_grant(message: str = "The credentials are not valid") -> ApiError:
    body = {"error": "invalid_grant", "error_description": message}
    return ApiError(400, body, {"Cache-Control": "no-store"})


def not_authenticated(sent_something: bool) -> ApiError:
    challenge = 'Bearer realm="notes", error="invalid_token"' if sent_something else 'Bearer realm="notes"'
    return detail(401, "Authentication required", {"WWW-Authenticate": challenge})
