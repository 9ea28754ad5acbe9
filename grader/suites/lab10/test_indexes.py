"""Indexes and the plans that use them"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bson import ObjectId
from lab10_support import (
    DUPLICATE_KEY,
    index_scans,
    insert_outcome,
    new_user,
    outline,
    stored_user,
    tag,
    warm_clients,
    winning,
)

from grader.checks import check, describe, expect, expect_status
from grader.concurrency import burst, statuses

SAME_TIME = 10


def _unique_on(collection, field: str) -> list[str]:
    """Names of the unique indexes on exactly `field`."""
    return [
        name
        for name, info in collection.index_information().items()
        if info.get("unique") and [key for key, _ in info["key"]] == [field]
    ]


@check(
    "users.username and recipes.slug have unique indexes: duplicates refused, also at the same moment",
    points=4,
    rules=["R6.1"],
    hint="create_index('username', unique=True) on users and create_index('slug', unique=True) on "
    "recipes, at start-up. Checking 'does it exist?' before inserting lets two requests at once both "
    "pass: only the index decides, and DuplicateKeyError becomes a 409.",
)
def test_unique_indexes(api, new_api, mongo):
    missing = [
        f"{collection.name}.{field}"
        for collection, field in ((mongo.users, "username"), (mongo.recipes, "slug"))
        if not _unique_on(collection, field)
    ]
    expect(
        not missing,
        f"No unique index on {', '.join(missing)} alone.",
        expected="a unique index on users.username and one on recipes.slug",
        actual=f"indexes of users: {list(mongo.users.index_information())}, of recipes: "
        f"{list(mongo.recipes.index_information())}",
    )
    user = new_user(api)
    twin = insert_outcome(mongo.users, stored_user(username=user["username"]))
    expect(
        twin == f"refused ({DUPLICATE_KEY})",
        f"Inserted directly, a second user {user['username']!r} should be refused with error 11000.",
        expected=f"refused ({DUPLICATE_KEY})",
        actual=twin,
    )
    username = tag("same_")
    clients = warm_clients(new_api, SAME_TIME, f"/users?username={user['username']}")
    results = burst(
        SAME_TIME, lambda i: clients[i].post("/users", json={"username": username, "name": f"Twin {i}"})
    )
    outcomes = statuses(results)
    expect(
        outcomes.count(201) == 1 and outcomes.count(409) == SAME_TIME - 1,
        f"{SAME_TIME} POST /users with the same username at once: exactly one 201, the others 409.",
        expected=f"one 201, {SAME_TIME - 1} 409",
        actual=sorted(map(str, outcomes)),
    )


def _explained(collection, query: dict, sort: list | None = None):
    cursor = collection.find(query)
    if sort:
        cursor = cursor.sort(sort).limit(20)
    return cursor.explain()


@check(
    "explain() finds a user by username and a recipe by slug with an index scan, on thousands of documents",
    points=3,
    rules=["R6.2"],
    hint="Without an index on the filter's field the server reads the whole collection (COLLSCAN). The "
    "unique indexes on users.username and recipes.slug serve these lookups too.",
)
def test_lookups_use_indexes(mongo, seeded):
    for collection, field, value in (
        (mongo.users, "username", seeded.username),
        (mongo.recipes, "slug", seeded.slug),
    ):
        explained = _explained(collection, {field: value})
        scans = index_scans(explained, collection.index_information())
        expect(
            any(keys[:1] == [field] for keys in scans),
            f"{collection.name}.find({{'{field}': {value!r}}}).explain() on "
            f"{collection.estimated_document_count()} documents: no index scan on {field}.",
            expected=f"IXSCAN on an index beginning with {field}",
            actual=outline(winning(explained)),
        )


@check(
    "explain() of a page of recipes by slug prefix scans the slug index",
    points=2,
    rules=["R6.2"],
    hint="A range on slug ($gte the prefix, $lt the next prefix, $gt the last slug seen), sorted by slug, "
    "is one walk along an index on slug: the unique index of slug serves it.",
)
def test_slug_range_uses_index(mongo, seeded):
    prefix = seeded.slug[:-1]
    query = {"slug": {"$gte": prefix, "$lt": prefix[:-1] + chr(ord(prefix[-1]) + 1), "$gt": seeded.slug}}
    explained = mongo.recipes.find(query).sort("slug", 1).limit(21).explain()
    scans = index_scans(explained, mongo.recipes.index_information())
    expect(
        any(keys[:1] == ["slug"] for keys in scans),
        f"recipes.find({query}).sort('slug', 1).limit(21).explain() on "
        f"{mongo.recipes.estimated_document_count()} recipes: no index scan on slug.",
        expected="IXSCAN on an index beginning with slug",
        actual=outline(winning(explained)),
    )


@check(
    "explain() of an author's newest recipes scans an index on (author_id, created_at)",
    points=4,
    rules=["R6.2"],
    hint="Equality first, then the sort: an index on (author_id, created_at) holds each author's recipes "
    "already in date order. (created_at, author_id) or author_id alone cannot serve both: order matters "
    "in a compound index.",
)
def test_author_newest_uses_compound_index(mongo, seeded):
    sort = [("created_at", -1), ("_id", -1)]
    explained = _explained(mongo.recipes, {"author_id": seeded.author_id}, sort)
    scans = index_scans(explained, mongo.recipes.index_information())
    expect(
        any(keys[:2] == ["author_id", "created_at"] for keys in scans),
        f"recipes.find({{'author_id': ObjectId('{seeded.author_id}')}}).sort({sort}).limit(20).explain() on "
        f"{mongo.recipes.estimated_document_count()} recipes: no index scan on (author_id, created_at).",
        expected="IXSCAN with keyPattern {author_id: 1, created_at: -1, ...}",
        actual=outline(winning(explained)),
    )


@check(
    "drafts has a TTL index on expires_at (expireAfterSeconds 0)",
    points=2,
    rules=["R6.3"],
    hint="create_index('expires_at', expireAfterSeconds=0) on drafts: the server deletes each draft once "
    "the date in its expires_at has passed.",
)
def test_ttl_index(mongo):
    indexes = mongo.drafts.index_information()
    ttl = [
        name
        for name, info in indexes.items()
        if [key for key, _ in info["key"]] == ["expires_at"] and info.get("expireAfterSeconds") == 0
    ]
    expect(
        ttl,
        "drafts has no TTL index on expires_at alone with expireAfterSeconds 0.",
        expected="{key: {expires_at: 1}, expireAfterSeconds: 0}",
        actual={name: dict(info) for name, info in indexes.items()},
    )


@check(
    "A draft whose expires_at has passed answers 404 while it is still in the collection",
    points=2,
    rules=["R6.3"],
    hint="The TTL monitor deletes expired documents about once a minute, not at once: filter on "
    "expires_at > now when reading a draft.",
)
def test_expired_draft_is_gone(api, mongo):
    live = expect_status(api.post("/drafts", json={"title": "Still here"}), 201).json()
    gone = expect_status(api.post("/drafts", json={"title": "Expired"}), 201).json()
    mongo.drafts.update_one(
        {"_id": ObjectId(gone["id"])}, {"$set": {"expires_at": datetime.now(UTC) - timedelta(seconds=5)}}
    )
    expect_status(api.get(f"/drafts/{live['id']}"), 200)
    response = api.get(f"/drafts/{gone['id']}")
    expect(
        response.status_code == 404,
        f"The grader moved the draft's expires_at 5 seconds into the past; {describe(response)} should "
        "answer 404.",
        expected="404",
        actual=f"{response.status_code} {response.text[:120]}",
        response=response,
    )
