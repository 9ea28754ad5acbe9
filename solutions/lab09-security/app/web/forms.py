"""Form helpers: the CSRF check and the target of the redirect after login."""

import hmac
from urllib.parse import urlsplit

from fastapi import Form, HTTPException

from app.api.deps import OptionalSession
from app.core.sessions import Session


def csrf_valid(session: Session | None, submitted: str) -> bool:
    return session is not None and hmac.compare_digest(submitted.encode(), session.csrf_token.encode())


def require_csrf(session: OptionalSession, csrf_token: str = Form("")) -> None:
    """Every state-changing form of a logged-in user carries the token of that user's session."""
    if not csrf_valid(session, csrf_token):
        raise HTTPException(status_code=403, detail="the form's CSRF token is missing or wrong")


def safe_next(target: str | None) -> str:
    """A path on this site, or "/". Browsers read "//host", "/\\host" and "/\\t/host" as another site."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(char) < 0x20 or char == "\\" for char in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target
