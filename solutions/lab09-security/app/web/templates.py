"""The Jinja2 environment of the HTML pages: every value is escaped unless a template says otherwise."""

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent.parent / "templates"),
    autoescape=True,
)
templates = Jinja2Templates(env=_env)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    # The session the route's dependencies loaded (app/api/deps.py), if any: its forms carry its token.
    session = getattr(request.state, "session", None)
    context.setdefault("csrf_token", session.csrf_token if session is not None else "")
    return templates.TemplateResponse(request, name, context, status_code=status_code)
