"""Lab 10 reference solution: a recipe site on MongoDB, with PyMongo.

One recipe is one document: its ingredients and tags are embedded, its author is referenced by
`author_id` (the user's `_id`) and read from `users` when a recipe is shown. Every change to a
recipe is one atomic update on one document ($inc, $addToSet, $pull, $set with a version filter).
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from bson import ObjectId
from bson.errors import InvalidId
from fastapi import FastAPI, HTTPException, Path, Query, Response
from pydantic import BaseModel, Field, StrictInt, StringConstraints
from pymongo import ASCENDING, DESCENDING, MongoClient, ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError

from app.schema import prepare

client: MongoClient = MongoClient(os.environ["MONGODB_URL"], serverSelectionTimeoutMS=5000, tz_aware=True)
db = client.get_default_database()

Username = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{3,30}$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{3,60}$")]
Tag = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,30}$")]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Prefix = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{0,60}$")]
Limit = Annotated[int, Query(ge=1, le=100)]
DRAFT_LIFETIME = timedelta(hours=1)
# GET /users/{username}/stats: recipes by likes in [0, 10), [10, 100), [100, 1000), the rest from 1000.
LIKES_BOUNDARIES = [0, 10, 100, 1000]
TOP_TAGS = 3


class UserIn(BaseModel):
    username: Username
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]


class Ingredient(BaseModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    grams: Annotated[StrictInt, Field(ge=1)]


Ingredients = Annotated[list[Ingredient], Field(min_length=1, max_length=50)]


class RecipeIn(BaseModel):
    slug: Slug
    title: Title
    author: Username  # a plain string: {"$ne": null} is refused here, never reaches a filter
    ingredients: Ingredients
    tags: Annotated[list[Tag], Field(max_length=20)] = []


class RecipeEdit(BaseModel):
    version: StrictInt
    title: Title | None = None
    ingredients: Ingredients | None = None


class RatingIn(BaseModel):
    stars: Annotated[StrictInt, Field(ge=1, le=5)]


class DraftIn(BaseModel):
    title: Title


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    prepare(db)
    yield


app = FastAPI(title="Lab 10: recipes on MongoDB", lifespan=lifespan)


def now() -> datetime:
    """The current time as MongoDB stores it: a BSON date has milliseconds."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def user_out(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(user["_id"]), "username": user["username"], "name": user["name"]}


def recipe_out(recipe: dict[str, Any], author: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": str(recipe["_id"]),
        "slug": recipe["slug"],
        "title": recipe["title"],
        "author": user_out(author) if author else None,
        "ingredients": [{"name": i["name"], "grams": i["grams"]} for i in recipe["ingredients"]],
        "tags": recipe["tags"],
        "likes": recipe["likes"],
        "version": recipe["version"],
        "created_at": recipe["created_at"].isoformat(),
    }


def with_author(recipe: dict[str, Any]) -> dict[str, Any]:
    return recipe_out(recipe, db.users.find_one({"_id": recipe["author_id"]}))


def not_found(what: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"No such {what}.")


@app.get("/health")
def health() -> dict[str, str]:
    client.admin.command("ping")
    return {"status": "ok"}


@app.post("/users", status_code=201)
def create_user(body: UserIn) -> dict[str, Any]:
    user = body.model_dump()
    try:
        db.users.insert_one(user)
    except DuplicateKeyError:
        raise HTTPException(status_code=409, detail="This username is taken.") from None
    return user_out(user)


@app.get("/users")
def find_users(username: Username) -> list[dict[str, Any]]:
    return [user_out(user) for user in db.users.find({"username": username})]


@app.get("/users/{username}/recipes")
def recipes_of(username: Username) -> list[dict[str, Any]]:
    author = db.users.find_one({"username": username})
    if author is None:
        raise not_found("user")
    newest = (
        db.recipes.find({"author_id": author["_id"]})
        .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
        .limit(20)
    )
    return [recipe_out(recipe, author) for recipe in newest]


