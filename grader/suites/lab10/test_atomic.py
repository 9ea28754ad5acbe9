"""Atomic updates under concurrency"""

from __future__ import annotations

from lab10_support import new_recipe, rewarm, tag

from grader.checks import check, describe, expect, expect_status, json_body
from grader.concurrency import burst, statuses

LIKES = 50
TAGS = 20
EDITS = 60
EDIT_ROUNDS = 4
ROUNDS = 3  # the likes and tags bursts


@check(
    "50 likes at once add exactly 50 to the stored likes, from whatever likes held",
    alone=True,  # a race shows only when requests interleave; other checks' load hides or stalls it
    points=5,
    rules=["R5.1"],
    hint="Let the server add: find_one_and_update({'slug': s}, {'$inc': {'likes': 1}}, "
    "return_document=AFTER). Reading likes, adding 1 in Python and writing it back loses updates when "
    "requests overlap (and keep no count of your own: the grader changes likes in the database).",
)
def test_likes_burst(api, new_api, mongo):
    # several rounds, each on a new recipe: a lost update shows only when requests interleave
    clients = None
    for _ in range(ROUNDS):
        slug = new_recipe(api)["slug"]
        mongo.recipes.update_one({"slug": slug}, {"$set": {"likes": 1000}})
        clients = rewarm(clients, new_api, LIKES, f"/recipes/{slug}")
        results = burst(LIKES, lambda i, c=clients, p=f"/recipes/{slug}/likes": c[i].post(p))
        outcomes = statuses(results)
        expect(
            all(status == 200 for status in outcomes),
            f"{LIKES} POST /recipes/{{slug}}/likes at once: every one should answer 200.",
            expected="200 x 50",
            actual=sorted(set(map(str, outcomes))),
        )
        stored = mongo.recipes.find_one({"slug": slug}) or {}
        expect(
            stored.get("likes") == 1000 + LIKES,
            f"The grader set likes to 1000, then sent {LIKES} likes at once: the stored likes should be "
            f"{1000 + LIKES}.",
            expected=1000 + LIKES,
            actual=stored.get("likes"),
        )
        answered = sorted(r.json().get("likes") for r in results)
        expect(
            answered == list(range(1001, 1001 + LIKES)),
            "Each like answers the count right after it: 50 likes at once from 1000 answer 1001 to 1050, "
            "each once.",
            expected="1001 ... 1050",
            actual=str(answered)[:200],
        )
    expect_status(api.post(f"/recipes/{tag('nothing-')}/likes"), 404)


@check(
    "PUT and DELETE /recipes/{slug}/tags/{tag} add a tag once and remove it",
    points=3,
    rules=["R5.2"],
    hint="$addToSet adds a tag unless it is there; $pull removes it (and changes nothing when it is "
    "absent); answer the tags after the change. 404 for an unknown recipe, 422 for a tag outside "
    "^[a-z0-9-]{1,30}$.",
)
def test_tags(api, mongo):
    slug = new_recipe(api)["slug"]  # tags ["breakfast"]
    steps = [
        ("PUT", "sweet", ["breakfast", "sweet"]),
        ("PUT", "sweet", ["breakfast", "sweet"]),
        ("DELETE", "breakfast", ["sweet"]),
        ("DELETE", "absent", ["sweet"]),
    ]
    for method, name, expected in steps:
        response = expect_status(api.request(method, f"/recipes/{slug}/tags/{name}"), 200)
        expect(
            json_body(response) == {"tags": expected},
            f"{describe(response)}: expected the tags after the change.",
            expected={"tags": expected},
            actual=response.text[:160],
            response=response,
        )
    stored = (mongo.recipes.find_one({"slug": slug}) or {}).get("tags")
    expect(stored == ["sweet"], "The stored tags should be ['sweet'].", expected=["sweet"], actual=stored)
    expect_status(api.put(f"/recipes/{tag('nothing-')}/tags/sweet"), 404)
    expect_status(api.delete(f"/recipes/{tag('nothing-')}/tags/sweet"), 404)
    expect_status(api.put(f"/recipes/{slug}/tags/Not%20A%20Tag"), 422)


