"""Settings from the environment, read once at start."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    max_body: int  # bytes of a decoded request body
    max_header: int  # bytes of a request head: request line, header lines and the empty line
    idle_timeout: float  # seconds without a byte from the client before the connection is closed
    dns_server: str  # address:port of the DNS server /resolve asks
    dns_timeout: float  # seconds to wait for its answer


def load() -> Settings:
    return Settings(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        max_body=int(os.environ.get("MAX_BODY", "1048576")),
        max_header=int(os.environ.get("MAX_HEADER", "8192")),
        idle_timeout=float(os.environ.get("IDLE_TIMEOUT", "5")),
        dns_server=os.environ.get("DNS_SERVER", "127.0.0.1:53"),
        dns_timeout=float(os.environ.get("DNS_TIMEOUT", "2")),
    )
