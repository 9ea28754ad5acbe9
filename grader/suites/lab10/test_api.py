"""The API"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from lab10_support import new_recipe, new_user, page_of, recipe_body, stored_recipe, tag

from grader.checks import check, describe, expect, expect_status, expect_value, json_body


@check(
    "POST /users answers 201 with the user; GET /users?username= finds it; a taken username is a 409",
    points=3,
    rules=["R4.1"],
    hint="A user is {id, username, name}, id the hex string of its _id. GET /users?username=x answers an "
    "array (empty when nobody has it). A duplicate username is refused by the unique index: catch "
    "DuplicateKeyError and answer 409.",
)
def test_users(api):
    username = tag("u_")
    response = expect_status(api.post("/users", json={"username": username, "name": "Ada"}), 201)
    user = json_body(response)
    expect(
        isinstance(user, dict)
        and set(user) == {"id", "username", "name"}
        and re.fullmatch(r"[0-9a-f]{24}", str(user.get("id"))) is not None
        and (user.get("username"), user.get("name")) == (username, "Ada"),
        f"{describe(response)}: the user is not in the contract's shape.",
        expected=f'{{"id": "<24 hex digits>", "username": "{username}", "name": "Ada"}}',
        actual=response.text[:200],
        response=response,
    )
    found = expect_status(api.get("/users", params={"username": username}), 200)
    expect(
        json_body(found) == [user],
        f"{describe(found)}: expected an array holding the user just created.",
        expected=[user],
        actual=found.text[:200],
        response=found,
    )
    nobody = expect_status(api.get("/users", params={"username": tag("nobody_")}), 200)
    expect_value("the answer", json_body(nobody), [], where=describe(nobody), response=nobody)
    again = api.post("/users", json={"username": username, "name": "Someone else"})
    expect_status(again, 409)


@check(
    "POST /recipes answers 201 with the recipe; GET /recipes/{slug} answers it; 404, 409 and 422",
    points=4,
    rules=["R4.2"],
    hint="POST /recipes takes the author's username and answers the recipe with its author as an object "
    "{id, username, name}, likes 0 and version 1. A taken slug is a 409 (unique index), an author "
    "nobody has a 422; GET of an unknown slug a 404.",
)
def test_recipes(api, mongo):
    author = new_user(api)
    body = recipe_body(author["username"], tags=["breakfast", "sweet"])
    response = expect_status(api.post("/recipes", json=body), 201)
    recipe = json_body(response)
    expected = {
        "slug": body["slug"],
        "title": body["title"],
        "author": author,
        "ingredients": body["ingredients"],
        "tags": ["breakfast", "sweet"],
        "likes": 0,
        "version": 1,
    }
    shown = {key: recipe.get(key) for key in expected} if isinstance(recipe, dict) else recipe
    expect(
        shown == expected and isinstance(recipe.get("id"), str) and isinstance(recipe.get("created_at"), str),
        f"{describe(response)}: the recipe is not the one sent, in the contract's shape.",
        expected={**expected, "id": "<hex>", "created_at": "<ISO 8601>"},
        actual=response.text[:300],
        response=response,
    )
    read = expect_status(api.get(f"/recipes/{body['slug']}"), 200)
    expect(
        json_body(read) == recipe,
        f"{describe(read)}: expected the recipe as POST answered it.",
        expected=recipe,
        actual=read.text[:300],
        response=read,
    )
    expect_status(api.get(f"/recipes/{tag('nothing-')}"), 404)
    taken = api.post("/recipes", json={**body, "title": "Another title"})
    expect_status(taken, 409)
    after = api.get(f"/recipes/{body['slug']}")
    expect(
        after.status_code == 200 and after.json().get("title") == body["title"],
        "A POST with a taken slug changed the first recipe.",
        expected=f"title {body['title']!r}",
        actual=after.text[:200],
        response=after,
    )
    orphan = recipe_body(tag("nobody_"))
    expect_status(api.post("/recipes", json=orphan), 422)
    expect(
        mongo.recipes.count_documents({"slug": orphan["slug"]}) == 0,
        "POST /recipes with an author nobody has answered 422 but stored the recipe.",
        expected="nothing stored",
        actual="a document in recipes",
    )


def _cases(username: str) -> tuple[list[tuple[str, str, dict]], list[tuple[str, str, dict]]]:
    """(what, path, body) accepted at a limit, and refused one past it."""
    ingredient = {"name": "salt", "grams": 1}

    def recipe(**extra: object) -> dict:
        return recipe_body(username, **extra)

    accepted = [
        ("a username of 3 characters", "/users", {"username": "a" + tag("")[:2], "name": "A"}),
        ("a username of 30 characters", "/users", {"username": (tag("u_") * 3)[:30], "name": "n" * 100}),
        ("a slug of 3 characters", "/recipes", recipe(slug="a" + tag("")[:2])),
        ("a slug of 60 characters", "/recipes", recipe(slug=(tag("r-") * 6)[:60])),
        ("a title of 200 characters", "/recipes", recipe(title="t" * 200)),
        ("50 ingredients", "/recipes", recipe(ingredients=[ingredient] * 50)),
        (
            "an ingredient name of 100 characters",
            "/recipes",
            recipe(ingredients=[{"name": "i" * 100, "grams": 1}]),
        ),
        ("20 tags", "/recipes", recipe(tags=[f"t{i}" for i in range(20)])),
        ("a tag of 30 characters", "/recipes", recipe(tags=["t" * 30])),
        ("no tags", "/recipes", {k: v for k, v in recipe().items() if k != "tags"}),
    ]
    refused = [
        ("a username of 2 characters", "/users", {"username": "ab", "name": "A"}),
        ("a username of 31 characters", "/users", {"username": (tag("u_") * 4)[:31], "name": "A"}),
        ("a username in upper case", "/users", {"username": tag("U_").upper(), "name": "A"}),
        ("an empty name", "/users", {"username": tag("u_"), "name": ""}),
        ("a name of 101 characters", "/users", {"username": tag("u_"), "name": "n" * 101}),
        ("a slug of 2 characters", "/recipes", recipe(slug="ab")),
        ("a slug of 61 characters", "/recipes", recipe(slug=(tag("r-") * 7)[:61])),
        ("a title of 201 characters", "/recipes", recipe(title="t" * 201)),
        ("an empty title", "/recipes", recipe(title="")),
        ("no title", "/recipes", {k: v for k, v in recipe().items() if k != "title"}),
        ("no ingredients", "/recipes", recipe(ingredients=[])),
        ("51 ingredients", "/recipes", recipe(ingredients=[ingredient] * 51)),
        ("grams 0", "/recipes", recipe(ingredients=[{"name": "salt", "grams": 0}])),
        ('grams "100"', "/recipes", recipe(ingredients=[{"name": "salt", "grams": "100"}])),
        ("grams 1.5", "/recipes", recipe(ingredients=[{"name": "salt", "grams": 1.5}])),
        ("an ingredient without grams", "/recipes", recipe(ingredients=[{"name": "salt"}])),
        (
            "an ingredient name of 101 characters",
            "/recipes",
            recipe(ingredients=[{"name": "i" * 101, "grams": 1}]),
        ),
        ("a tag in upper case", "/recipes", recipe(tags=["Sweet"])),
        ("21 tags", "/recipes", recipe(tags=[f"t{i}" for i in range(21)])),
        ("a tag of 31 characters", "/recipes", recipe(tags=["t" * 31])),
    ]
    return accepted, refused


@check(
    "Values at the contract's limits are accepted; one past a limit, or of the wrong JSON type, is a 422",
    points=4,
    rules=["R4.3"],
    hint="Limits are inclusive: a username of 3 to 30 characters of [a-z0-9_], a slug of 3 to 60 of "
    "[a-z0-9-], a title of 1 to 200, 1 to 50 ingredients whose grams is an integer >= 1 (not 1.5, not "
    '"100": StrictInt in Pydantic). Each value the validators accept must also pass the API.',
)
def test_limits(api):
    author = new_user(api)["username"]
    accepted, refused = _cases(author)
    for what, path, body in accepted:
        response = api.post(path, json=body)
        expect(
            response.status_code == 201,
            f"POST {path} with {what} (at the limit) should be accepted.",
            expected="201",
            actual=f"{response.status_code} {response.text[:120]}",
            response=response,
        )
    for what, path, body in refused:
        response = api.post(path, json=body)
        expect(
            response.status_code == 422,
            f"POST {path} with {what} should be refused with 422.",
            expected="422",
            actual=f"{response.status_code} {response.text[:120]}",
            response=response,
        )


@check(
    "GET /users/{username}/recipes answers the user's 20 newest recipes, newest first (ties by _id)",
    points=3,
    rules=["R4.4"],
    hint="find({'author_id': the user's _id}).sort([('created_at', -1), ('_id', -1)]).limit(20): the "
    "newest first, and of two recipes with the same created_at the larger _id first. An unknown "
    "username answers 404.",
)
def test_recipes_of_user(api, mongo):
    author = new_user(api)
    made = [new_recipe(api, author["username"])["slug"] for _ in range(2)]
    author_id = ObjectId(author["id"])
    base = datetime.now(UTC) - timedelta(days=30)
    stored = [stored_recipe(author_id, created_at=base + timedelta(minutes=i // 2)) for i in range(24)]
    # older pairs get larger _ids (sorting by _id alone shows); within a pair the later one the larger
    ids = sorted(ObjectId() for _ in stored)
    for i, document in enumerate(stored):
        document["_id"] = ids[22 - 2 * (i // 2) + i % 2]
    mongo.recipes.insert_many(stored)
    ordered = sorted(stored, key=lambda d: (d["created_at"], d["_id"]), reverse=True)
    expected = (made[::-1] + [d["slug"] for d in ordered])[:20]
    response = expect_status(api.get(f"/users/{author['username']}/recipes"), 200)
    items = json_body(response)
    expect(
        isinstance(items, list) and page_of(items) == expected,
        f"{describe(response)}: expected the 20 newest of 26 recipes, newest first (two were made "
        "through the API just now, 24 are older and share their created_at two by two).",
        expected=[*expected[:4], "..."],
        actual=[*page_of(items)[:4], "..."] if isinstance(items, list) else response.text[:120],
        response=response,
    )
    expect_status(api.get(f"/users/{tag('nobody_')}/recipes"), 404)


@check(
    "POST /drafts answers 201 with a draft that expires in an hour; GET /drafts/{id} answers it or 404",
    points=2,
    rules=["R4.5"],
    hint="A draft is {id, title, expires_at}: expires_at one hour after its creation, ISO 8601 with a time "
    "zone. GET of an id nobody has, or of something that is not 24 hex digits, answers 404.",
)
def test_drafts(api):
    response = expect_status(api.post("/drafts", json={"title": "Soup, maybe"}), 201)
    draft = json_body(response)
    try:
        expires = datetime.fromisoformat(str(draft.get("expires_at")).replace("Z", "+00:00"))
        late = abs((expires - datetime.now(UTC) - timedelta(hours=1)).total_seconds())
    except (AttributeError, TypeError, ValueError):
        late = None
    expect(
        isinstance(draft, dict) and draft.get("title") == "Soup, maybe" and late is not None and late < 60,
        f"{describe(response)}: expected the draft with an expires_at one hour from now.",
        expected='{"id": ..., "title": "Soup, maybe", "expires_at": "<now + 1 h, ISO 8601 with a zone>"}',
        actual=response.text[:200],
        response=response,
    )
    read = expect_status(api.get(f"/drafts/{draft.get('id')}"), 200)
    expect(
        json_body(read) == draft,
        f"{describe(read)}: expected the draft as POST answered it.",
        expected=draft,
        actual=read.text[:200],
        response=read,
    )
    expect_status(api.get(f"/drafts/{ObjectId()}"), 404)
    expect_status(api.get("/drafts/not-an-id"), 404)
