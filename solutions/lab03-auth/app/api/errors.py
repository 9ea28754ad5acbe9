"""Errors with a shape fixed by a standard."""

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse


class OAuthError(Exception):
    """A token endpoint error (RFC 6749 5.2): 400 and {"error": code}."""

    def __init__(self, error: str, description: str, status_code: int = 400) -> None:
        self.error = error
        self.description = description
        self.status_code = status_code


def oauth_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OAuthError)
    return JSONResponse(
        {"error": exc.error, "error_description": exc.description},
        status_code=exc.status_code,
        headers={"Cache-Control": "no-store"},
    )


def unauthorized(invalid_token: bool = False) -> HTTPException:
    """401 with the challenge RFC 6750 3.1 asks for; error="invalid_token" only when one was sent."""
    challenge = 'Bearer error="invalid_token"' if invalid_token else "Bearer"
    detail = "Invalid or expired credentials" if invalid_token else "Not authenticated"
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": challenge})


def invalid_grant() -> OAuthError:
    # One message whatever went wrong, so the answer does not tell whether the user exists.
    return OAuthError("invalid_grant", "Incorrect username or password")


class LockedOut(Exception):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after


def locked_out_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LockedOut)
    return JSONResponse(
        {"detail": "Too many failed attempts; try again later"},
        status_code=429,
        headers={"Retry-After": str(exc.retry_after)},
    )
