"""Calls to the catalog service (the upstream). Naive on purpose: read the README first."""

from __future__ import annotations

from typing import Any

import httpx

from app.core.config import get_settings


class NotFound(Exception):
    """The catalog answered 404."""


async def call(method: str, path: str, json: dict[str, Any] | None = None) -> bytes:
    # TODO (contract, "When the upstream fails"): this waits as long as httpx's default allows and
    # lets every failure escape as a 500. Bound the call by UPSTREAM_TIMEOUT_SECONDS and turn
    # timeouts and errors into something the routes can answer with 503/504 (or a stale copy).
    # TODO: one client for the whole app (created in a lifespan) reuses connections; this makes a new one
    # per call.
    async with httpx.AsyncClient(base_url=get_settings().upstream_url) as client:
        response = await client.request(method, path, json=json)
    if response.status_code == 404:
        raise NotFound(path)
    response.raise_for_status()
    return response.content
