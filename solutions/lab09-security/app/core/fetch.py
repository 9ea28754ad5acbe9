"""Fetching a URL for the user, safely: only from the allowed origins, checked before every connection.

The rule is an allowlist of exact host:port pairs. A blocklist of "internal" addresses always misses
a spelling (2130706433, 0x7f.1, [::ffff:127.0.0.1], a DNS name that points home) or a redirect.
"""

import socket
from urllib.parse import urljoin, urlsplit

import httpx

from app.core.config import settings

MAX_REDIRECTS = 3
MAX_BYTES = 64 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}


class FetchRefused(Exception):
    """The URL is not one the app may fetch; nothing was connected to."""


class FetchFailed(Exception):
    """The URL was allowed but fetching it did not work."""


def _check(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an allowed URL, or FetchRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchRefused("this is not a valid URL") from exc
    if parts.scheme not in DEFAULT_PORTS:
        raise FetchRefused("only http and https URLs can be fetched")
    if parts.username is not None or parts.password is not None:
        raise FetchRefused("URLs with credentials are not fetched")
    host = parts.hostname or ""
    port = port or DEFAULT_PORTS[parts.scheme]
    origin = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if not host or origin not in settings.allowed_origins:
        raise FetchRefused(f"{origin} is not an allowed origin")
    return parts.scheme, host, port


def _resolve(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise FetchFailed(f"cannot resolve {host}") from exc
    return str(infos[0][4][0])  # the address of the first answer (an IPv4 or IPv6 literal)


def fetch_text(url: str) -> str:
    """The text at url (at most MAX_BYTES), following at most MAX_REDIRECTS redirects, each checked."""
    with httpx.Client(follow_redirects=False, timeout=5.0, trust_env=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            scheme, host, port = _check(url)
            # Connect to the address just resolved, so that a second DNS answer cannot point elsewhere.
            address = _resolve(host, port)
            parts = urlsplit(url)
            target = httpx.URL(
                scheme=scheme, host=address, port=port, path=parts.path or "/", query=parts.query.encode()
            )
            headers = {"Host": parts.netloc.rpartition("@")[2]}
            try:
                sni = {"sni_hostname": host}
                with client.stream("GET", target, headers=headers, extensions=sni) as response:
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        continue
                    if response.status_code != 200:
                        raise FetchFailed(f"the URL answered {response.status_code}")
                    body = b""
                    for chunk in response.iter_bytes():
                        body += chunk
                        if len(body) >= MAX_BYTES:
                            break
                    text = body[:MAX_BYTES].decode(response.encoding or "utf-8", "replace")
                    return text.replace("\x00", "")  # PostgreSQL text cannot hold NUL
            except httpx.HTTPError as exc:
                raise FetchFailed("the URL could not be fetched") from exc
    raise FetchRefused("too many redirects")