@check(
    "20 tags added at once are all kept; tags removed while others are added are gone, the others stay",
    alone=True,  # a race shows only when requests interleave; other checks' load hides or stalls it
    points=5,
    rules=["R5.2"],
    hint="Reading the tags, changing the list in Python and $set-ting it back makes concurrent requests "
    "overwrite each other. $addToSet and $pull change the array inside the server, one request at a time.",
)
def test_tags_burst(api, new_api, mongo):
    # several rounds, each on a new recipe: a lost update shows only when requests interleave
    first = [f"t{i}" for i in range(TAGS)]
    second = [f"n{i}" for i in range(TAGS // 2)]
    removed = first[: TAGS // 2]
    clients = None
    for _ in range(ROUNDS):
        slug = new_recipe(api, tags=[])["slug"]
        clients = rewarm(clients, new_api, TAGS, f"/recipes/{slug}")
        results = burst(TAGS, lambda i, c=clients, s=slug: c[i].put(f"/recipes/{s}/tags/{first[i]}"))
        stored = (mongo.recipes.find_one({"slug": slug}) or {}).get("tags") or []
        expect(
            all(s == 200 for s in statuses(results)) and sorted(stored) == sorted(first),
            f"{TAGS} PUT /recipes/{{slug}}/tags/t0..t{TAGS - 1} at once: every tag should be stored, once.",
            expected=sorted(first),
            actual=f"statuses {sorted(set(map(str, statuses(results))))}, stored {sorted(stored)}",
        )

        def change(i: int, c=clients, slug=slug):
            if i % 2:
                return c[i].delete(f"/recipes/{slug}/tags/{removed[i // 2]}")
            return c[i].put(f"/recipes/{slug}/tags/{second[i // 2]}")

        results = burst(TAGS, change)
        stored = (mongo.recipes.find_one({"slug": slug}) or {}).get("tags") or []
        wanted = sorted(first[TAGS // 2 :] + second)
        expect(
            all(s == 200 for s in statuses(results)) and sorted(stored) == wanted,
            f"{TAGS // 2} DELETEs of stored tags and {TAGS // 2} PUTs of new ones at once: the removed tags "
            "should be gone and every added one kept.",
            expected=wanted,
            actual=f"statuses {sorted(set(map(str, statuses(results))))}, stored {sorted(stored)}",
        )


@check(
    "PATCH /recipes/{slug} applies only with the stored version, adds 1 to it, else answers 409",
    points=4,
    rules=["R5.3"],
    hint="Put the version in the filter: find_one_and_update({'slug': s, 'version': v}, {'$set': changes, "
    "'$inc': {'version': 1}}). Nothing matched: 404 if the slug does not exist, else 409, and nothing "
    "changes. Members not sent stay as they are.",
)
def test_edit_with_version(api, mongo):
    recipe = new_recipe(api)
    slug = recipe["slug"]
    response = expect_status(api.patch(f"/recipes/{slug}", json={"version": 1, "title": "Crepes"}), 200)
    edited = json_body(response)
    expect(
        isinstance(edited, dict)
        and (edited.get("title"), edited.get("version"), edited.get("ingredients"))
        == ("Crepes", 2, recipe["ingredients"]),
        f"{describe(response)} with version 1: expected the recipe with the new title, version 2 and its "
        "ingredients unchanged.",
        expected={"title": "Crepes", "version": 2, "ingredients": recipe["ingredients"]},
        actual=response.text[:240],
        response=response,
    )
    stale = api.patch(f"/recipes/{slug}", json={"version": 1, "title": "Waffles"})
    expect_status(stale, 409)
    mongo.recipes.update_one({"slug": slug}, {"$set": {"version": 9}})  # someone else, behind the app
    behind = api.patch(f"/recipes/{slug}", json={"version": 2, "ingredients": [{"name": "egg", "grams": 50}]})
    expect_status(behind, 409)
    stored = mongo.recipes.find_one({"slug": slug}) or {}
    expect(
        (stored.get("title"), stored.get("version"), stored.get("ingredients"))
        == ("Crepes", 9, recipe["ingredients"]),
        "A PATCH answered 409 should change nothing.",
        expected={"title": "Crepes", "version": 9, "ingredients": recipe["ingredients"]},
        actual={k: stored.get(k) for k in ("title", "version", "ingredients")},
    )
    fresh = expect_status(api.patch(f"/recipes/{slug}", json={"version": 9, "title": "Blini"}), 200)
    expect(
        json_body(fresh).get("version") == 10,
        f"{describe(fresh)} with the stored version 9: expected version 10.",
        expected=10,
        actual=fresh.text[:160],
        response=fresh,
    )
    expect_status(api.patch(f"/recipes/{tag('nothing-')}", json={"version": 1, "title": "X"}), 404)


@check(
    "Of 60 edits sent at once with the same version, exactly one wins and the others answer 409",
    alone=True,  # a race shows only when requests interleave; other checks' load hides or stalls it
    points=5,
    rules=["R5.3"],
    hint="Checking the version in Python and then updating lets every overlapping request see the old "
    "version and win. Only a filter with the version, in the same update, lets exactly one through.",
)
def test_edit_burst(api, new_api, mongo):
    # A race shows only when requests interleave between the read and the write: several rounds, each
    # on a new large recipe (each edit that reads it first takes a little longer to do so).
    clients = None
    for round_ in range(1, EDIT_ROUNDS + 1):
        ingredients = [{"name": f"{i:03d}" + "i" * 97, "grams": 1 + i} for i in range(50)]
        slug = new_recipe(api, ingredients=ingredients)["slug"]
        clients = rewarm(clients, new_api, EDITS, f"/recipes/{slug}")
        titles = [f"Edit {round_}.{i}" for i in range(EDITS)]
        results = burst(
            EDITS,
            lambda i, c=clients, path=f"/recipes/{slug}", t=titles: c[i].patch(
                path, json={"version": 1, "title": t[i]}
            ),
        )
        outcomes = statuses(results)
        winners = [titles[i] for i, status in enumerate(outcomes) if status == 200]
        expect(
            len(winners) == 1 and outcomes.count(409) == EDITS - 1,
            f"{EDITS} PATCHes at once, all with version 1 (round {round_} of {EDIT_ROUNDS}): exactly one "
            "should answer 200 and the others 409.",
            expected=f"one 200, {EDITS - 1} 409",
            actual=sorted(map(str, outcomes)),
        )
        stored = mongo.recipes.find_one({"slug": slug}) or {}
        expect(
            (stored.get("title"), stored.get("version")) == (winners[0], 2),
            "The stored recipe should be the winner's edit, at version 2.",
            expected={"title": winners[0], "version": 2},
            actual={"title": stored.get("title"), "version": stored.get("version")},
        )
