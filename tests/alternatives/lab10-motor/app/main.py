"""lab10 with Starlette and Motor: same contract, another driver, hand-written validation."""

from __future__ import annotations

import asyncio
import os
import random
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from motor.motor_asyncio import AsyncIOMotorClient
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError, OperationFailure, PyMongoError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

client = AsyncIOMotorClient(os.environ["MONGODB_URL"], serverSelectionTimeoutMS=5000, tz_aware=True)
db = client.get_default_database()

USERNAME = re.compile(r"[a-z0-9_]{3,30}")
SLUG = re.compile(r"[a-z0-9-]{3,60}")
TAG = re.compile(r"[a-z0-9-]{1,30}")
INT = {"bsonType": ["int", "long"]}


def text(lo: int, hi: int) -> dict:
    return {"bsonType": "string", "minLength": lo, "maxLength": hi}


SCHEMAS: dict[str, dict] = {
    "users": {
        "required": ["username", "name"],
        "properties": {
            "username": {"bsonType": "string", "pattern": "^[a-z0-9_]{3,30}$"},
            "name": text(1, 100),
        },
    },
    "recipes": {
        "required": ["slug", "title", "author_id", "ingredients", "tags", "likes", "version", "created_at"],
        "properties": {
            "slug": {"bsonType": "string", "pattern": "^[a-z0-9-]{3,60}$"},
            "title": text(1, 200),
            "author_id": {"bsonType": "objectId"},
            "ingredients": {
                "bsonType": "array",
                "minItems": 1,
                "maxItems": 50,
                "items": {
                    "bsonType": "object",
                    "required": ["name", "grams"],
                    "properties": {"name": text(1, 100), "grams": {**INT, "minimum": 1}},
                },
            },
            "tags": {"bsonType": "array", "items": {"bsonType": "string"}},
            "likes": {**INT, "minimum": 0},
            "version": {**INT, "minimum": 1},
            "created_at": {"bsonType": "date"},
        },
    },
    "ratings": {
        "required": ["recipe_id", "user_id", "stars"],
        "properties": {
            "recipe_id": {"bsonType": "objectId"},
            "user_id": {"bsonType": "objectId"},
            "stars": {**INT, "minimum": 1, "maximum": 5},
        },
    },
    "drafts": {
        "required": ["title", "expires_at"],
        "properties": {"title": text(1, 200), "expires_at": {"bsonType": "date"}},
    },
}


async def prepare() -> None:
    for name, schema in SCHEMAS.items():
        options = {
            "validator": {"$jsonSchema": {"bsonType": "object", **schema}},
            "validationAction": "error",
        }
        try:
            await db.command({"create": name, **options})
        except OperationFailure as exc:
            if exc.code != 48:  # NamespaceExists: bring its validator up to date instead
                raise
            await db.command({"collMod": name, **options})
    await db.users.create_index("username", unique=True)
    await db.recipes.create_index("slug", unique=True)
    await db.recipes.create_index([("author_id", 1), ("created_at", 1)])
    await db.drafts.create_index("expires_at", expireAfterSeconds=0)
    await db.ratings.create_index([("user_id", 1), ("recipe_id", 1)], unique=True)