@app.get("/users/{username}/tags")
def tags_of(username: Username) -> list[dict[str, Any]]:
    author = db.users.find_one({"username": username})
    if author is None:
        raise not_found("user")
    pipeline: list[dict[str, Any]] = [
        {"$match": {"author_id": author["_id"]}},
        {"$unwind": "$tags"},  # one document per (recipe, tag)
        {"$group": {"_id": "$tags", "recipes": {"$sum": 1}, "likes": {"$sum": "$likes"}}},
        {"$sort": {"recipes": -1, "likes": -1, "_id": 1}},
        {"$project": {"_id": 0, "tag": "$_id", "recipes": 1, "likes": 1}},
    ]
    return list(db.recipes.aggregate(pipeline))


@app.get("/users/{username}/stats")
def stats_of(username: Username) -> dict[str, Any]:
    author = db.users.find_one({"username": username})
    if author is None:
        raise not_found("user")
    # One pipeline, one round trip: $facet runs both sub-pipelines over the same matched recipes.
    pipeline: list[dict[str, Any]] = [
        {"$match": {"author_id": author["_id"]}},
        {
            "$facet": {
                "likes": [
                    {
                        "$bucket": {
                            "groupBy": "$likes",
                            "boundaries": LIKES_BOUNDARIES,  # each bucket includes its lower bound only
                            "default": "more",  # likes of 1000 and more
                            "output": {"recipes": {"$sum": 1}},
                        }
                    }
                ],
                "tags": [
                    {"$unwind": "$tags"},
                    {"$group": {"_id": "$tags", "recipes": {"$sum": 1}}},
                    {"$sort": {"recipes": -1, "_id": 1}},
                    {"$limit": TOP_TAGS},
                    {"$project": {"_id": 0, "tag": "$_id", "recipes": 1}},
                ],
            }
        },
    ]
    result = next(db.recipes.aggregate(pipeline))
    uppers = dict(zip(LIKES_BOUNDARIES, [*LIKES_BOUNDARIES[1:], None], strict=True))
    lowest_default = LIKES_BOUNDARIES[-1]
    likes = [
        {
            "from": lowest_default if bucket["_id"] == "more" else bucket["_id"],
            "to": None if bucket["_id"] == "more" else uppers[bucket["_id"]],
            "recipes": bucket["recipes"],
        }
        for bucket in result["likes"]
    ]
    return {"likes": likes, "tags": result["tags"]}


@app.get("/recipes")
def list_recipes(prefix: Prefix = "", after: Slug | None = None, limit: Limit = 20) -> dict[str, Any]:
    # A range on the unique slug index: the page after `after` starts right after it, however many
    # recipes were added or removed before it meanwhile (skip would shift), and reads only the page.
    bounds: dict[str, str] = {"$gte": prefix}
    if prefix:  # slugs are [a-z0-9-]: the prefix with its last character + 1 bounds them
        bounds["$lt"] = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    if after is not None:
        bounds["$gt"] = after
    found = list(db.recipes.find({"slug": bounds}).sort("slug", ASCENDING).limit(limit + 1))
    page = found[:limit]
    ids = list({recipe["author_id"] for recipe in page})
    authors = {user["_id"]: user for user in db.users.find({"_id": {"$in": ids}})}
    return {
        "items": [recipe_out(recipe, authors.get(recipe["author_id"])) for recipe in page],
        "next": page[-1]["slug"] if len(found) > limit else None,
    }


@app.post("/recipes", status_code=201)
def create_recipe(body: RecipeIn) -> dict[str, Any]:
    author = db.users.find_one({"username": body.author})
    if author is None:
        raise HTTPException(status_code=422, detail="No such author.")
    recipe = {
        "slug": body.slug,
        "title": body.title,
        "author_id": author["_id"],
        "ingredients": [ingredient.model_dump() for ingredient in body.ingredients],
        "tags": list(dict.fromkeys(body.tags)),
        "likes": 0,
        "version": 1,
        "created_at": now(),
    }
    try:
        db.recipes.insert_one(recipe)
    except DuplicateKeyError:
        raise HTTPException(status_code=409, detail="This slug is taken.") from None
    return recipe_out(recipe, author)


@app.get("/recipes/{slug}")
def get_recipe(slug: Slug) -> dict[str, Any]:
    recipe = db.recipes.find_one({"slug": slug})
    if recipe is None:
        raise not_found("recipe")
    return with_author(recipe)


