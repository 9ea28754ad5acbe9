"""Hold a PostgreSQL table lock while racing requests run, so a race shows every time, not by luck.

A suite that probes a race (check-then-insert, check-then-act) fires its requests at once; whether they
interleave is up to the scheduler. Holding a lock on a table the contract fixes parks every request at the
statement that touches it; releasing the lock once they all wait there lets them through together."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, TypeVar

import psycopg

from grader import deadline
from grader.polling import TimedOut, eventually

T = TypeVar("T")

Mode = Literal["SHARE", "ACCESS EXCLUSIVE"]
WAITING = (
    "SELECT count(*) FROM pg_locks WHERE relation = %s::regclass AND NOT granted"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def while_locked(
    db: psycopg.Connection[Any],
    table: str,
    mode: Mode,
    fire: Callable[[], T],
    *,
    ready: Callable[[int], bool],
    timeout: float = 2.5,
    what: str = "the requests to reach the lock",
) -> T:
    """Run `fire()` on a thread while `db` holds `LOCK TABLE table IN mode`; return what it returns.

    The lock is released when `ready(n)` holds for n requests waiting on it, when `fire` is done, or
    after `timeout` seconds (an app that serialises the requests itself never gets them all waiting,
    and is then raced unaided). Keep `timeout` well inside the request limit the held requests run
    under. SHARE lets the app read and not write (every request passes its SELECT before any INSERT);
    ACCESS EXCLUSIVE stops it at its first read. A missing table races unaided too: the checks of the
    rule that names the table report that."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            with db.transaction():
                db.execute("SET LOCAL lock_timeout = '10s'")
                db.execute(f'LOCK TABLE "{table}" IN {mode} MODE')
                fired = pool.submit(deadline.spawn_context(fire))
                with contextlib.suppress(TimedOut):
                    eventually(
                        lambda: _waiting(db, table),
                        until=lambda n: ready(n) or fired.done(),
                        timeout=timeout,
                        what=what,
                    )
        except psycopg.errors.UndefinedTable:
            fired = pool.submit(deadline.spawn_context(fire))
        return fired.result()


def _waiting(db: psycopg.Connection[Any], table: str) -> int:
    row = db.execute(WAITING, (table,)).fetchone()
    return int(row[0]) if row else 0
