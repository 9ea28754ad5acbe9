"""Fixtures of the lab10 suite.

Checks make their own users and recipes (unique usernames and slugs), so they run side by side. The
large collections the plans are read on are seeded once, directly, when a check first needs them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId
from pymongo.errors import PyMongoError

from grader.checks import setup_failed
from grader.runners.base import RunningApp
from grader.services.mongodb import mongo_client

ORDER = [
    "api",
    "documents",
    "validators",
    "atomic",
    "indexes",
    "aggregation",
    "transactions",
    "pagination",
    "injection",
]

# Thousands, and no more: the embedded server (secantusdb) runs find_one_and_update in time that grows
# with the collection (0.3 s per call at 20,000 recipes), which would slow every later burst of likes
# and edits to a timeout. The documents go again when the module that read the plans is done.
USERS = 1_000
RECIPES = 3_000


@dataclass
class Seeded:
    author_id: ObjectId
    username: str
    slug: str
    seconds: float


@pytest.fixture(scope="module")
def seeded(app: RunningApp, mongodb_url: str) -> Iterator[Seeded]:
    """USERS users and RECIPES recipes inserted directly (valid documents, as the contract's table
    describes them), after the app prepared its collections."""
    run = uuid.uuid4().hex[:6]
    base = datetime(2026, 1, 1, tzinfo=UTC)
    users = [{"_id": ObjectId(), "username": f"s{run}_{i}", "name": f"Seeded {i}"} for i in range(USERS)]
    recipes = [
        {
            "slug": f"s{run}-{i}",
            "title": f"Seeded recipe {i}",
            "author_id": users[i % USERS]["_id"],
            "ingredients": [{"name": "salt", "grams": 1 + i % 50}],
            "tags": [],
            "likes": 0,
            "version": 1,
            "created_at": base + timedelta(seconds=i),
        }
        for i in range(RECIPES)
    ]
    started = time.monotonic()
    try:
        with mongo_client(mongodb_url, socketTimeoutMS=120_000) as client:
            db = client.get_default_database()
            db.users.insert_many(users, ordered=False)
            db.recipes.insert_many(recipes, ordered=False)
    except PyMongoError as exc:
        setup_failed(
            f"The grader could not fill users and recipes directly: {str(exc).splitlines()[0][:200]}",
            cause="the large collections could not be seeded",
            hint="The grader inserts documents with exactly the fields of the contract's table: compare "
            "your validators with it.",
            expected="valid documents accepted",
        )
    yield Seeded(
        author_id=users[7]["_id"],
        username=users[7]["username"],
        slug=recipes[RECIPES // 2]["slug"],
        seconds=time.monotonic() - started,
    )
    with mongo_client(mongodb_url, socketTimeoutMS=120_000) as client:
        db = client.get_default_database()
        # by range on the unique indexes: a delete by {_id: {$in: [...]}} takes half a minute there
        db.recipes.delete_many({"slug": {"$gte": f"s{run}-", "$lt": f"s{run}."}})
        db.users.delete_many({"username": {"$gte": f"s{run}_", "$lt": f"s{run}`"}})
