"""Opaque cursors for keyset pagination: the sort key of the last row seen, base64url-encoded JSON.

A cursor carries the values themselves (not a row to look up), so it stays valid when that row is
deleted; and a page is "rows after these values", so rows added or removed meanwhile never shift it.
"""

import base64
import binascii
import json
from datetime import datetime

from fastapi import HTTPException

from app.api.deps import MAX_ID


def encode(values: dict[str, object]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> dict[str, object]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError):
        raise HTTPException(status_code=400, detail="Invalid cursor.") from None
    if not isinstance(values, dict):
        raise HTTPException(status_code=400, detail="Invalid cursor.")
    return values


def _id(value: object) -> int:
    if type(value) is not int or not 0 <= value <= MAX_ID:
        raise HTTPException(status_code=400, detail="Invalid cursor.")
    return value


def decode_id(cursor: str) -> int:
    return _id(_decode(cursor).get("id"))


def decode_time_id(cursor: str) -> tuple[datetime, int]:
    values = _decode(cursor)
    try:
        moment = datetime.fromisoformat(str(values.get("t")))
    except ValueError:
        raise HTTPException(status_code=400, detail="Invalid cursor.") from None
    if moment.tzinfo is None:
        raise HTTPException(status_code=400, detail="Invalid cursor.")
    return moment, _id(values.get("id"))
