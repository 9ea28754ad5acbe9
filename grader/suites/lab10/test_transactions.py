"""Multi-document transactions"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from lab10_support import new_recipe, new_user, rewarm, stored_recipe, tag

from grader.checks import check, describe, expect, expect_status, json_body
from grader.concurrency import burst, statuses, tally

RATERS = 30  # distinct users rating one recipe at once
RERATINGS = 30  # one user re-rating one recipe at once
ROUNDS = 3
STARS = [1 + i % 5 for i in range(max(RATERS, RERATINGS))]


def _rate(api: Any, slug: str, username: str, stars: Any) -> Any:
    return api.put(f"/recipes/{slug}/ratings/{username}", json={"stars": stars})


def _stored(mongo: Any, slug: str) -> tuple[Any, list[tuple[str, Any]]]:
    """The recipe's stored summary {count, total}, and its documents in `ratings` as (username, stars)
    pairs, sorted."""
    recipe = mongo.recipes.find_one({"slug": slug}) or {}
    summary = recipe.get("rating")
    if isinstance(summary, dict):
        summary = {k: summary.get(k) for k in ("count", "total")}
    ratings = list(mongo.ratings.find({"recipe_id": recipe.get("_id")}))
    ids = list({r.get("user_id") for r in ratings})
    names = {u["_id"]: u["username"] for u in mongo.users.find({"_id": {"$in": ids}}, {"username": 1})}
    pairs = sorted((names.get(r.get("user_id"), str(r.get("user_id"))), r.get("stars")) for r in ratings)
    return summary, pairs


def _count_of(response: Any) -> Any:
    try:
        return int(response.json()["rating"]["count"])
    except (AttributeError, KeyError, TypeError, ValueError):
        return -1


def _summary_of(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """The grader's own summary over the ratings as stored."""
    return {"count": len(pairs), "total": sum(s for _, s in pairs if isinstance(s, int))}


@check(
    "PUT /recipes/{slug}/ratings/{username} stores one rating per user and keeps the recipe's summary exact",
    points=4,
    rules=["R10.1"],
    hint="In one transaction (session.with_transaction): replace the user's rating in ratings (upsert, "
    "return the one before) and $inc the recipe's rating.count (1 for a first rating, 0 for a re-rating) "
    "and rating.total (the new stars minus the old ones). 201 for a first rating, 200 for a re-rating.",
)
def test_ratings(api, mongo):
    slug = new_recipe(api)["slug"]
    ada, bob = new_user(api)["username"], new_user(api)["username"]
    steps = [
        (ada, 4, 201, {"count": 1, "total": 4}),
        (ada, 2, 200, {"count": 1, "total": 2}),  # a re-rating replaces the first one
        (bob, 5, 201, {"count": 2, "total": 7}),
        (ada, 2, 200, {"count": 2, "total": 7}),  # the same stars again: nothing changes
        (bob, 1, 200, {"count": 2, "total": 3}),
    ]
    for username, stars, status, summary in steps:
        response = expect_status(_rate(api, slug, username, stars), status)
        answer = json_body(response)
        expect(
            answer == {"stars": stars, "rating": summary},
            f"{describe(response)} with {{'stars': {stars}}}: expected the stars and the recipe's summary "
            "right after this rating.",
            expected={"stars": stars, "rating": summary},
            actual=response.text[:200],
            response=response,
        )
    summary, pairs = _stored(mongo, slug)
    wanted = sorted([(ada, 2), (bob, 1)])
    expect(
        pairs == wanted and summary == {"count": 2, "total": 3},
        "After the ratings above, ratings should hold one document per user with their last stars, and "
        "the recipe's rating {count, total} should match them.",
        expected={"ratings": wanted, "rating": {"count": 2, "total": 3}},
        actual={"ratings": pairs, "rating": summary},
    )
    # a recipe the grader stored directly has no summary yet: the first rating starts one
    user = new_user(api)
    direct = stored_recipe(ObjectId(user["id"]))
    mongo.recipes.insert_one(direct)
    response = expect_status(_rate(api, direct["slug"], ada, 3), 201)
    expect(
        json_body(response) == {"stars": 3, "rating": {"count": 1, "total": 3}},
        f"{describe(response)} on a recipe the grader stored without a rating member: its first rating "
        "makes the summary {count: 1, total: 3}.",
        expected={"stars": 3, "rating": {"count": 1, "total": 3}},
        actual=response.text[:200],
        response=response,
    )


