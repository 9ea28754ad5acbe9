"""A few visible tests. Run them with: MONGODB_URL=mongodb://.../lab10 pytest labs/lab10-nosql/tests

They add documents to that database: use a scratch one. They are a start, not the grade: the hidden
suite also reads your documents and validators, fires concurrent requests and reads query plans.
"""

import os
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.skipif(not os.environ.get("MONGODB_URL"), reason="MONGODB_URL is not set")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    from app.main import app

    with TestClient(app) as client:
        yield client


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def new_recipe(client: TestClient) -> dict:
    username = unique("u")
    assert client.post("/users", json={"username": username, "name": "Ada"}).status_code == 201
    body = {
        "slug": unique("r-"),
        "title": "Pancakes",
        "author": username,
        "ingredients": [{"name": "flour", "grams": 200}],
    }
    response = client.post("/recipes", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_recipe_embeds_ingredients_and_shows_its_author(client: TestClient) -> None:
    recipe = new_recipe(client)
    again = client.get(f"/recipes/{recipe['slug']}")
    assert again.status_code == 200
    assert again.json()["ingredients"] == [{"name": "flour", "grams": 200}]
    assert again.json()["author"]["name"] == "Ada"
    assert (again.json()["likes"], again.json()["version"]) == (0, 1)


def test_likes_and_tags(client: TestClient) -> None:
    slug = new_recipe(client)["slug"]
    assert client.post(f"/recipes/{slug}/likes").json() == {"likes": 1}
    assert client.put(f"/recipes/{slug}/tags/sweet").json() == {"tags": ["sweet"]}
    assert client.put(f"/recipes/{slug}/tags/sweet").json() == {"tags": ["sweet"]}
    assert client.delete(f"/recipes/{slug}/tags/sweet").json() == {"tags": []}


def test_an_edit_with_an_old_version_is_a_conflict(client: TestClient) -> None:
    slug = new_recipe(client)["slug"]
    assert client.patch(f"/recipes/{slug}", json={"version": 1, "title": "Crepes"}).json()["version"] == 2
    assert client.patch(f"/recipes/{slug}", json={"version": 1, "title": "Waffles"}).status_code == 409


def test_an_operator_is_not_a_username(client: TestClient) -> None:
    body = {"slug": unique("r-"), "title": "X", "author": {"$ne": None}, "ingredients": []}
    assert client.post("/recipes", json=body).status_code == 422
