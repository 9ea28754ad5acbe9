"""Bookshop API: authors, books, tags, reviews and the stock of warehouses, on PostgreSQL.

Start here, and read "The contract" in the README. The schema is created by the Alembic migrations
(`python -m alembic upgrade head`), never by the app.
"""

from fastapi import FastAPI

app = FastAPI(title="Lab 04: Relational Databases")


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


# TODO: one router per resource (app/api/routes/...), each endpoint with a session per request
#       (app/core/db.py: get_session) and typed request/response models:
#   - /authors, /tags, /books (+ filters and keyset pagination), /books/{id}/reviews,
#     /warehouses/{id}/stock/{book_id}, /transfers (one transaction, safe under concurrency)
#   - turn the database's integrity errors into 409 / 422 answers, never a 500