@check(
    "A rating refused (stars outside 1-5, unknown recipe or user) changes neither ratings nor the summary",
    points=3,
    rules=["R10.3"],
    hint="Refuse stars that are not an integer from 1 to 5 with 422 before writing anything, 404 an "
    "unknown recipe or user. A step that fails inside the transaction aborts it: neither the rating nor "
    "the summary changes (updating the summary first, outside the transaction, and then having the "
    "rating refused leaves a summary that counts a rating nobody stored).",
)
def test_refused_rating(api, mongo):
    slug = new_recipe(api)["slug"]
    ada = new_user(api)["username"]
    expect_status(_rate(api, slug, ada, 3), 201)
    before = _stored(mongo, slug)
    for stars in (0, 6, -1, 4.5, "5", None, {"$gt": 0}, [5]):
        response = _rate(api, slug, ada, stars)
        expect_status(response, 422)
        after = _stored(mongo, slug)
        expect(
            after == before,
            f"{describe(response)} with {{'stars': {stars!r}}} answered 422: nothing should have changed.",
            expected={"rating": before[0], "ratings": before[1]},
            actual={"rating": after[0], "ratings": after[1]},
            response=response,
        )
    response = api.put(f"/recipes/{slug}/ratings/{ada}", json={})
    expect_status(response, 422)
    expect_status(_rate(api, tag("nothing-"), ada, 3), 404)
    response = expect_status(_rate(api, slug, tag("nobody_"), 3), 404)
    after = _stored(mongo, slug)
    expect(
        after == before,
        f"{describe(response)} for a user nobody has answered 404: nothing should have changed.",
        expected={"rating": before[0], "ratings": before[1]},
        actual={"rating": after[0], "ratings": after[1]},
        response=response,
    )


@check(
    "30 users rating one recipe at once: every one answered 201, the summary equals the ratings",
    alone=True,  # like the atomic bursts: a race shows only when requests interleave
    points=5,
    rules=["R10.2"],
    hint="Two transactions that change the same recipe at once conflict: one fails with a write conflict "
    "labelled TransientTransactionError, and must run again (session.with_transaction does; "
    "start_transaction and commit_transaction alone do not, and answer 500). Keep the summary inside the "
    "transaction: recomputing it after the commit lets an older count overwrite a newer one.",
)
def test_ratings_burst(api, new_api, mongo):
    # several rounds, each on a new recipe: a conflict or a stale summary shows only when requests overlap
    clients = None
    for round_ in range(1, ROUNDS + 1):
        slug = new_recipe(api)["slug"]
        users = [new_user(api)["username"] for _ in range(RATERS)]
        stars = STARS[:RATERS]
        clients = rewarm(clients, new_api, RATERS, f"/recipes/{slug}")
        results = burst(
            RATERS, lambda i, c=clients, s=slug, u=users: _rate(c[i], s, u[i], STARS[i]), timeout=60
        )
        outcomes = statuses(results)
        expect(
            all(status == 201 for status in outcomes),
            f"{RATERS} users rated one recipe at once (round {round_} of {ROUNDS}): every first rating "
            "should answer 201.",
            expected=f"201 x {RATERS}",
            actual=tally(outcomes),
        )
        counts = sorted(_count_of(r) for r in results)
        expect(
            counts == list(range(1, RATERS + 1)),
            f"Each rating answers the summary right after its own transaction: {RATERS} first ratings at "
            f"once answer the counts 1 to {RATERS}, each once (round {round_} of {ROUNDS}). A count "
            "answered twice is a summary read after other ratings committed, outside the transaction.",
            expected=f"1 ... {RATERS}",
            actual=str(counts)[:200],
        )
        summary, pairs = _stored(mongo, slug)
        wanted = sorted(zip(users, stars, strict=True))
        expect(
            pairs == wanted,
            f"After {RATERS} first ratings at once, ratings should hold one document per user.",
            expected=f"{len(wanted)} ratings, stars total {sum(stars)}",
            actual=f"{len(pairs)} ratings, stars total {_summary_of(pairs)['total']}",
        )
        expect(
            summary == _summary_of(pairs),
            f"After {RATERS} ratings at once (round {round_} of {ROUNDS}), the recipe's rating should "
            "equal the grader's own count and total over ratings.",
            expected=_summary_of(pairs),
            actual=summary,
        )


@check(
    "One user re-rating one recipe 30 times at once: every one answered 200, one rating, exact summary",
    alone=True,  # like the atomic bursts: a race shows only when requests interleave
    points=4,
    rules=["R10.2"],
    hint="Read the user's old stars and write the new ones in the same transaction as the summary: two "
    "re-ratings that both read the same old stars outside a transaction both subtract it, and the total "
    "drifts. with_transaction runs the loser of a write conflict again, on the winner's rating.",
)
def test_rerating_burst(api, new_api, mongo):
    clients = None
    for round_ in range(1, ROUNDS + 1):
        slug = new_recipe(api)["slug"]
        username = new_user(api)["username"]
        expect_status(_rate(api, slug, username, 1), 201)
        clients = rewarm(clients, new_api, RERATINGS, f"/recipes/{slug}")
        results = burst(
            RERATINGS, lambda i, c=clients, s=slug, u=username: _rate(c[i], s, u, STARS[i]), timeout=60
        )
        outcomes = statuses(results)
        expect(
            all(status == 200 for status in outcomes),
            f"{RERATINGS} re-ratings of one recipe by one user at once (round {round_} of {ROUNDS}): every "
            "one should answer 200.",
            expected=f"200 x {RERATINGS}",
            actual=tally(outcomes),
        )
        summary, pairs = _stored(mongo, slug)
        expect(
            len(pairs) == 1 and summary == _summary_of(pairs),
            f"After {RERATINGS} re-ratings at once (round {round_} of {ROUNDS}): one rating document, and "
            "the recipe's rating {count: 1, total: its stars}.",
            expected={"ratings": "one (username, stars)", "rating": _summary_of(pairs[:1])},
            actual={"ratings": pairs, "rating": summary},
        )
