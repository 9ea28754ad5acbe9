"""Fire requests at the same moment, to expose races (lost updates, stampedes, shared limits)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def burst(n: int, call: Callable[[int], T], *, timeout: float = 30.0) -> list[T | BaseException]:
    """Run `call(i)` for i in range(n) on n threads released together by a barrier.

    Returns the results in order; an exception raised by a call is returned in its place, so one
    failing request never hides the others. Bounded: a call still running after `timeout` seconds
    is reported as TimeoutError.
    """
    barrier = threading.Barrier(n)

    def run(i: int) -> T:
        barrier.wait(timeout=timeout)
        return call(i)

    results: list[T | BaseException] = []
    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(run, i) for i in range(n)]
        for future in futures:
            try:
                results.append(future.result(timeout=timeout))
            except BaseException as exc:  # noqa: BLE001 - kept as a result on purpose
                results.append(
                    exc if not isinstance(exc, TimeoutError) else TimeoutError("no answer in time")
                )
    return results
