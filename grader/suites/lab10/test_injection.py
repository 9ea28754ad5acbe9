"""Operator injection"""

from __future__ import annotations

from lab10_support import new_recipe, new_user, recipe_body, tag

from grader.checks import check, describe, expect, json_body

OPERATORS = [{"$ne": None}, {"$gt": ""}]


@check(
    "An operator object where the contract wants a string or an integer is refused with 422",
    points=5,
    rules=["R9.1"],
    hint='Type every member at the edge (a Pydantic str or StrictInt): {"$ne": null} as the author makes '
    "find_one({'username': author}) match any user, and {\"$gte\": 0} as the version makes the version "
    "filter match every version.",
)
def test_json_operators(api, mongo):
    new_user(api)  # there is someone for an injected filter to find
    for operator in OPERATORS:
        body = recipe_body(tag("u_"))
        body["author"] = operator
        response = api.post("/recipes", json=body)
        stored = mongo.recipes.count_documents({"slug": body["slug"]})
        expect(
            response.status_code == 422 and stored == 0,
            f'{describe(response)} with "author": {operator}: expected 422 and nothing stored.',
            expected="422, no recipe",
            actual=f"{response.status_code}, {stored} recipe(s) stored",
            response=response,
        )
        name = tag("Injected ")
        response = api.post("/users", json={"username": operator, "name": name})
        stored = mongo.users.count_documents({"name": name})
        expect(
            response.status_code == 422 and stored == 0,
            f'{describe(response)} with "username": {operator}: expected 422 and nothing stored.',
            expected="422, no user",
            actual=f"{response.status_code}, {stored} user(s) stored",
            response=response,
        )
    recipe = new_recipe(api)
    mongo.recipes.update_one({"slug": recipe["slug"]}, {"$set": {"version": 5}})
    response = api.patch(f"/recipes/{recipe['slug']}", json={"version": {"$gte": 0}, "title": "Injected"})
    stored = mongo.recipes.find_one({"slug": recipe["slug"]}) or {}
    expect(
        response.status_code == 422 and (stored.get("title"), stored.get("version")) == (recipe["title"], 5),
        f'{describe(response)} with "version": {{"$gte": 0}}: expected 422 and the recipe unchanged.',
        expected=f"422, title {recipe['title']!r}, version 5",
        actual=f"{response.status_code}, title {stored.get('title')!r}, version {stored.get('version')}",
        response=response,
    )


@check(
    "Query parameters are strings: ?username[$ne]=x is never an operator",
    points=4,
    rules=["R9.2"],
    hint="Read username as one plain string parameter. Never turn bracket keys (username[$ne]) into "
    "operators, nor parse a value as JSON: GET /users without username answers 422, and a username "
    "nobody has finds nobody.",
)
def test_query_operators(api):
    new_user(api)  # there is someone for an injected filter to find
    response = api.get("/users", params={"username[$ne]": "x"})
    expect(
        response.status_code == 422,
        f"{describe(response)} (no username given) should answer 422.",
        expected="422",
        actual=f"{response.status_code} {response.text[:120]}",
        response=response,
    )
    nobody = tag("nobody_")
    for params in (
        {"username": nobody, "username[$ne]": "x"},
        {"username": nobody, "username[$regex]": ".*"},
        {"username": '{"$ne": null}'},
    ):
        response = api.get("/users", params=params)
        found = json_body(response) if response.status_code == 200 else []
        expect(
            response.status_code in (200, 422) and found == [],
            f"{describe(response)}: no user has that username; expected [] (or 422).",
            expected="[] or 422",
            actual=f"{response.status_code} {response.text[:120]}",
            response=response,
        )
