"""Lab 05 contract on Flask: cache-aside with single flight, write-through, a WATCH/MULTI rate limiter."""

from __future__ import annotations

import hashlib
import os

from flask import Flask, Response, g, jsonify, request
from redis import Redis

from app.cache import Cache, Entry
from app.limiter import SlidingLog
from app.regex import RegexConverter
from app.upstream import NotFound, Upstream, UpstreamDown, UpstreamGarbled, UpstreamSlow

TTL = int(os.environ.get("CACHE_TTL_SECONDS", "60"))
STALE = int(os.environ.get("CACHE_STALE_SECONDS", "300"))
TIMEOUT = float(os.environ.get("UPSTREAM_TIMEOUT_SECONDS", "2"))

redis = Redis.from_url(
    os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), socket_timeout=0.5, socket_connect_timeout=0.5
)
upstream = Upstream(os.environ.get("UPSTREAM_URL", "http://127.0.0.1:9000"), TIMEOUT)
cache = Cache(redis, ttl=TTL, stale=STALE, wait=TIMEOUT)
limiter = SlidingLog(
    redis,
    limit=int(os.environ.get("RATE_LIMIT", "60")),
    window=int(os.environ.get("RATE_WINDOW_SECONDS", "60")),
)

app = Flask(__name__)
app.url_map.converters["regex"] = RegexConverter
app.url_map.strict_slashes = False
SLUG = r"[A-Za-z0-9_-]{1,64}"


def parse_update(data: object) -> dict[str, object] | None:
    """{"name": non-empty string, "price": number >= 0}, or None."""
    if not isinstance(data, dict):
        return None
    name, price = data.get("name"), data.get("price")
    if not isinstance(name, str) or not name or isinstance(price, bool) or not isinstance(price, int | float):
        return None
    return {"name": name, "price": price} if price >= 0 else None


def error(status: int, detail: str) -> Response:
    response = jsonify(detail=detail)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@app.before_request
def rate_limit() -> Response | None:
    if not request.path.startswith(("/products", "/categories")):
        return None
    who = request.headers.get("X-Client-Id") or f"addr:{request.remote_addr}"
    decision = limiter.hit(who)
    g.rate = decision
    if decision is not None and not decision.allowed:
        response = error(429, "too many requests")
        response.headers["Retry-After"] = str(decision.retry_after)
        return response
    return None


@app.after_request
def rate_headers(response: Response) -> Response:
    decision = g.get("rate")
    if decision is not None:
        response.headers["RateLimit-Limit"] = str(decision.limit)
        response.headers["RateLimit-Remaining"] = str(decision.remaining)
    return response


@app.errorhandler(NotFound)
def not_found(exc: Exception) -> Response:
    return error(404, "unknown product")


@app.errorhandler(UpstreamSlow)
def too_slow(exc: Exception) -> Response:
    return error(504, "catalog timed out")


@app.errorhandler(UpstreamGarbled)
def garbled(exc: Exception) -> Response:
    return error(502, "catalog answer unusable")


@app.errorhandler(UpstreamDown)
def down(exc: Exception) -> Response:
    return error(503, "catalog failing")


def answer(entry: Entry) -> Response:
    tag = '"' + hashlib.blake2b(entry.body, digest_size=12).hexdigest() + '"'
    headers = {"ETag": tag, "Cache-Control": f"public, max-age={entry.max_age}", "X-Cache": entry.state}
    wanted = request.headers.get("If-None-Match", "")
    tags = {t.strip().removeprefix("W/") for t in wanted.split(",")}
    if tag in tags or "*" in tags:
        return Response(status=304, headers=headers)
    return Response(entry.body, status=200, headers=headers, content_type="application/json")


@app.get("/health")
def health() -> Response:
    return jsonify(status="ok")


@app.get(f"/products/<regex('{SLUG}'):pid>")
def product(pid: str) -> Response:
    return answer(cache.read(f"product:{pid}", lambda: upstream.get(f"/products/{pid}")))


@app.get(f"/categories/<regex('{SLUG}'):cat>/products")
def category(cat: str) -> Response:
    return answer(cache.read(f"category:{cat}", lambda: upstream.get(f"/categories/{cat}/products")))


@app.put(f"/products/<regex('{SLUG}'):pid>")
def update(pid: str) -> Response:
    change = parse_update(request.get_json(force=True, silent=True))
    if change is None:
        return error(422, "expected {name, price}")
    body, product_category = upstream.put(f"/products/{pid}", change)
    cache.replace(f"product:{pid}", body)
    cache.drop(f"category:{product_category}")
    return Response(body, status=200, content_type="application/json", headers={"Cache-Control": "no-store"})
