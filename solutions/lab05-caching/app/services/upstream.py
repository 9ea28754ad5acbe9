"""The slow catalog service behind the app. Every failure becomes one of four exceptions.

Their messages say what went wrong for the log; the answers to clients never include them.
"""

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


class UpstreamBadAnswer(UpstreamFailed):
    """The upstream answered 200 with a body that is not the JSON object the contract describes."""


class Upstream:
    def __init__(self, base_url: str, timeout: float) -> None:
        self._timeout = timeout
        self._client = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout)

    async def get(self, path: str) -> bytes:
        """The body of a JSON object, as the upstream sent it (it is cached and served byte for byte)."""
        response = await self._request("GET", path)
        json_object(response, path)
        return response.content

    async def put_product(self, path: str, body: dict[str, Any]) -> tuple[bytes, str]:
        """The updated product as the upstream sent it, and its category."""
        response = await self._request("PUT", path, json=body)
        category = json_object(response, path).get("category")
        if not isinstance(category, str):
            raise UpstreamBadAnswer(f"PUT {path}: the answer has no category")
        return response.content, category

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


def json_object(response: httpx.Response, path: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError as exc:  # not JSON, or not UTF-8 (UnicodeDecodeError is a ValueError)
        raise UpstreamBadAnswer(f"{path}: the answer is not JSON") from exc
    if not isinstance(data, dict):
        raise UpstreamBadAnswer(f"{path}: the answer is JSON but not an object")
    return data
