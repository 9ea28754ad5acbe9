"""The slow catalog service behind the app. Every failure becomes one of three exceptions."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


class UpstreamNotFound(Exception):
    """The upstream answered 404: the product does not exist."""


class UpstreamFailed(Exception):
    """The upstream is unreachable or answered an error status."""


class UpstreamTimedOut(UpstreamFailed):
    """The upstream did not answer within the timeout."""


class Upstream:
    def __init__(self, base_url: str, timeout: float) -> None:
        self._timeout = timeout
        self._client = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout)

    async def get(self, path: str) -> bytes:
        return (await self._request("GET", path)).content

    async def put(self, path: str, body: dict[str, Any]) -> bytes:
        return (await self._request("PUT", path, json=body)).content

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            # httpx's timeout bounds each phase (connect, each read); asyncio.timeout bounds the whole call.
            async with asyncio.timeout(self._timeout):
                response = await self._client.request(method, path, **kwargs)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise UpstreamTimedOut(f"no answer within {self._timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise UpstreamFailed(f"upstream unreachable: {exc!r}") from exc
        if response.status_code == 404:
            raise UpstreamNotFound(path)
        if response.status_code >= 400:
            raise UpstreamFailed(f"upstream answered {response.status_code}")
        return response

    async def aclose(self) -> None:
        await self._client.aclose()
