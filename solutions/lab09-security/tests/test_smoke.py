"""A few visible checks, run in-process: `pytest tests` from the lab folder (needs DATABASE_URL).

The hidden suite attacks much more than this; these show the shape of an exploit check.
"""

import os
import secrets

import pytest

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL"), reason="set DATABASE_URL to run these tests"
)


@pytest.fixture
def client():
    from app.main import app
    from fastapi.testclient import TestClient

    # https: a Secure session cookie is only sent back over HTTPS (or to a browser on localhost).
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client


def register(client, prefix="smoke"):
    username = f"{prefix}_{secrets.token_hex(4)}"
    password = "pw-" + secrets.token_hex(6)
    response = client.post("/api/register", json={"username": username, "password": password})
    assert response.status_code == 201, response.text
    return username, password


def test_health(client):
    assert client.get("/health").status_code == 200


def test_login_injection_does_not_log_in(client):
    response = client.post("/api/login", json={"username": "admin'--", "password": "wrong"})
    assert response.status_code == 401


def test_search_for_a_quote_works(client):
    register(client)
    title = f"O'Brien's list {secrets.token_hex(3)}"
    assert client.post("/api/notes", json={"title": title, "body": ""}).status_code == 201
    response = client.get("/api/notes", params={"q": title})
    assert response.status_code == 200
    assert [note["title"] for note in response.json()] == [title]


def test_private_notes_stay_private(client):
    register(client, "owner")
    note = client.post("/api/notes", json={"title": "diary", "body": "", "private": True}).json()
    client.cookies.clear()
    register(client, "other")
    assert client.get(f"/api/notes/{note['id']}").status_code == 404


def test_security_headers(client):
    response = client.get("/")
    assert "frame-ancestors" in response.headers.get("content-security-policy", "")
    assert response.headers.get("x-content-type-options") == "nosniff"


def test_passwords_are_not_md5(client):
    import psycopg

    username, _ = register(client)
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        query = "SELECT password_hash FROM users WHERE username = %s"
        (stored,) = conn.execute(query, (username,)).fetchone()
    assert not (len(stored) == 32 and all(c in "0123456789abcdef" for c in stored)), "an MD5 digest"
