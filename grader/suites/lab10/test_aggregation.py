"""Aggregation"""

from __future__ import annotations

from bson import ObjectId
from lab10_support import new_user, stored_recipe, tag

from grader.checks import check, describe, expect, expect_status, json_body

# (tags, likes) of one user's recipes, written directly: dill 5 recipes; bean and corn tie on recipes
# and likes (3, 12) and come by name; apple has 3 recipes too but fewer likes; egg 1 recipe.
RECIPES = [
    (["dill"], 0),
    (["dill"], 0),
    (["dill", "apple"], 0),
    (["dill", "bean"], 5),
    (["dill", "corn"], 5),
    (["apple"], 4),
    (["apple"], 6),
    (["bean", "corn"], 7),
    (["bean"], 0),
    (["corn"], 0),
    (["egg"], 100),
    ([], 50),
]


def expected_of(documents: list[dict]) -> list[dict]:
    """The grader's own computation over the documents as stored."""
    counts: dict[str, list[int]] = {}
    for document in documents:
        for name in document["tags"]:
            entry = counts.setdefault(name, [0, 0])
            entry[0] += 1
            entry[1] += document["likes"]
    ordered = sorted(counts.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))
    return [{"tag": name, "recipes": n, "likes": likes} for name, (n, likes) in ordered]


def _entries(answer: object) -> object:
    """The entries as comparable tuples, order aside (or the answer itself when it is no list)."""
    if not isinstance(answer, list):
        return answer
    return sorted(
        (str(e.get("tag")), str(e.get("recipes")), str(e.get("likes"))) if isinstance(e, dict) else (str(e),)
        for e in answer
    )


def _seed(api, mongo) -> tuple[dict, list[dict]]:
    user = new_user(api)
    documents = [stored_recipe(ObjectId(user["id"]), tags=tags, likes=likes) for tags, likes in RECIPES]
    other = new_user(api)  # the same tags on someone else's recipes must not count
    noise = [stored_recipe(ObjectId(other["id"]), tags=["dill", "apple", "zest"], likes=1000)]
    mongo.recipes.insert_many(documents + noise)
    return user, documents


@check(
    "GET /users/{username}/tags counts the user's recipes and sums their likes per tag",
    points=4,
    rules=["R7.1"],
    hint="$match the user's recipes (author_id), $unwind tags, $group by tag with {'$sum': 1} and "
    "{'$sum': '$likes'}. Other users' recipes never count; a user without recipes answers [], an "
    "unknown username 404.",
)
def test_tag_counts(api, mongo):
    user, documents = _seed(api, mongo)
    mongo.recipes.update_one({"_id": documents[10]["_id"]}, {"$set": {"likes": 101}})  # behind the app
    documents[10]["likes"] = 101
    response = expect_status(api.get(f"/users/{user['username']}/tags"), 200)
    answer = json_body(response)
    expected = expected_of(documents)
    expect(
        _entries(answer) == _entries(expected),
        f"{describe(response)}: the counts differ from the grader's own over the {len(documents)} "
        "recipes it stored (order aside).",
        expected=expected,
        actual=response.text[:400],
        response=response,
    )
    empty = new_user(api)
    none = expect_status(api.get(f"/users/{empty['username']}/tags"), 200)
    expect(json_body(none) == [], f"{describe(none)}: a user without recipes has no tags.", expected=[])
    expect_status(api.get(f"/users/{tag('nobody_')}/tags"), 404)


@check(
    "Tags come by recipes, then likes (both descending), then by name",
    points=3,
    rules=["R7.2"],
    hint="$sort: {'recipes': -1, 'likes': -1, '_id': 1} after the $group (the tag is the group's _id): "
    "every tie needs its tie-breaker, or equal entries come in any order.",
)
def test_tag_order(api, mongo):
    user, documents = _seed(api, mongo)
    response = expect_status(api.get(f"/users/{user['username']}/tags"), 200)
    answer = json_body(response)
    expected = [entry["tag"] for entry in expected_of(documents)]
    got = (
        [entry.get("tag") for entry in answer if isinstance(entry, dict)] if isinstance(answer, list) else []
    )
    expect(
        got == expected,
        f"{describe(response)}: tags in the wrong order.",
        expected=expected,
        actual=got or response.text[:200],
        response=response,
    )


