"""Validators: the database refuses a document of the wrong shape"""

from __future__ import annotations

from datetime import UTC, datetime

from bson import Int64, ObjectId
from lab10_support import insert_outcome, stored_recipe, stored_user, tag, without

from grader.checks import check, expect, expect_status, fail
from grader.runners.base import AppStartError

REFUSED = "refused (121)"
COLLECTIONS = ["users", "recipes", "drafts"]


def _refusals(collection, cases: list[tuple[str, dict]]) -> list[str]:
    """The cases the collection accepted (or refused for another reason than its validator)."""
    return [
        f"{what}: {outcome}"
        for what, document in cases
        if (outcome := insert_outcome(collection, document)) != REFUSED
    ]


@check(
    "users, recipes and drafts each have a $jsonSchema validator that refuses (strict, error)",
    points=3,
    rules=["R3.1"],
    hint="Create each collection with create_collection(name, validator={'$jsonSchema': {...}}), or "
    "db.command('collMod', name, validator=...) when it exists; leave validationLevel and "
    "validationAction at their defaults (strict, error): 'moderate' or 'warn' let bad documents in.",
)
def test_validators_present(mongo):
    infos = {info["name"]: info for info in mongo.list_collections(filter={"name": {"$in": COLLECTIONS}})}
    problems = []
    for name in COLLECTIONS:
        options = infos.get(name, {}).get("options", {})
        validator = options.get("validator")
        if name not in infos:
            problems.append(f"{name}: no such collection")
        elif not isinstance(validator, dict) or "$jsonSchema" not in validator:
            problems.append(f"{name}: no $jsonSchema validator (options {dict(options)})")
        elif options.get("validationLevel", "strict") != "strict":
            problems.append(f"{name}: validationLevel {options['validationLevel']!r}")
        elif options.get("validationAction", "error") != "error":
            problems.append(f"{name}: validationAction {options['validationAction']!r}")
    expect(
        not problems,
        "listCollections: " + "; ".join(problems),
        expected="a $jsonSchema validator, strict, error, on users, recipes and drafts",
        actual="; ".join(problems),
    )


def _bad_recipes() -> list[tuple[str, dict]]:
    good = stored_recipe(ObjectId())
    cases = [(f"no {field}", without(good, field)) for field in list(good)]
    ingredient = {"name": "salt", "grams": 1}

    def bad(**extra: object) -> dict:
        return {**stored_recipe(ObjectId()), **extra}

    return [
        *cases,
        ("a slug in upper case", bad(slug=tag("R-").upper())),
        ("a slug of 2 characters", bad(slug="ab")),
        ("author_id as a string", bad(author_id=str(ObjectId()))),
        ("ingredients empty", bad(ingredients=[])),
        ("51 ingredients", bad(ingredients=[ingredient] * 51)),
        ("an ingredient without name", bad(ingredients=[{"grams": 5}])),
        ("an ingredient without grams", bad(ingredients=[{"name": "salt"}])),
        ("grams 0", bad(ingredients=[{"name": "salt", "grams": 0}])),
        ("grams 1.5", bad(ingredients=[{"name": "salt", "grams": 1.5}])),
        ('grams "100"', bad(ingredients=[{"name": "salt", "grams": "100"}])),
        ("likes -1", bad(likes=-1)),
        ("likes 2.5", bad(likes=2.5)),
        ('likes "3"', bad(likes="3")),
        ("version 0", bad(version=0)),
        ("a tag that is a number", bad(tags=["ok", 7])),
        ("created_at as a string", bad(created_at=datetime.now(UTC).isoformat())),
    ]


@check(
    "The recipes validator refuses each kind of bad document the contract lists",
    points=5,
    rules=["R3.2"],
    hint="List every field of the table in 'required'; give each a bsonType ('objectId', 'date', "
    "['int', 'long'] for integers, 'string' with its pattern); ingredients: minItems 1, maxItems 50, and "
    "items an object with required name and grams (minimum 1); likes minimum 0, version minimum 1; tags: "
    "items of bsonType string.",
)
def test_recipes_validator(mongo):
    accepted = _refusals(mongo.recipes, _bad_recipes())
    expect(
        not accepted,
        f"Inserted directly into recipes, {len(accepted)} bad document(s) were not refused by the "
        f"validator: {'; '.join(accepted[:4])}" + (" ..." if len(accepted) > 4 else ""),
        expected=f"every one {REFUSED}",
        actual="; ".join(accepted),
    )


