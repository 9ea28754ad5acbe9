"""Lab 10 starter: a recipe site on MongoDB. Read the README's contract, then fill in the TODOs.

`MONGODB_URL` names the database in its path: `get_default_database()` is yours.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException
from pymongo import MongoClient

client: MongoClient = MongoClient(os.environ["MONGODB_URL"], serverSelectionTimeoutMS=5000, tz_aware=True)
db = client.get_default_database()


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    # TODO: create users, recipes, drafts and ratings with their $jsonSchema validators (create_collection, or
    # collMod when the collection exists already), then their indexes: unique, compound, TTL.
    yield


app = FastAPI(title="Lab 10: recipes on MongoDB", lifespan=lifespan)


@app.get("/health")
def health() -> dict[str, str]:
    client.admin.command("ping")
    return {"status": "ok"}


@app.post("/users", status_code=201)
def create_user() -> dict:
    # TODO: validate the body (a Pydantic model), insert into users, 409 on a duplicate username.
    raise HTTPException(status_code=501, detail="Not implemented yet.")


@app.post("/recipes", status_code=201)
def create_recipe() -> dict:
    # TODO: ingredients embedded, the author referenced by author_id (the user's _id).
    raise HTTPException(status_code=501, detail="Not implemented yet.")


@app.get("/recipes/{slug}")
def get_recipe(slug: str) -> dict:
    # TODO: the recipe with its author read from users.
    raise HTTPException(status_code=404, detail="No such recipe.")


# TODO: GET /users, GET /users/{username}/recipes, PATCH /recipes/{slug} (a version filter),
# POST /recipes/{slug}/likes ($inc), PUT and DELETE /recipes/{slug}/tags/{tag} ($addToSet, $pull),
# POST /drafts and GET /drafts/{id}, GET /users/{username}/tags and GET /users/{username}/stats (one
# pipeline each: $facet, $bucket), PUT /recipes/{slug}/ratings/{username} (the rating and the recipe's
# summary in one transaction: session.with_transaction).
