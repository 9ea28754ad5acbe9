"""A minimal batching loader: keys asked for in the same event-loop tick load in one call."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any

Batch = Callable[[list[Any]], Awaitable[Sequence[Any]]]


class Loader:
    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.futures: dict[Hashable, asyncio.Future[Any]] = {}
        self.waiting: list[Hashable] = []

    def load(self, key: Hashable) -> asyncio.Future[Any]:
        if key not in self.futures:
            self.futures[key] = asyncio.get_running_loop().create_future()
            self.waiting.append(key)
            if len(self.waiting) == 1:
                asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self.run()))
        return self.futures[key]

    async def run(self) -> None:
        keys, self.waiting = self.waiting, []
        try:
            values = await self.batch(keys)
        except Exception as exc:  # every waiter fails with it
            for key in keys:
                self.futures[key].set_exception(exc)
            return
        for key, value in zip(keys, values, strict=True):
            self.futures[key].set_result(value)
