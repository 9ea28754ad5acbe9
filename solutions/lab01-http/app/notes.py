"""The /notes collection of section 8: notes kept in memory, in creation order, ids never reused."""

from __future__ import annotations

import threading


class Notes:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: dict[int, str] = {}  # id -> text; a dict keeps insertion order, replacing keeps a place
        self.last = 0  # the greatest id given so far: the next one is above it, deleted or not

    def create(self, text: str) -> dict[str, object]:
        with self.lock:
            self.last += 1
            self.items[self.last] = text
            return {"id": self.last, "text": text}

    def all(self) -> list[dict[str, object]]:
        with self.lock:
            return [{"id": key, "text": value} for key, value in self.items.items()]

    def get(self, note_id: int) -> dict[str, object] | None:
        with self.lock:
            if note_id not in self.items:
                return None
            return {"id": note_id, "text": self.items[note_id]}

    def replace(self, note_id: int, text: str) -> dict[str, object] | None:
        with self.lock:
            if note_id not in self.items:
                return None
            self.items[note_id] = text
            return {"id": note_id, "text": text}

    def delete(self, note_id: int) -> bool:
        with self.lock:
            return self.items.pop(note_id, None) is not None
