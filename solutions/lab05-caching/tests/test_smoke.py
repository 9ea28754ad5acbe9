"""Smoke tests: run them with `pytest tests` (add REDIS_URL=redis://localhost:6379/15 for the Redis ones).

They cover a little of the contract; the grader checks all of it, from outside, with two instances.
"""

from conftest import needs_redis


def test_health(client):
    assert client.get("/health").status_code == 200


def test_reads_come_from_the_catalog(client, product):
    response = client.get(f"/products/{product['id']}")
    assert response.status_code == 200
    assert response.json() == product


def test_unknown_product_is_404(client):
    assert client.get("/products/does-not-exist").status_code == 404


def test_etag_and_304(client, product):
    first = client.get(f"/products/{product['id']}")
    etag = first.headers.get("ETag")
    assert etag, "a 200 carries an ETag"
    again = client.get(f"/products/{product['id']}", headers={"If-None-Match": etag})
    assert again.status_code == 304


@needs_redis
def test_second_read_is_served_from_redis(client, catalog, product):
    path = f"/products/{product['id']}"
    assert client.get(path).headers.get("X-Cache") == "MISS"
    assert client.get(path).headers.get("X-Cache") == "HIT"
    assert catalog.calls[f"GET {path}"] == 1


@needs_redis
def test_write_invalidates(client, catalog, product):
    path = f"/products/{product['id']}"
    client.get(path)
    assert client.put(path, json={"name": "New name", "price": 2.5}).status_code == 200
    assert client.get(path).json()["name"] == "New name"
    assert catalog.calls[f"GET {path}"] == 2


@needs_redis
def test_rate_limit(client, product):
    answers = [client.get(f"/products/{product['id']}") for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert answers[-1].headers.get("Retry-After")
