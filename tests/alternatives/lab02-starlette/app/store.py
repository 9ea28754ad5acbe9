"""Rows in dictionaries; `rev` counts writes so ETags can be built from revisions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def stamp() -> datetime:
    return datetime.now(UTC)


@dataclass
class Row:
    id: int
    data: dict[str, Any]
    rev: int = 1
    created_at: datetime = field(default_factory=stamp)
    updated_at: datetime | None = None

    def change(self, values: dict[str, Any]) -> None:
        self.data.update(values)
        self.rev += 1
        self.updated_at = stamp()


class Table:
    def __init__(self) -> None:
        self.rows: dict[int, Row] = {}
        self.last_id = 0

    def insert(self, data: dict[str, Any]) -> Row:
        self.last_id += 1
        row = Row(self.last_id, dict(data))
        row.updated_at = row.created_at
        self.rows[row.id] = row
        return row


authors = Table()
books = Table()
