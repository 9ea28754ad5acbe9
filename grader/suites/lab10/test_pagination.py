"""Pages and prefix search"""

from __future__ import annotations

import random

from bson import ObjectId
from lab10_support import new_user, stored_recipe, tag

from grader.checks import check, describe, expect, expect_status, fail, json_body


def _seed(api, mongo, count: int) -> tuple[str, list[str]]:
    """`count` recipes whose slugs share a prefix of their own, inserted directly in random order, and
    a few whose slugs are close or hold the prefix further in, but do not start with it."""
    prefix = tag("p")
    user = new_user(api)
    slugs = [f"{prefix}-{i:03d}" for i in range(count)] + [f"{prefix}{i}" for i in range(3)]
    random.Random(count).shuffle(slugs)
    near = [prefix[:-1] + "z-x", prefix[:-1] + "-y"]  # just after and just before the prefix's range
    near += [f"a{prefix}-000", f"zz-{prefix}"]  # the prefix inside a slug, not at its start
    author = ObjectId(user["id"])
    mongo.recipes.insert_many([stored_recipe(author, slug=slug) for slug in slugs + near])
    return prefix, sorted(slugs)


def _page(api, **params) -> tuple[list[str], str | None]:
    response = api.get("/recipes", params=params)
    expect_status(response, 200)
    body = json_body(response)
    if not isinstance(body, dict) or not isinstance(body.get("items"), list) or "next" not in body:
        fail(
            f'{describe(response)}: expected {{"items": [...], "next": ...}}.',
            expected='{"items": [recipe, ...], "next": "<slug>" or null}',
            actual=response.text[:200],
            response=response,
        )
    return [item.get("slug") for item in body["items"] if isinstance(item, dict)], body["next"]


def _walk(api, prefix: str, limit: int, between=None) -> list[list[str]]:
    pages, after = [], None
    for _ in range(50):
        params = {"prefix": prefix, "limit": limit, **({"after": after} if after else {})}
        items, after = _page(api, **params)
        pages.append(items)
        if after is None:
            return pages
        if between:
            between(len(pages), items)
    fail("GET /recipes kept answering a next slug after 50 pages.", expected="next null at the end")


@check(
    "GET /recipes walks a prefix's recipes in slug order, each once; next is null after the last page",
    points=4,
    rules=["R8.1"],
    hint="find({'slug': {'$gte': prefix, '$lt': <prefix with its last character + 1>, '$gt': after}})"
    ".sort('slug', 1).limit(limit + 1): the extra one says whether a next page exists; next is the "
    "slug of the page's last item.",
)
def test_walk(api, mongo):
    prefix, slugs = _seed(api, mongo, 25)
    for limit in (10, 28, 27):
        pages = _walk(api, prefix, limit)
        sizes = [len(page) for page in pages]
        expected = [len(slugs[i : i + limit]) for i in range(0, len(slugs), limit)]
        expect(
            [slug for page in pages for slug in page] == slugs and sizes == expected,
            f"Walking GET /recipes?prefix={prefix}&limit={limit} page by page should return the "
            f"{len(slugs)} recipes of the prefix in slug order, each once, in pages of {limit}.",
            expected=f"pages of {expected}, first {slugs[:2]}, last {slugs[-1]}",
            actual=f"pages of {sizes}, first {[s for p in pages for s in p][:2]}",
        )
    items, after = _page(api, prefix=prefix, limit=100)
    expect(
        items == slugs and after is None,
        f"GET /recipes?prefix={prefix}&limit=100: all {len(slugs)} recipes and next null.",
        expected=f"{len(slugs)} items, next null",
        actual=f"{len(items)} items, next {after!r}",
    )


@check(
    "The page after a slug starts right after it, whatever was inserted or deleted before it",
    points=4,
    rules=["R8.2"],
    hint="skip(page * limit) counts documents, so one added or removed before the page shifts it: "
    "items come twice or never. Ask for slug > the last slug seen instead.",
)
def test_stable_pages(api, mongo):
    prefix, slugs = _seed(api, mongo, 20)
    author = ObjectId(new_user(api)["id"])

    def meddle(number: int, items: list[str]) -> None:
        """After each page: two recipes inserted before the next one, one of those returned deleted."""
        mongo.recipes.insert_many([stored_recipe(author, slug=f"{items[0]}a{number}{i}") for i in range(2)])
        mongo.recipes.delete_one({"slug": items[-1]})

    pages = _walk(api, prefix, 6, between=meddle)
    walked = [slug for page in pages for slug in page]
    expect(
        walked == slugs,
        f"Walking GET /recipes?prefix={prefix}&limit=6 while the grader inserted two recipes before each "
        f"next page and deleted one already returned: the walk should return the {len(slugs)} recipes it "
        "started with, each once.",
        expected=f"{len(slugs)} slugs in order",
        actual=f"{len(walked)} slugs, repeated {sorted({s for s in walked if walked.count(s) > 1})[:3]}, "
        f"missing {[s for s in slugs if s not in walked][:3]}",
    )


@check(
    "A prefix, an after or a limit outside the contract answers 422; limits 1 and 100 are accepted",
    points=2,
    rules=["R8.3"],
    hint="prefix matches ^[a-z0-9-]{0,60}$ (a '.' or '^' is not a slug character: never build a regex "
    "from it), after is a slug, limit is 1 to 100.",
)
def test_bad_parameters(api):
    for params in ({"limit": 1}, {"limit": 100}, {"prefix": ""}, {"prefix": "a" * 60}):
        expect_status(api.get("/recipes", params=params), 200)
    for params in (
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"prefix": "a.c"},
        {"prefix": "^a"},
        {"prefix": "a" * 61},
        {"after": "Not A Slug"},
    ):
        response = api.get("/recipes", params=params)
        expect(
            response.status_code == 422,
            f"{describe(response)} should answer 422.",
            expected="422",
            actual=f"{response.status_code} {response.text[:120]}",
            response=response,
        )
