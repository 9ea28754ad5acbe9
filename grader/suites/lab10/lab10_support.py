"""Helpers of the lab10 suite: data made through the API, documents written directly, plans read."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
from bson import Int64, ObjectId
from pymongo.errors import PyMongoError, WriteError

from grader.checks import describe, require_status, setup_failed

DOCUMENT_VALIDATION_FAILURE = 121
DUPLICATE_KEY = 11000


def tag(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def new_user(api: httpx.Client, name: str = "Ada Lovelace") -> dict[str, Any]:
    body = {"username": tag("u_"), "name": name}
    response = require_status(api.post("/users", json=body), 201, purpose="create a user")
    user = response.json()
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        setup_failed(
            f"{describe(response)} answered 201 without the user's id as a string.",
            cause="POST /users answered no id",
            hint="A user is {id, username, name}: id is the hex string of its _id.",
            actual=response.text[:160],
            response=response,
        )
    return user


def recipe_body(author: str, **extra: Any) -> dict[str, Any]:
    return {
        "slug": tag("r-"),
        "title": "Pancakes",
        "author": author,
        "ingredients": [{"name": "flour", "grams": 200}, {"name": "milk", "grams": 300}],
        "tags": ["breakfast"],
        **extra,
    }


def new_recipe(api: httpx.Client, author: str | None = None, **extra: Any) -> dict[str, Any]:
    if author is None:
        author = new_user(api)["username"]
    response = require_status(
        api.post("/recipes", json=recipe_body(author, **extra)), 201, purpose="create a recipe"
    )
    recipe = response.json()
    if not isinstance(recipe, dict) or not isinstance(recipe.get("slug"), str):
        setup_failed(
            f"{describe(response)} answered 201 without the recipe's slug.",
            cause="POST /recipes answered no slug",
            hint="POST /recipes answers the recipe in the contract's shape.",
            actual=response.text[:160],
            response=response,
        )
    return recipe


def stored_recipe(author_id: ObjectId, **extra: Any) -> dict[str, Any]:
    """A valid recipe document as the contract's table describes it, to insert directly."""
    return {
        "slug": tag("g-"),
        "title": "Grader's soup",
        "author_id": author_id,
        "ingredients": [{"name": "water", "grams": 500}],
        "tags": [],
        "likes": 0,
        "version": 1,
        "created_at": datetime.now(UTC),
        **extra,
    }


def stored_user(**extra: Any) -> dict[str, Any]:
    return {"username": tag("g_"), "name": "Grace Hopper", **extra}


def insert_outcome(collection: Any, document: dict[str, Any]) -> str:
    """`accepted`, `refused (121)` or another error's code: an insert made directly, bypassing the app.
    An accepted document is deleted again: a bad one left behind would break the app's answers in other
    checks, and one bug would cost unrelated rules."""
    try:
        inserted = collection.insert_one(dict(document))
    except WriteError as exc:
        return f"refused ({exc.code})"
    except PyMongoError as exc:
        return f"error: {type(exc).__name__}: {str(exc)[:120]}"
    collection.delete_one({"_id": inserted.inserted_id})
    return "accepted"


def without(document: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != key}


def long(value: int) -> Int64:
    return Int64(value)


def stages(plan: Any) -> Iterator[dict[str, Any]]:
    """Every stage of an explain() plan, whatever its nesting (queryPlan, inputStage, inputStages)."""
    if isinstance(plan, dict):
        if "stage" in plan:
            yield plan
        for value in plan.values():
            yield from stages(value)
    elif isinstance(plan, list):
        for value in plan:
            yield from stages(value)


def outline(plan: Any) -> str:
    parts = []
    for stage in stages(plan):
        keys = stage.get("keyPattern")
        parts.append(stage["stage"] + (f" {dict(keys)}" if keys else ""))
    return " > ".join(parts) or "no stages"


def index_scans(explained: dict[str, Any], indexes: dict[str, Any]) -> list[list[str]]:
    """The key fields of every index the winning plan scans (EXPRESS_IXSCAN names its index only)."""
    found = []
    winning = explained.get("queryPlanner", {}).get("winningPlan", {})
    for stage in stages(winning):
        if not str(stage["stage"]).endswith("IXSCAN"):
            continue
        keys = stage.get("keyPattern")
        if not keys and stage.get("indexName") in indexes:
            keys = dict(indexes[stage["indexName"]]["key"])
        found.append(list(dict(keys or {})))
    return found


def winning(explained: dict[str, Any]) -> Any:
    return explained.get("queryPlanner", {}).get("winningPlan", {})


def page_of(items: Any) -> list[str]:
    return [item.get("slug") if isinstance(item, dict) else item for item in items]


def warm_clients(new_api: Any, n: int, path: str = "/health") -> list[httpx.Client]:
    """`n` clients whose connections are open, after `n` GETs of `path` at once: the app's own pool of
    database connections has grown to serve them, so a burst that follows runs side by side instead
    of queueing for the few connections a fresh pool has (which would hide a race)."""
    from grader.concurrency import burst

    clients = [new_api() for _ in range(n)]
    for result in burst(n, lambda i: clients[i].get(path)):
        if not isinstance(result, httpx.Response) or result.status_code != 200:
            setup_failed(
                f"GET {path} failed while the grader opened {n} connections: {result!r}"[:200],
                cause=f"GET {path} failed",
                hint=f"GET {path} must answer 200; the checks about it say what is wrong.",
            )
    return clients


def rewarm(clients: list[httpx.Client] | None, new_api: Any, n: int, path: str) -> list[httpx.Client]:
    """Fresh warm clients for the next round of a burst. Connections kept from the round before can be
    closed by the server's keep-alive timeout meanwhile, and a burst on them fails for nothing."""
    for client in clients or []:
        client.close()
    return warm_clients(new_api, n, path)