@check(
    "The users and drafts validators refuse documents without their fields or of the wrong type",
    points=3,
    rules=["R3.3"],
    hint="users: required username (string, pattern ^[a-z0-9_]{3,30}$) and name (string); drafts: "
    "required title (string) and expires_at (bsonType date).",
)
def test_users_and_drafts_validators(mongo):
    user = stored_user()
    draft = {"title": "Soup", "expires_at": datetime.now(UTC)}
    accepted = _refusals(
        mongo.users,
        [
            ("no username", without(user, "username")),
            ("no name", without(user, "name")),
            ("a username of 2 characters", stored_user(username="ab")),
            ("a username of 31 characters", stored_user(username=(tag("g_") * 4)[:31])),
            ("a username in upper case", stored_user(username=tag("G_").upper())),
            ("a name that is a number", stored_user(name=42)),
        ],
    ) + _refusals(
        mongo.drafts,
        [
            ("a draft without title", without(draft, "title")),
            ("a draft without expires_at", without(draft, "expires_at")),
            ("a draft whose expires_at is a string", {**draft, "expires_at": "2030-01-01T00:00:00Z"}),
        ],
    )
    expect(
        not accepted,
        f"Inserted directly, {len(accepted)} bad document(s) were not refused by the validator: "
        + "; ".join(accepted[:4]),
        expected=f"every one {REFUSED}",
        actual="; ".join(accepted),
    )


@check(
    "The validators accept every document the contract allows, at its edges",
    points=3,
    rules=["R3.4"],
    hint="Not too strict either: grams 1, likes 0, version 1, no tags, 50 ingredients, usernames of 3 and "
    "30 characters, integers stored as long (Int64), and fields the table does not name "
    "(no additionalProperties: false) are all valid.",
)
def test_validators_accept_edges(mongo):
    ingredient = {"name": "salt", "grams": 1}

    def good(**extra: object) -> dict:
        return stored_recipe(ObjectId(), **extra)

    cases = [
        ("a recipe at the edges", good(likes=0, version=1, tags=[], ingredients=[ingredient])),
        ("50 ingredients", good(ingredients=[ingredient] * 50)),
        ("a slug of 60 characters", good(slug=(tag("g-") * 6)[:60])),
        (
            "integers as long",
            good(likes=Int64(5), version=Int64(2), ingredients=[{"name": "x", "grams": Int64(3)}]),
        ),
        ("a recipe with a field of its own", good(notes="grader was here")),
    ]
    refused = [
        f"{what}: {outcome}"
        for what, doc in cases
        if (outcome := insert_outcome(mongo.recipes, doc)) != "accepted"
    ]
    users = [
        ("a username of 3 characters", stored_user(username="v" + tag("")[:2])),
        ("a username of 30 characters", stored_user(username=(tag("g_") * 3)[:30])),
        ("a user with a field of its own", stored_user(bio="hello")),
    ]
    refused += [
        f"{what}: {outcome}"
        for what, doc in users
        if (outcome := insert_outcome(mongo.users, doc)) != "accepted"
    ]
    draft = {"title": "Soup", "expires_at": datetime.now(UTC), "extra": 1}
    if (outcome := insert_outcome(mongo.drafts, draft)) != "accepted":
        refused.append(f"a draft with a field of its own: {outcome}")
    expect(
        not refused,
        f"Inserted directly, {len(refused)} valid document(s) were refused: " + "; ".join(refused[:4]),
        expected="every one accepted",
        actual="; ".join(refused),
    )


@check(
    "A second instance of the app starts on the database the first one prepared",
    points=2,
    rules=["R1.1"],
    budget=60,  # it starts another instance of the app
    hint="Start-up runs on every deployment and restart: create a collection only when it is missing "
    "(create_collection raises CollectionInvalid on an existing one; use collMod to update its "
    "validator), and create_index is a no-op for an index that exists with the same options.",
)
def test_second_instance_starts(start_app, new_api):
    try:
        instance = start_app()
    except AppStartError as exc:
        fail(
            f"A second instance of the app, started on the database the first one prepared, did not "
            f"start: {exc.reason}.",
            expected="GET /health answers 200",
            actual=(exc.log_tail or "")[-300:],
        )
    try:
        expect_status(new_api(instance).get("/health"), 200)
    finally:
        instance.stop()
