"""Bookshop API: authors, books, tags, reviews and the stock of warehouses, on PostgreSQL.

The schema is created by the Alembic migrations (`python -m alembic upgrade head`), never here.
"""

from fastapi import FastAPI

from app.api import errors
from app.api.routes import authors, books, reviews, tags, transfers, warehouses

app = FastAPI(title="Lab 04: Relational Databases")
errors.install(app)
for module in (authors, tags, books, reviews, warehouses, transfers):
    app.include_router(module.router)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
