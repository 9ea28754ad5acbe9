"""A few visible checks of the basics, run in-process: `pytest tests`.

They are a warm-up, not the grade: `grade lab02` checks the whole contract over the network.
"""

import uuid

import pytest
from app.main import app
from fastapi.testclient import TestClient


@pytest.fixture
def client() -> TestClient:
    return TestClient(app, headers={"X-Client-Id": f"smoke-{uuid.uuid4()}"})


def new_isbn() -> str:
    return str(uuid.uuid4().int)[:13].rjust(13, "7")


def test_create_author_answers_201_with_location(client: TestClient) -> None:
    response = client.post("/v1/authors", json={"name": "Ursula K. Le Guin"})
    assert response.status_code == 201, response.text
    location = response.headers.get("location", "")
    assert location.endswith(f"/v1/authors/{response.json()['id']}")
    assert client.get(location).json()["name"] == "Ursula K. Le Guin"


def test_book_round_trip_in_both_versions(client: TestClient) -> None:
    author = client.post("/v1/authors", json={"name": "Stanisław Lem"}).json()
    book = {"title": "Solaris", "isbn": new_isbn(), "year": 1961, "author_id": author["id"]}
    created = client.post("/v1/books", json=book)
    assert created.status_code == 201, created.text
    v2 = client.get(f"/v2/books/{created.json()['id']}").json()
    assert v2["author"] == {"id": author["id"], "name": "Stanisław Lem"}
    assert "author_id" not in v2


def test_bad_body_is_a_422_problem_with_field_errors(client: TestClient) -> None:
    response = client.post("/v1/authors", json={"name": "   ", "nickname": "x"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"name", "nickname"}


def test_unknown_route_is_a_problem(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["status"] == 404
    assert problem["title"]
    assert "detail" in problem


def test_books_list_is_paginated(client: TestClient) -> None:
    author = client.post("/v1/authors", json={"name": "Page Turner"}).json()
    for n in range(3):
        client.post(
            "/v1/books",
            json={"title": f"Book {n}", "isbn": new_isbn(), "year": 2000, "author_id": author["id"]},
        )
    page = client.get("/v1/books", params={"author_id": author["id"], "per_page": 2}).json()
    assert [len(page["items"]), page["total"], page["page"], page["per_page"]] == [2, 3, 1, 2]
    assert page["next"] is not None
