"""Documents: what is embedded, what is referenced"""

from __future__ import annotations

from datetime import UTC, datetime

from bson import ObjectId
from lab10_support import new_recipe, new_user, recipe_body, stored_recipe, tag

from grader.checks import check, describe, expect, expect_status, json_body


def _types(document: dict) -> dict[str, str]:
    return {key: type(value).__name__ for key, value in document.items()}


@check(
    "POST /users stores one document in users with the username and name sent",
    points=2,
    rules=["R2.1"],
    hint="The grader reads users directly: one document per user with the fields username and name "
    "(strings) as sent.",
)
def test_user_document(api, mongo):
    user = new_user(api, name="Ada Lovelace")
    found = list(mongo.users.find({"username": user["username"]}))
    expect(
        len(found) == 1 and found[0].get("name") == "Ada Lovelace" and str(found[0].get("_id")) == user["id"],
        f"users.find({{'username': {user['username']!r}}}): expected one document with name 'Ada Lovelace' "
        f"and _id {user['id']}.",
        expected=f"[{{'_id': ObjectId('{user['id']}'), 'username': ..., 'name': 'Ada Lovelace'}}]",
        actual=str(found)[:240],
    )


@check(
    "POST /recipes stores one recipe document: ingredients embedded, author_id the user's ObjectId",
    points=4,
    rules=["R2.2"],
    hint="One document in recipes: slug and title as sent, author_id the ObjectId _id of the author's user "
    "document (not the username, not a copy of the user), ingredients as an array of {name, grams} "
    "in the order sent, tags without duplicates, likes 0, version 1, created_at a date (datetime).",
)
def test_recipe_document(api, mongo):
    author = new_user(api)
    body = recipe_body(
        author["username"],
        ingredients=[
            {"name": "flour", "grams": 200},
            {"name": "egg", "grams": 60},
            {"name": "milk", "grams": 1},
        ],
        # eight tags, two repeated: a set would lose their order (almost) every time, not one run in two
        tags=["sweet", "quick", "vegan", "spicy", "cheap", "sweet", "easy", "hot", "cold", "quick"],
    )
    response = expect_status(api.post("/recipes", json=body), 201)
    found = list(mongo.recipes.find({"slug": body["slug"]}))
    expect(
        len(found) == 1,
        f"{describe(response)} answered 201: expected one document with slug {body['slug']!r} in recipes.",
        expected="1 document",
        actual=f"{len(found)} documents",
        response=response,
    )
    document = found[0]
    author_doc = mongo.users.find_one({"username": author["username"]})
    expected = {
        "title": body["title"],
        "author_id": author_doc["_id"] if author_doc else ObjectId(author["id"]),
        "ingredients": body["ingredients"],
        "tags": ["sweet", "quick", "vegan", "spicy", "cheap", "easy", "hot", "cold"],
        "likes": 0,
        "version": 1,
    }
    got = {key: document.get(key) for key in expected}
    ingredients = document.get("ingredients")
    plain = isinstance(ingredients, list) and all(
        isinstance(item, dict) and {"name", "grams"} <= set(item) for item in ingredients
    )
    if plain:
        got["ingredients"] = [{"name": item["name"], "grams": item["grams"]} for item in ingredients]
    expect(
        got == expected and type(document.get("likes")) is int and type(document.get("version")) is int,
        f"The recipe document of {body['slug']!r} is not the one the contract describes.",
        expected=expected,
        actual={**got, "types": _types(got)},
    )
    created = document.get("created_at")
    moment = (
        created.replace(tzinfo=UTC) if isinstance(created, datetime) and created.tzinfo is None else created
    )
    expect(
        isinstance(moment, datetime) and abs((datetime.now(UTC) - moment).total_seconds()) < 60,
        "created_at of the recipe document should be a date (BSON datetime) of its creation.",
        expected="a datetime within a minute of now",
        actual=repr(created)[:120],
    )


@check(
    "A recipe shows its author as users holds them now (a reference, not a copy)",
    points=3,
    rules=["R2.3"],
    hint="Keep only author_id in the recipe and read the user when you show it (find_one on users, or "
    "$lookup): a user renamed in the database is renamed in every recipe at once.",
)
def test_author_is_referenced(api, mongo):
    author = new_user(api, name="Ada Lovelace")
    recipe = new_recipe(api, author["username"])
    mongo.users.update_one({"username": author["username"]}, {"$set": {"name": "Countess of Lovelace"}})
    response = expect_status(api.get(f"/recipes/{recipe['slug']}"), 200)
    shown = json_body(response).get("author")
    expect(
        isinstance(shown, dict) and shown.get("name") == "Countess of Lovelace",
        f"The grader renamed the author in users; {describe(response)} should show the new name.",
        expected="author.name 'Countess of Lovelace'",
        actual=str(shown)[:160],
        response=response,
    )
    listed = expect_status(api.get(f"/users/{author['username']}/recipes"), 200)
    names = [item.get("author", {}).get("name") for item in json_body(listed) if isinstance(item, dict)]
    expect(
        names == ["Countess of Lovelace"],
        f"The grader renamed the author in users; {describe(listed)} should show the new name.",
        expected=["Countess of Lovelace"],
        actual=names,
        response=listed,
    )


@check(
    "A recipe the grader inserts directly into recipes is served like one made through the API",
    points=3,
    rules=["R2.4"],
    hint="GET /recipes/{slug} reads the document as the contract's table describes it: ingredients, "
    "tags, likes and version as stored, the author from users by author_id. Keep no other copy of a "
    "recipe (no cache, no second collection).",
)
def test_stored_recipe_is_served(api, mongo):
    author = new_user(api, name="Grace Hopper")
    document = stored_recipe(
        ObjectId(author["id"]),
        slug=tag("g-"),
        ingredients=[{"name": "rice", "grams": 150}, {"name": "water", "grams": 300}],
        tags=["dinner", "cheap"],
        likes=7,
        version=4,
    )
    mongo.recipes.insert_one(document)
    response = expect_status(api.get(f"/recipes/{document['slug']}"), 200)
    recipe = json_body(response)
    expected = {
        "id": str(document["_id"]),
        "slug": document["slug"],
        "title": document["title"],
        "author": author,
        "ingredients": document["ingredients"],
        "tags": ["dinner", "cheap"],
        "likes": 7,
        "version": 4,
    }
    got = {key: recipe.get(key) for key in expected} if isinstance(recipe, dict) else recipe
    expect(
        got == expected,
        f"{describe(response)}: the recipe the grader stored is not answered as stored.",
        expected=expected,
        actual=got,
        response=response,
    )
