"""Puts the lab folder on sys.path and runs a fake catalog for the app to call.

The app reads its settings from the environment, so they are set here, before the app is imported.
Without REDIS_URL the app gets a Redis address where nothing listens: the tests that need Redis are
skipped, the others check that the app works without it.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(LAB))
sys.path.insert(0, str(LAB / "tests"))

from fake_catalog import FakeCatalog  # noqa: E402

CATALOG = FakeCatalog(latency=0.01).start()
HAVE_REDIS = bool(os.environ.get("REDIS_URL"))
os.environ["UPSTREAM_URL"] = CATALOG.url
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:1/0")
for name, value in {
    "CACHE_TTL_SECONDS": "30",
    "CACHE_STALE_SECONDS": "60",
    "UPSTREAM_TIMEOUT_SECONDS": "1",
    "RATE_LIMIT": "5",
    "RATE_WINDOW_SECONDS": "10",
}.items():
    os.environ.setdefault(name, value)

needs_redis = pytest.mark.skipif(not HAVE_REDIS, reason="set REDIS_URL (redis://localhost:6379/15) to run")


@pytest.fixture(scope="session")
def catalog() -> FakeCatalog:
    return CATALOG


@pytest.fixture
def client() -> Iterator[object]:
    from app.main import app
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        test_client.headers["X-Client-Id"] = uuid.uuid4().hex  # a fresh rate-limit budget per test
        yield test_client


@pytest.fixture
def product(catalog: FakeCatalog) -> dict[str, object]:
    """A product of its own for each test, so tests never see each other's cache entries."""
    product_id = "t-" + uuid.uuid4().hex[:10]
    with catalog.lock:
        catalog.products[product_id] = {
            "id": product_id,
            "name": "Test",
            "price": 1.0,
            "category": "c-" + product_id,
        }
    return dict(catalog.products[product_id])