# (likes, tags) of one user's stats recipes, written directly: likes on and beside every boundary of
# GET /users/{username}/stats ([0, 10), [10, 100), [100, 1000), 1000 and more), and tags whose top three
# need both tie-breakers (yam first on 151; fig, kale and plum tie on 4 and come by name: plum is left out).
STATS_RECIPES = [
    (0, ["fig", "kale", "leek"]),
    (9, ["fig", "kale"]),
    (10, ["fig", "kale", "leek"]),
    (99, ["fig", "kale", "leek"]),
    (100, ["plum"]),
    (999, ["plum"]),
    (1000, ["plum"]),
    (5000, ["plum", "yam"]),
    (10, []),
]
FILLER = 150  # more recipes than a capped find (100) reads: all with 5 likes and the tag "yam"
BOUNDARIES = [0, 10, 100, 1000]
TOP_TAGS = 3


def stats_of(documents: list[dict]) -> dict[str, list[dict]]:
    """The grader's own stats over the documents as stored."""
    buckets: dict[int, int] = {}
    for document in documents:
        lower = max(b for b in BOUNDARIES if b <= document["likes"])
        buckets[lower] = buckets.get(lower, 0) + 1
    uppers = dict(zip(BOUNDARIES, [*BOUNDARIES[1:], None], strict=True))
    likes = [{"from": b, "to": uppers[b], "recipes": n} for b, n in sorted(buckets.items())]
    counts: dict[str, int] = {}
    for document in documents:
        for name in document["tags"]:
            counts[name] = counts.get(name, 0) + 1
    top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP_TAGS]
    return {"likes": likes, "tags": [{"tag": name, "recipes": n} for name, n in top]}


def _seed_stats(api, mongo) -> tuple[dict, list[dict]]:
    user = new_user(api)
    author = ObjectId(user["id"])
    documents = [stored_recipe(author, likes=likes, tags=tags) for likes, tags in STATS_RECIPES]
    documents += [stored_recipe(author, likes=5, tags=["yam"]) for _ in range(FILLER)]
    other = new_user(api)  # someone else's recipes must not count
    noise = [stored_recipe(ObjectId(other["id"]), likes=likes, tags=["leek"]) for likes in (1, 50, 500, 2000)]
    mongo.recipes.insert_many(documents + noise)
    return user, documents


@check(
    "GET /users/{username}/stats counts the user's recipes per likes bucket, at the boundaries too",
    points=4,
    rules=["R7.3"],
    hint="In one pipeline: $match the user's recipes, then $facet with a $bucket on '$likes', boundaries "
    "[0, 10, 100, 1000] and a default bucket for 1000 and more. A bucket holds its lower boundary and not "
    "its upper one: 10 likes count in [10, 100), 1000 in the default. Count on the server: a find capped "
    "at 100 documents and counted in Python misses the rest.",
)
def test_likes_buckets(api, mongo):
    user, documents = _seed_stats(api, mongo)
    mongo.recipes.update_one({"_id": documents[2]["_id"]}, {"$set": {"likes": 100}})  # behind the app
    documents[2]["likes"] = 100
    response = expect_status(api.get(f"/users/{user['username']}/stats"), 200)
    answer = json_body(response)
    expected = stats_of(documents)["likes"]
    got = answer.get("likes") if isinstance(answer, dict) else answer
    expect(
        got == expected,
        f"{describe(response)}: the likes buckets differ from the grader's own over the {len(documents)} "
        "recipes it stored (likes 0, 9, 10, 99, 100, 100, 999, 1000, 5000, and 150 with 5 likes).",
        expected=expected,
        actual=str(got)[:400],
        response=response,
    )
    empty = new_user(api)
    none = expect_status(api.get(f"/users/{empty['username']}/stats"), 200)
    expect(
        json_body(none) == {"likes": [], "tags": []},
        f"{describe(none)}: a user without recipes has no buckets and no tags.",
        expected={"likes": [], "tags": []},
        actual=none.text[:160],
        response=none,
    )
    expect_status(api.get(f"/users/{tag('nobody_')}/stats"), 404)


@check(
    "GET /users/{username}/stats names the user's 3 most used tags, ties by name",
    points=3,
    rules=["R7.4"],
    hint="The second branch of the $facet: $unwind tags, $group by tag with {'$sum': 1}, $sort "
    "{'recipes': -1, '_id': 1}, $limit 3. Only the user's recipes count.",
)
def test_top_tags(api, mongo):
    user, documents = _seed_stats(api, mongo)
    response = expect_status(api.get(f"/users/{user['username']}/stats"), 200)
    answer = json_body(response)
    expected = stats_of(documents)["tags"]
    got = answer.get("tags") if isinstance(answer, dict) else answer
    expect(
        got == expected,
        f"{describe(response)}: the top tags differ from the grader's own over the recipes it stored.",
        expected=expected,
        actual=str(got)[:400],
        response=response,
    )
