"""Fire requests at the same moment, to expose races (lost updates, stampedes, shared limits)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from grader import deadline

T = TypeVar("T")


def burst(n: int, call: Callable[[int], T], *, timeout: float = 30.0) -> list[T | BaseException]:
    """Run `call(i)` for i in range(n) on n threads released together by a barrier.

    Returns the results in order; an exception raised by a call is returned in its place, so one
    failing request never hides the others. Bounded: a call still running after `timeout` seconds
    (or when the check's deadline comes first) is reported as TimeoutError. The calls run under the
    check's deadline; the check's own budget is never swallowed (only Exceptions are kept as results).
    """
    timeout = deadline.remaining(timeout, what="the burst")
    barrier = threading.Barrier(n)

    def run(i: int) -> T:
        barrier.wait(timeout=timeout)
        return call(i)

    results: list[T | BaseException] = []
    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(deadline.spawn_context(run), i) for i in range(n)]
        ends = time.monotonic() + timeout
        for future in futures:
            try:
                results.append(future.result(timeout=max(0.0, ends - time.monotonic())))
            except Exception as exc:  # noqa: BLE001 - kept as a result on purpose
                results.append(
                    exc if not isinstance(exc, TimeoutError) else TimeoutError("no answer in time")
                )
    return results


def statuses(results: Iterable[Any]) -> list[int | str]:
    """Each result of a burst as its HTTP status, or the name of the exception that took its place."""
    return [type(r).__name__ if isinstance(r, BaseException) else r.status_code for r in results]


def tally(outcomes: Iterable[int | str]) -> str:
    """`201 x 5, 500 x 25`: how many answers of each status (or exception) came back."""
    counts = Counter(map(str, outcomes))
    return ", ".join(f"{status} x {n}" for status, n in sorted(counts.items()))
