"""The collections' validators and indexes, created (or brought up to date) when the app starts.

The validators are the database's own guard: whoever writes (this app, a script, a shell), a
document of the wrong shape is refused with error 121 DocumentValidationFailure.
"""

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.database import Database

INTEGER = ["int", "long"]

USERS = {
    "bsonType": "object",
    "required": ["username", "name"],
    "properties": {
        "username": {"bsonType": "string", "pattern": "^[a-z0-9_]{3,30}$"},
        "name": {"bsonType": "string", "minLength": 1, "maxLength": 100},
    },
}

INGREDIENT = {
    "bsonType": "object",
    "required": ["name", "grams"],
    "properties": {
        "name": {"bsonType": "string", "minLength": 1, "maxLength": 100},
        "grams": {"bsonType": INTEGER, "minimum": 1},
    },
}

RECIPES = {
    "bsonType": "object",
    "required": ["slug", "title", "author_id", "ingredients", "tags", "likes", "version", "created_at"],
    "properties": {
        "slug": {"bsonType": "string", "pattern": "^[a-z0-9-]{3,60}$"},
        "title": {"bsonType": "string", "minLength": 1, "maxLength": 200},
        "author_id": {"bsonType": "objectId"},
        "ingredients": {"bsonType": "array", "minItems": 1, "maxItems": 50, "items": INGREDIENT},
        "tags": {"bsonType": "array", "items": {"bsonType": "string"}},
        "likes": {"bsonType": INTEGER, "minimum": 0},
        "version": {"bsonType": INTEGER, "minimum": 1},
        "created_at": {"bsonType": "date"},
    },
}

DRAFTS = {
    "bsonType": "object",
    "required": ["title", "expires_at"],
    "properties": {
        "title": {"bsonType": "string", "minLength": 1, "maxLength": 200},
        "expires_at": {"bsonType": "date"},
    },
}

RATINGS = {
    "bsonType": "object",
    "required": ["recipe_id", "user_id", "stars"],
    "properties": {
        "recipe_id": {"bsonType": "objectId"},
        "user_id": {"bsonType": "objectId"},
        "stars": {"bsonType": INTEGER, "minimum": 1, "maximum": 5},
    },
}

VALIDATORS = {"users": USERS, "recipes": RECIPES, "drafts": DRAFTS, "ratings": RATINGS}

INDEXES = {
    "users": [IndexModel([("username", ASCENDING)], unique=True, name="username_unique")],
    "recipes": [
        IndexModel([("slug", ASCENDING)], unique=True, name="slug_unique"),
        # Equality first, then the sort: "a user's recipes, newest first" walks one range of it.
        IndexModel(
            [("author_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)], name="author_newest"
        ),
    ],
    # One rating per user and recipe: a re-rating replaces it, two at once cannot both insert one.
    "ratings": [
        IndexModel([("recipe_id", ASCENDING), ("user_id", ASCENDING)], unique=True, name="rating_unique")
    ],
    # The server removes a draft once expires_at has passed (its TTL monitor runs about once a minute).
    "drafts": [IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0, name="drafts_ttl")],
}


def prepare(db: Database) -> None:
    """Create every collection with its validator (or update the validator), then its indexes."""
    existing = set(db.list_collection_names())
    for name, schema in VALIDATORS.items():
        validator = {"$jsonSchema": schema}
        if name in existing:
            db.command("collMod", name, validator=validator, validationLevel="strict")
        else:
            db.create_collection(name, validator=validator, validationLevel="strict")
    for name, indexes in INDEXES.items():
        db[name].create_indexes(indexes)