class Invalid(Exception):
    """A request the contract refuses with 422; `what` is our own sentence, never a library's text."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def need(condition: bool, what: str) -> None:
    if not condition:
        raise Invalid(what)


def string(body: dict, key: str, lo: int, hi: int, pattern: re.Pattern[str] | None = None) -> str:
    value = body.get(key)
    need(type(value) is str and lo <= len(value) <= hi, f"{key} must be a string of {lo}-{hi} characters")
    need(pattern is None or pattern.fullmatch(value) is not None, f"{key} has the wrong form")
    return value


def ingredients(value: Any) -> list[dict]:
    need(type(value) is list and 1 <= len(value) <= 50, "ingredients must be a list of 1-50 items")
    out = []
    for item in value:
        need(type(item) is dict, "an ingredient is an object")
        grams = item.get("grams")
        need(type(grams) is int and grams >= 1, "grams must be an integer >= 1")
        out.append({"name": string(item, "name", 1, 100), "grams": grams})
    return out


async def json_object(request: Request) -> dict:
    try:
        body = await request.json()
    except ValueError:
        raise Invalid("the body is not JSON") from None
    need(type(body) is dict, "the body must be an object")
    return body


def error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def stamp() -> datetime:
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)


def show_user(user: dict) -> dict:
    return {"id": str(user["_id"]), "username": user["username"], "name": user["name"]}


def show_recipe(recipe: dict) -> dict:
    author = recipe.get("author")
    return {
        "id": str(recipe["_id"]),
        "slug": recipe["slug"],
        "title": recipe["title"],
        "author": show_user(author) if author else None,
        "ingredients": [{"name": i["name"], "grams": i["grams"]} for i in recipe["ingredients"]],
        "tags": list(recipe["tags"]),
        "likes": recipe["likes"],
        "version": recipe["version"],
        "created_at": recipe["created_at"].isoformat(),
    }


async def with_authors(match: dict, sort: dict | None = None, limit: int = 0) -> list[dict]:
    pipeline: list[dict] = [{"$match": match}]
    if sort:
        pipeline.append({"$sort": sort})
    if limit:
        pipeline.append({"$limit": limit})
    pipeline += [
        {"$lookup": {"from": "users", "localField": "author_id", "foreignField": "_id", "as": "author"}},
        {"$unwind": {"path": "$author", "preserveNullAndEmptyArrays": True}},
    ]
    return [show_recipe(r) async for r in db.recipes.aggregate(pipeline)]


async def one_recipe(slug: str) -> dict | None:
    found = await with_authors({"slug": slug})
    return found[0] if found else None


def valid_slug(request: Request) -> str | None:
    slug = request.path_params["slug"]
    return slug if SLUG.fullmatch(slug) else None


async def health(_: Request) -> JSONResponse:
    await client.admin.command("ping")
    return JSONResponse({"status": "ok"})


async def users(request: Request) -> JSONResponse:
    if request.method == "GET":
        username = request.query_params.get("username")
        if username is None or not USERNAME.fullmatch(username):
            return error(422, "username is required")
        return JSONResponse([show_user(u) async for u in db.users.find({"username": username})])
    body = await json_object(request)
    user = {"username": string(body, "username", 3, 30, USERNAME), "name": string(body, "name", 1, 100)}
    try:
        await db.users.insert_one(user)
    except DuplicateKeyError:
        return error(409, "username taken")
    return JSONResponse(show_user(user), status_code=201)


async def user_recipes(request: Request) -> JSONResponse:
    user = await db.users.find_one({"username": request.path_params["username"]})
    if user is None:
        return error(404, "no such user")
    found = await with_authors({"author_id": user["_id"]}, {"created_at": -1, "_id": -1}, 20)
    return JSONResponse(found)


async def create_recipe(request: Request) -> JSONResponse:
    body = await json_object(request)
    recipe = {
        "slug": string(body, "slug", 3, 60, SLUG),
        "title": string(body, "title", 1, 200),
        "ingredients": ingredients(body.get("ingredients")),
    }
    author = string(body, "author", 3, 30, USERNAME)
    tags = body.get("tags", [])
    need(type(tags) is list and len(tags) <= 20, "tags must be a list")
    need(all(type(t) is str and TAG.fullmatch(t) for t in tags), "a tag has the wrong form")
    user = await db.users.find_one({"username": author})
    if user is None:
        return error(422, "no such author")
    tags_seen: list[str] = []
    for t in tags:
        if t not in tags_seen:
            tags_seen.append(t)
    recipe.update(author_id=user["_id"], tags=tags_seen, likes=0, version=1, created_at=stamp())
    try:
        await db.recipes.insert_one(recipe)
    except DuplicateKeyError:
        return error(409, "slug taken")
    return JSONResponse(show_recipe({**recipe, "author": user}), status_code=201)


async def recipe(request: Request) -> JSONResponse:
    slug = valid_slug(request)
    if request.method == "GET":
        found = await one_recipe(slug) if slug else None
        return JSONResponse(found) if found else error(404, "no such recipe")
    body = await json_object(request)
    version = body.get("version")
    need(type(version) is int, "version must be an integer")
    changes: dict[str, Any] = {}
    if body.get("title") is not None:
        changes["title"] = string(body, "title", 1, 200)
    if body.get("ingredients") is not None:
        changes["ingredients"] = ingredients(body["ingredients"])
    if slug is None:
        return error(404, "no such recipe")
    update: dict[str, Any] = {"$inc": {"version": 1}}
    if changes:
        update["$set"] = changes
    done = await db.recipes.update_one({"slug": slug, "version": version}, update)
    if done.matched_count == 0:
        exists = await db.recipes.find_one({"slug": slug}, {"_id": 1})
        return error(409, "changed since you read it") if exists else error(404, "no such recipe")
    found = await with_authors({"slug": slug})
    return JSONResponse(found[0])


async def likes(request: Request) -> JSONResponse:
    slug = valid_slug(request)
    after = await db.recipes.find_one_and_update(
        {"slug": slug}, {"$inc": {"likes": 1}}, projection={"likes": 1}, return_document=ReturnDocument.AFTER
    )
    return JSONResponse({"likes": after["likes"]}) if after else error(404, "no such recipe")


async def tags(request: Request) -> JSONResponse:
    slug, name = valid_slug(request), request.path_params["tag"]
    if not TAG.fullmatch(name):
        return error(422, "a tag has the wrong form")
    change = {"$addToSet": {"tags": name}} if request.method == "PUT" else {"$pull": {"tags": name}}
    after = await db.recipes.find_one_and_update(
        {"slug": slug}, change, projection={"tags": 1}, return_document=ReturnDocument.AFTER
    )
    return JSONResponse({"tags": after["tags"]}) if after else error(404, "no such recipe")


async def tag_counts(request: Request) -> JSONResponse:
    user = await db.users.find_one({"username": request.path_params["username"]})
    if user is None:
        return error(404, "no such user")
    pipeline = [
        {"$match": {"author_id": user["_id"], "tags.0": {"$exists": True}}},
        {"$unwind": "$tags"},
        {"$group": {"_id": "$tags", "n": {"$sum": 1}, "total": {"$sum": "$likes"}}},
        {"$sort": {"n": -1, "total": -1, "_id": 1}},
    ]
    rows = [r async for r in db.recipes.aggregate(pipeline)]
    return JSONResponse([{"tag": r["_id"], "recipes": r["n"], "likes": r["total"]} for r in rows])


async def user_stats(request: Request) -> JSONResponse:
    user = await db.users.find_one({"username": request.path_params["username"]})
    if user is None:
        return error(404, "no such user")
    facets = {
        # the default bucket is named by its lower bound: 1000 and more
        "likes": [{"$bucket": {"groupBy": "$likes", "boundaries": [0, 10, 100, 1000], "default": 1000}}],
        "tags": [
            {"$unwind": "$tags"},
            {"$sortByCount": "$tags"},
            {"$sort": {"count": -1, "_id": 1}},  # $sortByCount leaves ties in any order
            {"$limit": 3},
        ],
    }
    pipeline = [{"$match": {"author_id": user["_id"]}}, {"$facet": facets}]
    [result] = [r async for r in db.recipes.aggregate(pipeline)]
    upper = {0: 10, 10: 100, 100: 1000, 1000: None}
    return JSONResponse(
        {
            "likes": [
                {"from": b["_id"], "to": upper[b["_id"]], "recipes": b["count"]} for b in result["likes"]
            ],
            "tags": [{"tag": t["_id"], "recipes": t["count"]} for t in result["tags"]],
        }
    )


async def rate(request: Request) -> JSONResponse:
    body = await json_object(request)
    stars = body.get("stars")
    need(type(stars) is int and 1 <= stars <= 5, "stars must be an integer from 1 to 5")
    found = await db.recipes.find_one({"slug": request.path_params["slug"]}, {"_id": 1})
    user = await db.users.find_one({"username": request.path_params["username"]}, {"_id": 1})
    if found is None or user is None:
        return error(404, "no such recipe" if found is None else "no such user")
    recipe_id, key = found["_id"], {"user_id": user["_id"], "recipe_id": found["_id"]}
    for attempt in range(1, 200):
        try:
            async with await client.start_session() as session, session.start_transaction():
                # the rating, then the summary recounted from ratings in the same snapshot; two of these
                # at once both write the recipe, and the loser's commit fails with a write conflict
                written = await db.ratings.replace_one(
                    key, {**key, "stars": stars}, upsert=True, session=session
                )
                counted = db.ratings.aggregate(
                    [
                        {"$match": {"recipe_id": recipe_id}},
                        {"$group": {"_id": None, "count": {"$sum": 1}, "total": {"$sum": "$stars"}}},
                    ],
                    session=session,
                )
                [row] = [r async for r in counted]
                summary = {"count": row["count"], "total": row["total"]}
                await db.recipes.update_one(
                    {"_id": recipe_id}, {"$set": {"rating": summary}}, session=session
                )
        except PyMongoError as exc:
            if not (
                exc.has_error_label("TransientTransactionError")
                or exc.has_error_label("UnknownTransactionCommitResult")
            ):
                raise
            await asyncio.sleep(random.uniform(0, 0.002 * attempt))  # run it again, a little apart
            continue
        status = 201 if written.upserted_id is not None else 200
        return JSONResponse({"stars": stars, "rating": summary}, status_code=status)
    return error(503, "too many conflicting ratings, try again")


async def list_recipes(request: Request) -> JSONResponse:
    params = request.query_params
    prefix, after, limit = params.get("prefix", ""), params.get("after"), params.get("limit", "20")
    need(re.fullmatch(r"[a-z0-9-]{0,60}", prefix) is not None, "prefix has the wrong form")
    need(after is None or SLUG.fullmatch(after) is not None, "after is not a slug")
    need(limit.isdigit() and 1 <= int(limit) <= 100, "limit is 1 to 100")
    condition: dict[str, Any] = {"$regex": "^" + re.escape(prefix)}  # anchored: a prefix
    if after is not None:
        condition["$gt"] = after
    rows = [r async for r in db.recipes.find({"slug": condition}).sort("slug", 1).limit(int(limit) + 1)]
    page = rows[: int(limit)]
    found = await with_authors({"_id": {"$in": [r["_id"] for r in page]}}, {"slug": 1})
    return JSONResponse({"items": found, "next": page[-1]["slug"] if len(rows) > int(limit) else None})


def show_draft(draft: dict) -> dict:
    return {"id": str(draft["_id"]), "title": draft["title"], "expires_at": draft["expires_at"].isoformat()}


async def create_draft(request: Request) -> JSONResponse:
    body = await json_object(request)
    draft = {"title": string(body, "title", 1, 200), "expires_at": stamp() + timedelta(hours=1)}
    await db.drafts.insert_one(draft)
    return JSONResponse(show_draft(draft), status_code=201)


async def draft(request: Request) -> JSONResponse:
    draft_id = request.path_params["draft_id"]
    if not ObjectId.is_valid(draft_id) or len(draft_id) != 24:
        return error(404, "no such draft")
    found = await db.drafts.find_one({"_id": ObjectId(draft_id), "expires_at": {"$gt": datetime.now(UTC)}})
    return JSONResponse(show_draft(found)) if found else error(404, "no such draft")


async def invalid(_: Request, exc: Exception) -> JSONResponse:
    return error(422, exc.what if isinstance(exc, Invalid) else "invalid request")


@asynccontextmanager
async def lifespan(_: Starlette) -> AsyncIterator[None]:
    await prepare()
    yield


app = Starlette(
    routes=[
        Route("/health", health),
        Route("/users", users, methods=["GET", "POST"]),
        Route("/users/{username}/recipes", user_recipes),
        Route("/users/{username}/tags", tag_counts),
        Route("/users/{username}/stats", user_stats),
        Route("/recipes/{slug}/ratings/{username}", rate, methods=["PUT"]),
        Route("/recipes", create_recipe, methods=["POST"]),
        Route("/recipes", list_recipes, methods=["GET"]),
        Route("/recipes/{slug}", recipe, methods=["GET", "PATCH"]),
        Route("/recipes/{slug}/likes", likes, methods=["POST"]),
        Route("/recipes/{slug}/tags/{tag}", tags, methods=["PUT", "DELETE"]),
        Route("/drafts", create_draft, methods=["POST"]),
        Route("/drafts/{draft_id}", draft),
    ],
    exception_handlers={Invalid: invalid},
    lifespan=lifespan,
)
