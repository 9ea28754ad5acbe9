"""Deadlines that bound everything the grader waits for: a check, a request, a raw read.

A check runs with a deadline (its budget); every request, socket read or poll inside it asks
`remaining()` how long it may still wait, so a slow or trickling app can never hold a check beyond
its budget. Deadlines live in a context variable: `spawn_context()` hands the current one to threads
a check starts (bursts), which is why suites use `grader.concurrency.burst` rather than bare threads.

    with within(5.0):            # nested deadlines: the earliest wins
        sock.settimeout(remaining(2.0))
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("grader_deadline", default=None)


class DeadlineExceeded(TimeoutError):
    """The current deadline passed before the operation could finish."""


def current() -> float | None:
    """The monotonic time by which the current check (or request) must be done, if any."""
    return _deadline.get()


@contextlib.contextmanager
def within(seconds: float | None) -> Iterator[float | None]:
    """Run the block under a deadline `seconds` from now (or the enclosing one, if earlier)."""
    outer = _deadline.get()
    if seconds is None:
        yield outer
        return
    mine = time.monotonic() + seconds
    chosen = mine if outer is None else min(outer, mine)
    token = _deadline.set(chosen)
    try:
        yield chosen
    finally:
        _deadline.reset(token)


def remaining(default: float | None = None, *, what: str = "the operation") -> float:
    """Seconds left for the next wait: `default`, shortened to the deadline. DeadlineExceeded when none."""
    deadline = _deadline.get()
    if deadline is None:
        if default is None:
            raise ValueError("remaining() without a deadline needs a default")
        return default
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlineExceeded(f"{what} ran out of time")
    return left if default is None else min(default, left)


def spawn_context(function: Callable[P, T]) -> Callable[P, T]:
    """`function` bound to a copy of the caller's context: a thread started with it keeps the deadline."""
    context = contextvars.copy_context()

    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        return context.run(function, *args, **kwargs)

    return run
