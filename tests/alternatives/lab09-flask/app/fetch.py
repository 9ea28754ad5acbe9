"""The URL import's fetcher: http.client, an exact host:port allowlist, redirects followed by hand."""

import http.client
from urllib.parse import urljoin, urlsplit

from app import config

PORTS = {"http": 80, "https": 443}


class Refused(Exception):
    pass


class Failed(Exception):
    pass


def allowed(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path?query) when url may be fetched; Refused otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("malformed URL") from None
    if parts.scheme not in PORTS or "@" in parts.netloc or not parts.hostname:
        raise Refused("only plain http(s) URLs")
    port = port or PORTS[parts.scheme]
    host = parts.hostname
    if f"{f'[{host}]' if ':' in host else host}:{port}" not in config.ALLOWED_ORIGINS:
        raise Refused("not an allowed origin")
    return parts.scheme, host, port, (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def fetch(url: str, hops: int = 3) -> str:
    for _ in range(hops + 1):
        scheme, host, port, target = allowed(url)
        kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        connection = kind(host, port, timeout=5)
        try:
            connection.request("GET", target)
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                url = urljoin(url, response.getheader("Location") or "")
                continue
            if response.status != 200:
                raise Failed(f"answered {response.status}")
            return response.read(64 * 1024).decode("utf-8", "replace").replace("\x00", "")
        except OSError as exc:
            raise Failed("could not fetch") from exc
        finally:
            connection.close()
    raise Refused("too many redirects")
