"""Integrity errors become API errors: the database's constraints are the last word, never a 500.

The answer says what kind of rule the request broke, never how the database said it: no driver
message, no SQL, no constraint or table name (they describe the schema to whoever probes the API).
"""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from psycopg import errors as pg
from sqlalchemy.exc import DataError, IntegrityError

# SQLSTATE: 23505 unique_violation, 23503 foreign_key_violation, 23001 restrict_violation (ON DELETE
# RESTRICT, PostgreSQL 18), 23514 check_violation, 23502 not_null_violation
STATUS_BY_ERROR = {
    pg.UniqueViolation: (409, "already exists"),
    pg.RestrictViolation: (409, "is still referred to"),
    pg.ForeignKeyViolation: (422, "refers to something that does not exist"),
    pg.CheckViolation: (422, "breaks a rule of the data"),
    pg.NotNullViolation: (422, "lacks a required value"),
}


async def integrity_error_handler(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, IntegrityError):  # registered for IntegrityError only
        raise exc
    status, what = next(
        (answer for kind, answer in STATUS_BY_ERROR.items() if isinstance(exc.orig, kind)),
        (409, "conflicts with the stored data"),
    )
    return JSONResponse(status_code=status, content={"detail": f"The request {what}."})


async def data_error_handler(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": "A value is out of range for the database."})


def install(app: FastAPI) -> None:
    app.add_exception_handler(IntegrityError, integrity_error_handler)
    app.add_exception_handler(DataError, data_error_handler)
