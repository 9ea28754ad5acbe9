"""Notes API with users, roles, tokens, sessions and API keys."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.dialects.postgresql import insert

from app.api.errors import LockedOut, OAuthError, locked_out_handler, oauth_error_handler
from app.api.routes import api_keys, auth, notes, oidc, users
from app.core.config import get_settings
from app.core.db import Base, get_engine
from app.core.security import hash_password
from app.models import User


def init_db() -> None:
    """Create the tables and the first administrator (from the environment) if they are missing."""
    settings = get_settings()
    engine = get_engine()
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        admin = {
            "username": settings.admin_username,
            "password_hash": hash_password(settings.admin_password),
            "role": "admin",
        }
        conn.execute(insert(User).values(**admin).on_conflict_do_nothing(index_elements=["username"]))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    init_db()
    yield


app = FastAPI(title="Lab 03: Authentication & Authorization", lifespan=lifespan)
app.add_exception_handler(OAuthError, oauth_error_handler)
app.add_exception_handler(LockedOut, locked_out_handler)
for module in (auth, users, notes, api_keys, oidc):
    app.include_router(module.router)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
