from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as Overdue
from typing import Any

import requests

# requests' timeout bounds each socket read, not the whole answer: a catalog that sends its headers at
# once and then trickles the body would hold a request for as long as it likes. Each call runs in a
# worker and is waited for `timeout` seconds in all; a worker left reading finishes on its own.
CALLS = ThreadPoolExecutor(max_workers=32, thread_name_prefix="catalog")


class NotFound(Exception):
    pass


class UpstreamDown(Exception):
    pass


class UpstreamSlow(UpstreamDown):
    pass


class UpstreamGarbled(UpstreamDown):
    """A 200 whose body is not the JSON object the contract describes."""


class Upstream:
    def __init__(self, base: str, timeout: float) -> None:
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> bytes:
        try:
            url = self.base + path
            call = CALLS.submit(self.session.request, method, url, json=body, timeout=self.timeout)
            response = call.result(timeout=self.timeout)
        except (requests.Timeout, Overdue) as exc:
            raise UpstreamSlow(str(exc)) from exc
        except requests.RequestException as exc:
            raise UpstreamDown(str(exc)) from exc
        if response.status_code == 404:
            raise NotFound(path)
        if response.status_code >= 500 or response.status_code >= 400:
            raise UpstreamDown(f"status {response.status_code}")
        return response.content

    def get(self, path: str) -> bytes:
        content = self._call("GET", path)
        parse_object(content)
        return content

    def put(self, path: str, body: dict[str, Any]) -> tuple[bytes, str]:
        content = self._call("PUT", path, body)
        category = parse_object(content).get("category")
        if not isinstance(category, str):
            raise UpstreamGarbled("no category")
        return content, category


def parse_object(content: bytes) -> dict[str, Any]:
    try:
        data = json.loads(content)
    except ValueError as exc:
        raise UpstreamGarbled("not JSON") from exc
    if not isinstance(data, dict):
        raise UpstreamGarbled("not an object")
    return data
