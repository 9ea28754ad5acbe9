"""A few visible tests. Run them with: DATABASE_URL=postgresql://... pytest labs/lab03-auth/tests

They are a start, not the grade: the hidden suite checks every rule of the contract, as an attacker would.
"""

import os
import secrets
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

needs_db = pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="DATABASE_URL is not set")
PASSPHRASE = "a perfectly fine passphrase"  # noqa: S105 - a test user's password


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    from app.main import app

    with TestClient(app, base_url="https://testserver") as client:  # https: Secure cookies come back
        yield client


def register(client: TestClient) -> str:
    username = "smoke_" + secrets.token_hex(4)
    response = client.post("/auth/register", json={"username": username, "password": PASSPHRASE})
    assert response.status_code == 201, response.text
    return username


@needs_db
def test_health(client: TestClient) -> None:
    assert client.get("/health").status_code == 200


@needs_db
def test_password_login_returns_tokens(client: TestClient) -> None:
    username = register(client)
    form = {"grant_type": "password", "username": username, "password": PASSPHRASE}
    response = client.post("/auth/token", data=form)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"].lower() == "bearer"
    assert body["access_token"]
    assert body["refresh_token"]
    me = client.get("/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == username


@needs_db
def test_missing_credentials_answer_401_with_a_challenge(client: TestClient) -> None:
    response = client.get("/users/me")
    assert response.status_code == 401
    assert response.headers.get("www-authenticate", "").startswith("Bearer")


@needs_db
def test_wrong_password_is_invalid_grant(client: TestClient) -> None:
    username = register(client)
    form = {"grant_type": "password", "username": username, "password": "not the password at all"}
    response = client.post("/auth/token", data=form)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@needs_db
def test_session_cookie_is_httponly_and_secure(client: TestClient) -> None:
    username = register(client)
    response = client.post("/auth/session", data={"username": username, "password": PASSPHRASE})
    assert response.status_code == 200, response.text
    cookie = response.headers.get("set-cookie", "").lower()
    assert cookie.startswith("session=")
    assert "httponly" in cookie
    assert "secure" in cookie
