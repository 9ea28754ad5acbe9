from __future__ import annotations

import json
from typing import Any

import requests


class NotFound(Exception):
    pass


class UpstreamDown(Exception):
    pass


class UpstreamSlow(UpstreamDown):
    pass


class Upstream:
    def __init__(self, base: str, timeout: float) -> None:
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> bytes:
        try:
            # stream=False: the whole body is read under the read timeout.
            response = self.session.request(method, self.base + path, json=body, timeout=self.timeout)
        except requests.Timeout as exc:
            raise UpstreamSlow(str(exc)) from exc
        except requests.RequestException as exc:
            raise UpstreamDown(str(exc)) from exc
        if response.status_code == 404:
            raise NotFound(path)
        if response.status_code >= 500 or response.status_code >= 400:
            raise UpstreamDown(f"status {response.status_code}")
        return response.content

    def get(self, path: str) -> bytes:
        return self._call("GET", path)

    def put(self, path: str, body: dict[str, Any]) -> tuple[bytes, str]:
        content = self._call("PUT", path, body)
        return content, json.loads(content)["category"]
