"""Brute-force protection: after too many failed logins a username is locked for a while.

Counted per username (not per client address) so that one attacker spreading guesses over many
addresses is still stopped; usernames that do not exist are counted too, so a lockout does not
reveal which accounts exist. In memory: enough for one process; several processes would share it
in the database or Redis.
"""

import math
import threading
import time
from dataclasses import dataclass


@dataclass
class _Entry:
    failures: int = 0
    locked_until: float = 0.0


class LoginThrottle:
    def __init__(self, max_failures: int, lockout_seconds: float) -> None:
        self.max_failures = max_failures
        self.lockout_seconds = lockout_seconds
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def retry_after(self, username: str) -> int | None:
        """Seconds until this username may try again, or None when it is not locked."""
        with self._lock:
            entry = self._entries.get(username)
            if entry is None or entry.locked_until == 0.0:
                return None
            left = entry.locked_until - time.monotonic()
            if left <= 0:
                del self._entries[username]  # the lock is over: start counting afresh
                return None
            return max(1, math.ceil(left))

    def failed(self, username: str) -> None:
        with self._lock:
            entry = self._entries.setdefault(username, _Entry())
            entry.failures += 1
            if entry.failures >= self.max_failures:
                entry.locked_until = time.monotonic() + self.lockout_seconds

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._entries.pop(username, None)
