"""Lab 03 starter: a notes API with users, roles, tokens, sessions and API keys.

It starts and answers /health; everything else is yours to build. Suggested order (README, "The contract"):

1. tables at startup (users, notes) and the administrator from ADMIN_USERNAME / ADMIN_PASSWORD;
2. POST /auth/register with the password rules, passwords hashed in app/core/security.py;
3. POST /auth/token (grant_type=password) and a dependency that turns a bearer token into a user;
4. GET /users/me, /notes (owner only), GET /admin/users (role admin): 401 versus 403 versus 404;
5. refresh tokens (grant_type=refresh_token) with rotation and reuse detection, POST /auth/logout;
6. cookie sessions: POST /auth/session, POST /auth/session/logout;
7. API keys: /api-keys;
8. brute-force protection on every login endpoint;
9. extra credit: OpenID Connect login.

Keep main.py short: one router module per resource (e.g. app/api/routes/auth.py), shared
dependencies in app/api/deps.py, settings only from app.core.config.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # TODO: create the tables and the administrator if missing; this runs on a database that may already
    #       have both, and two instances start at once. Apply migrations (Alembic, as in lab04) under a
    #       PostgreSQL advisory lock rather than Base.metadata.create_all, which cannot change a table
    #       that already exists (lab04's README says why).
    yield


app = FastAPI(title="Lab 03: Authentication & Authorization", lifespan=lifespan)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
