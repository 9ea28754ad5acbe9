"""A tiny stand-in for the catalog service (the "upstream"), for the smoke tests and for trying by hand.

    python tests/fake_catalog.py 9000      # then: export UPSTREAM_URL=http://127.0.0.1:9000

It answers like the real one (see the README's contract), counts the calls it receives and adds a
little latency so that caching is visible. The grader runs its own, stricter, version.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SEED = [
    {"id": "p-1", "name": "Dune", "price": 9.5, "category": "books"},
    {"id": "p-2", "name": "Emma", "price": 5.0, "category": "books"},
    {"id": "p-3", "name": "Kind of Blue", "price": 12.0, "category": "music"},
]


class FakeCatalog:
    def __init__(self, port: int = 0, latency: float = 0.05) -> None:
        self.products: dict[str, dict[str, Any]] = {p["id"]: dict(p) for p in SEED}
        self.calls: Counter[str] = Counter()  # "GET /products/p-1" -> how many times
        self.latency = latency
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeCatalog:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        with self.lock:
            self.calls[f"{method} {path}"] += 1
            if match := re.fullmatch(r"/products/([\w-]+)", path):
                product = self.products.get(match[1])
                if product is None:
                    return 404, {"detail": "no such product"}
                if method == "PUT":
                    change = json.loads(body or b"{}")
                    product.update({"name": change["name"], "price": change["price"]})
                return 200, dict(product)
            if (match := re.fullmatch(r"/categories/([\w-]+)/products", path)) and method == "GET":
                items = sorted(
                    (p for p in self.products.values() if p["category"] == match[1]), key=lambda p: p["id"]
                )
                return 200, {"category": match[1], "products": [dict(p) for p in items]}
        return 404, {"detail": "no such route"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        catalog = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, data = catalog.answer(self.command, self.path.split("?")[0], body)
                time.sleep(catalog.latency)  # a slow upstream, so that a cache makes a difference
                payload = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_PUT = _serve

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        return Handler


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
    catalog = FakeCatalog(port, latency=0.5).start()
    print(f"fake catalog on {catalog.url} (Ctrl-C to stop)")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        catalog.stop()
