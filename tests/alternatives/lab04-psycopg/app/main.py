"""lab04 without an ORM: FastAPI, psycopg 3 and SQL."""

from fastapi import FastAPI
from psycopg import errors

from app import catalog, inventory
from app.db import database_error

app = FastAPI(title="Bookshop (psycopg)")
app.add_exception_handler(errors.IntegrityError, database_error)
app.add_exception_handler(errors.DataError, database_error)
app.include_router(catalog.router)
app.include_router(inventory.router)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
