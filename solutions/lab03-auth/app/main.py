"""Notes API with users, roles, tokens, sessions and API keys."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from app.api.errors import LockedOut, OAuthError, locked_out_handler, oauth_error_handler
from app.api.routes import api_keys, auth, notes, oidc, users
from app.core.config import get_settings
from app.core.db import get_engine
from app.core.security import hash_password
from app.models import User

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# The advisory lock key that schema changes take: any number no other code uses on this database.
SCHEMA_LOCK = 0x1AB03


def init_db() -> None:
    """Bring the schema to the newest migration, and create the administrator if missing.

    The lab runs no setup command, so the app migrates at startup; several instances may start at
    once, so they take turns under a PostgreSQL advisory lock, in one transaction (PostgreSQL's DDL
    is transactional): the first applies the migrations, the others find them applied."""
    settings = get_settings()
    config = Config()  # no alembic.ini here: its logging setup would replace the server's
    config.set_main_option("script_location", str(MIGRATIONS))
    with get_engine().begin() as conn:
        conn.execute(select(func.pg_advisory_xact_lock(SCHEMA_LOCK)))
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
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
