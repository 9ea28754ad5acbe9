"""A few visible tests. Run them with: DATABASE_URL=postgresql://... pytest labs/lab04-databases/tests

They build the schema with your migrations (alembic upgrade head) and add rows to that database: use
a scratch one. They are a start, not the grade: the hidden suite also reads your schema, counts your
queries, reads their plans and fires concurrent requests.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

LAB = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="DATABASE_URL is not set")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    from alembic import command
    from alembic.config import Config

    command.upgrade(Config(str(LAB / "alembic.ini")), "head")
    from app.main import app

    with TestClient(app) as client:
        yield client


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def new_book(client: TestClient, **extra: object) -> dict:
    author = client.post("/authors", json={"name": name("author")})
    assert author.status_code == 201, author.text
    body = {"title": "Dune", "isbn": name("isbn")[:20], "author_id": author.json()["id"], **extra}
    response = client.post("/books", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_book_with_author_and_tags(client: TestClient) -> None:
    tags = [name("scifi"), name("classic")]
    for tag in tags:
        assert client.post("/tags", json={"name": tag}).status_code == 201
    book = new_book(client, tags=tags)
    again = client.get(f"/books/{book['id']}")
    assert again.status_code == 200
    assert again.json()["tags"] == sorted(tags)
    assert again.json()["author"]["id"] == book["author"]["id"]


def test_duplicate_isbn_is_a_conflict(client: TestClient) -> None:
    book = new_book(client)
    body = {"title": "Again", "isbn": book["isbn"], "author_id": book["author"]["id"]}
    assert client.post("/books", json=body).status_code == 409


def test_transfer_moves_stock_or_refuses(client: TestClient) -> None:
    book = new_book(client)
    north, south = (client.post("/warehouses", json={"name": name("w")}).json()["id"] for _ in range(2))
    assert client.put(f"/warehouses/{north}/stock/{book['id']}", json={"quantity": 5}).status_code == 200
    move = {"book_id": book["id"], "from_warehouse_id": north, "to_warehouse_id": south, "quantity": 3}
    assert client.post("/transfers", json=move).status_code == 201
    assert client.post("/transfers", json=move).status_code == 409  # only 2 left
    assert client.get(f"/warehouses/{north}/stock/{book['id']}").json()["quantity"] == 2
    assert client.get(f"/warehouses/{south}/stock/{book['id']}").json()["quantity"] == 3


def test_reviews_come_newest_first_one_page_at_a_time(client: TestClient) -> None:
    book = new_book(client)
    ids = [client.post(f"/books/{book['id']}/reviews", json={"rating": 5}).json()["id"] for _ in range(3)]
    first = client.get(f"/books/{book['id']}/reviews", params={"limit": 2}).json()
    assert [r["id"] for r in first["items"]] == ids[:0:-1]
    rest = client.get(
        f"/books/{book['id']}/reviews", params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert [r["id"] for r in rest["items"]] == ids[:1]
    assert rest["next_cursor"] is None