@app.patch("/recipes/{slug}")
def edit_recipe(slug: Slug, body: RecipeEdit) -> dict[str, Any]:
    changes = body.model_dump(exclude={"version"}, exclude_none=True)
    recipe = db.recipes.find_one_and_update(
        {"slug": slug, "version": body.version},  # only the version the client read
        {"$set": changes, "$inc": {"version": 1}} if changes else {"$inc": {"version": 1}},
        return_document=ReturnDocument.AFTER,
    )
    if recipe is None:
        if db.recipes.count_documents({"slug": slug}, limit=1) == 0:
            raise not_found("recipe")
        raise HTTPException(status_code=409, detail="The recipe changed since you read it.")
    return with_author(recipe)


@app.post("/recipes/{slug}/likes")
def like(slug: Slug) -> dict[str, int]:
    recipe = db.recipes.find_one_and_update(
        {"slug": slug}, {"$inc": {"likes": 1}}, return_document=ReturnDocument.AFTER
    )
    if recipe is None:
        raise not_found("recipe")
    return {"likes": recipe["likes"]}


@app.put("/recipes/{slug}/tags/{tag}")
def add_tag(slug: Slug, tag: Annotated[Tag, Path()]) -> dict[str, list[str]]:
    recipe = db.recipes.find_one_and_update(
        {"slug": slug}, {"$addToSet": {"tags": tag}}, return_document=ReturnDocument.AFTER
    )
    if recipe is None:
        raise not_found("recipe")
    return {"tags": recipe["tags"]}


@app.delete("/recipes/{slug}/tags/{tag}")
def remove_tag(slug: Slug, tag: Annotated[Tag, Path()]) -> dict[str, list[str]]:
    recipe = db.recipes.find_one_and_update(
        {"slug": slug}, {"$pull": {"tags": tag}}, return_document=ReturnDocument.AFTER
    )
    if recipe is None:
        raise not_found("recipe")
    return {"tags": recipe["tags"]}


@app.put("/recipes/{slug}/ratings/{username}")
def rate(slug: Slug, username: Username, body: RatingIn, response: Response) -> dict[str, Any]:
    recipe = db.recipes.find_one({"slug": slug}, {"_id": 1})
    user = db.users.find_one({"username": username}, {"_id": 1})
    if recipe is None or user is None:
        raise not_found("recipe" if recipe is None else "user")
    key = {"recipe_id": recipe["_id"], "user_id": user["_id"]}

    def rate_and_summarise(session: ClientSession) -> tuple[bool, dict[str, int]]:
        # Both writes commit together or not at all. Two transactions changing the same recipe (or the
        # same rating) conflict: one of them fails with a TransientTransactionError, and
        # with_transaction runs this function again on what the winner committed.
        before = db.ratings.find_one_and_replace(
            key, {**key, "stars": body.stars}, upsert=True, session=session
        )
        first = before is None
        old_stars = 0 if before is None else before["stars"]
        summary = db.recipes.find_one_and_update(
            {"_id": recipe["_id"]},
            {
                "$inc": {
                    "rating.count": 1 if first else 0,
                    "rating.total": body.stars - old_stars,
                }
            },
            projection={"rating": 1},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if summary is None:  # the recipe is gone: the exception aborts the transaction, rating included
            raise not_found("recipe")
        return first, summary["rating"]

    with client.start_session() as session:
        first, summary = session.with_transaction(rate_and_summarise)
    response.status_code = 201 if first else 200
    return {"stars": body.stars, "rating": {"count": summary["count"], "total": summary["total"]}}


@app.post("/drafts", status_code=201)
def create_draft(body: DraftIn) -> dict[str, str]:
    draft: dict[str, Any] = {"title": body.title, "expires_at": now() + DRAFT_LIFETIME}
    db.drafts.insert_one(draft)
    return {"id": str(draft["_id"]), "title": draft["title"], "expires_at": draft["expires_at"].isoformat()}


@app.get("/drafts/{draft_id}")
def get_draft(draft_id: str) -> dict[str, str]:
    try:
        oid = ObjectId(draft_id)
    except InvalidId:
        raise not_found("draft") from None
    # The TTL monitor removes expired drafts only about once a minute: never show one that has expired.
    draft = db.drafts.find_one({"_id": oid, "expires_at": {"$gt": datetime.now(UTC)}})
    if draft is None:
        raise not_found("draft")
    return {"id": draft_id, "title": draft["title"], "expires_at": draft["expires_at"].isoformat()}
