"""Bounded polling: wait for a condition without sleeping for synchronisation."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from grader import deadline as check_deadline

T = TypeVar("T")


class TimedOut(Exception):
    """The condition did not hold within the bound; `last` is the last value seen."""

    def __init__(self, message: str, last: object = None) -> None:
        super().__init__(message)
        self.last = last


def eventually(
    probe: Callable[[], T],
    *,
    timeout: float,
    interval: float = 0.02,
    until: Callable[[T], bool] = bool,
    transient: tuple[type[BaseException], ...] = (),
    what: str = "the condition",
) -> T:
    """Call `probe` until `until(result)` holds; return that result, or raise TimedOut after `timeout`.

    Exceptions listed in `transient` count as "not yet". The interval grows gently so a slow
    condition does not cost many polls, and never beyond a quarter of a second. The check's own
    deadline shortens `timeout` when it comes first.
    """
    try:
        timeout = check_deadline.remaining(timeout, what=what)
    except check_deadline.DeadlineExceeded:
        timeout = 0.0
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = probe()
            last = value
            if until(value):
                return value
        except transient as exc:
            last = exc
        if time.monotonic() >= deadline:
            raise TimedOut(f"{what} did not hold within {timeout:g} s", last)
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
        interval = min(interval * 1.5, 0.25)
