"""Connections, cursors and the mapping from PostgreSQL errors to HTTP answers."""

import base64
import binascii
import os
import queue
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import psycopg
from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from psycopg import errors
from psycopg.rows import dict_row

MAX_ID = 2**31 - 1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


_idle: queue.LifoQueue[psycopg.Connection[dict[str, Any]]] = queue.LifoQueue(maxsize=20)


def _connect() -> psycopg.Connection[dict[str, Any]]:
    return psycopg.connect(
        os.environ["DATABASE_URL"], row_factory=dict_row, connect_timeout=10, autocommit=True
    )


def connection() -> Iterator[psycopg.Connection[dict[str, Any]]]:
    """A connection per request, from a small pool of idle ones (a new connection costs a round trip
    and an authentication), in autocommit: each statement is its own transaction unless a
    `with db.transaction():` block groups several. Nothing waits for the end of the request to be
    committed, so what the answer reports is already there for the next request. A connection goes
    back to the pool only when it is idle and healthy."""
    try:
        conn = _idle.get_nowait()
    except queue.Empty:
        conn = _connect()
    if conn.closed or conn.broken:
        conn = _connect()
    try:
        yield conn
    finally:
        if conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.close()
        else:
            try:
                _idle.put_nowait(conn)
            except queue.Full:
                conn.close()


Db = Annotated[psycopg.Connection, Depends(connection)]


def not_found(what: str) -> HTTPException:
    return HTTPException(404, f"{what} not found")


async def database_error(request: Request, exc: Exception) -> JSONResponse:
    """The database's verdicts: duplicates conflict, broken references and rules are unprocessable.
    The answer names the kind of problem, never the constraint or the server's message."""
    if isinstance(exc, errors.UniqueViolation | errors.RestrictViolation):
        return JSONResponse({"detail": "conflict with existing data"}, status_code=409)
    if isinstance(exc, errors.ForeignKeyViolation):
        return JSONResponse({"detail": "refers to something that does not exist"}, status_code=422)
    if isinstance(exc, errors.IntegrityError | errors.DataError):
        return JSONResponse({"detail": "rejected by the database's rules"}, status_code=422)
    raise exc


# Cursors: plain text, "<id>" for books and "<microseconds since 1970>_<id>" for reviews.
def _bad_cursor() -> HTTPException:
    return HTTPException(400, "malformed cursor")


def book_cursor(cursor: str) -> int:
    if not cursor.isdigit() or len(cursor) > 10 or int(cursor) > MAX_ID:
        raise _bad_cursor()
    return int(cursor)


def review_cursor(created_at: datetime, review_id: int) -> str:
    micros = (created_at - EPOCH) // timedelta(microseconds=1)
    return base64.b32encode(f"{micros}_{review_id}".encode()).decode().rstrip("=").lower()


def parse_review_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        text = base64.b32decode(cursor.upper() + "=" * (-len(cursor) % 8)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _bad_cursor() from None
    micros, _, review_id = text.partition("_")
    if not (micros.isdigit() and review_id.isdigit()) or len(micros) > 17 or len(review_id) > 10:
        raise _bad_cursor()
    return EPOCH + timedelta(microseconds=int(micros)), int(review_id)


def like_prefix(text: str) -> str:
    """A LIKE pattern matching texts that start with `text` literally (backslash is LIKE's escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
