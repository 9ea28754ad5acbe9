# ruff: noqa: E501 - the blind mutants quote their writers verbatim, some lines longer than the limit
"""Known-bad variants of solutions/lab10-nosql: the document-database mistakes the suite must catch.

Each one is a realistic learner's bug; `catches` names the checks that must each fail on it alone.
"""

from tests.mutants import blind, mutant, replace

MAIN = "app/main.py"
SCHEMA = "app/schema.py"

LIKE = """    recipe = db.recipes.find_one_and_update(
        {"slug": slug}, {"$inc": {"likes": 1}}, return_document=ReturnDocument.AFTER
    )
    if recipe is None:
        raise not_found("recipe")
    return {"likes": recipe["likes"]}"""

ADD_TAG = """    recipe = db.recipes.find_one_and_update(
        {"slug": slug}, {"$addToSet": {"tags": tag}}, return_document=ReturnDocument.AFTER
    )"""

REMOVE_TAG = """    recipe = db.recipes.find_one_and_update(
        {"slug": slug}, {"$pull": {"tags": tag}}, return_document=ReturnDocument.AFTER
    )"""

EDIT = """    recipe = db.recipes.find_one_and_update(
        {"slug": slug, "version": body.version},  # only the version the client read
        {"$set": changes, "$inc": {"version": 1}} if changes else {"$inc": {"version": 1}},
        return_document=ReturnDocument.AFTER,
    )
    if recipe is None:
        if db.recipes.count_documents({"slug": slug}, limit=1) == 0:
            raise not_found("recipe")
        raise HTTPException(status_code=409, detail="The recipe changed since you read it.")"""

FIND_USERS = """@app.get("/users")
def find_users(username: Username) -> list[dict[str, Any]]:
    return [user_out(user) for user in db.users.find({"username": username})]"""

USERNAME_INDEX = 'IndexModel([("username", ASCENDING)], unique=True, name="username_unique")'

TRANSACTION = """    with client.start_session() as session:
        first, summary = session.with_transaction(rate_and_summarise)"""

RATE_STEPS = """        before = db.ratings.find_one_and_replace(
            key, {**key, "stars": body.stars}, upsert=True, session=session
        )
        first = before is None"""

BUCKET = """                    {
                        "$bucket": {
                            "groupBy": "$likes",
                            "boundaries": LIKES_BOUNDARIES,  # each bucket includes its lower bound only
                            "default": "more",  # likes of 1000 and more
                            "output": {"recipes": {"$sum": 1}},
                        }
                    }"""

MUTANTS = [
    # -- the API ------------------------------------------------------------------------------------------
    mutant(
        "user-created-200",
        "POST /users answers 200 instead of 201 Created",
        replace(MAIN, '@app.post("/users", status_code=201)', '@app.post("/users")'),
        catches=["api::users"],
    ),
    mutant(
        "duplicate-username-500",
        "the DuplicateKeyError of a taken username is not caught: a 500 instead of a 409",
        replace(
            MAIN,
            """    try:
        db.users.insert_one(user)
    except DuplicateKeyError:
        raise HTTPException(status_code=409, detail="This username is taken.") from None
""",
            "    db.users.insert_one(user)\n",
        ),
        catches=["api::users", "indexes::unique_indexes"],
    ),
    mutant(
        "unknown-author-404",
        "an author nobody has answers 404, as if the recipe were missing",
        replace(
            MAIN,
            'raise HTTPException(status_code=422, detail="No such author.")',
            'raise HTTPException(status_code=404, detail="No such author.")',
        ),
        catches=["api::recipes"],
    ),
    mutant(
        "taken-slug-overwrites",
        "POST /recipes upserts by slug: a taken slug replaces the first recipe instead of a 409",
        replace(
            MAIN,
            "        db.recipes.insert_one(recipe)\n",
            '        recipe["_id"] = db.recipes.find_one_and_replace(\n'
            '            {"slug": body.slug}, recipe, upsert=True, return_document=ReturnDocument.AFTER\n'
            '        )["_id"]\n',
        ),
        catches=["api::recipes"],
    ),
    mutant(
        "grams-coerced",
        'grams is a lax int: "100" is accepted and turned into 100',
        replace(MAIN, "grams: Annotated[StrictInt, Field(ge=1)]", "grams: Annotated[int, Field(ge=1)]"),
        catches=["api::limits"],
    ),
    mutant(
        "title-limit-199",
        "the title's limit is off by one: 200 characters are refused",
        replace(
            MAIN,
            "Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]",
            "Title = Annotated[str, StringConstraints(min_length=1, max_length=199)]",
        ),
        catches=["api::limits"],
    ),
    mutant(
        "newest-ties-oldest-first",
        "of two recipes with the same created_at, the smaller _id comes first",
        replace(
            MAIN,
            '.sort([("created_at", DESCENDING), ("_id", DESCENDING)])',
            '.sort([("created_at", DESCENDING), ("_id", ASCENDING)])',
        ),
        catches=["api::recipes_of_user"],
    ),
    mutant(
        "newest-limit-10",
        "a user's recipes stop at 10",
        replace(MAIN, "        .limit(20)\n", "        .limit(10)\n"),
        catches=["api::recipes_of_user"],
    ),
    mutant(
        "drafts-last-30-minutes",
        "a draft expires after 30 minutes instead of an hour",
        replace(MAIN, "DRAFT_LIFETIME = timedelta(hours=1)", "DRAFT_LIFETIME = timedelta(minutes=30)"),
        catches=["api::drafts"],
    ),
    mutant(
        "draft-bad-id-500",
        "GET /drafts/{id} with something that is not an ObjectId raises InvalidId: a 500",
        replace(
            MAIN,
            """    try:
        oid = ObjectId(draft_id)
    except InvalidId:
        raise not_found("draft") from None
""",
            "    oid = ObjectId(draft_id)\n",
        ),
        replace(MAIN, "from bson.errors import InvalidId\n", ""),
        catches=["api::drafts"],
    ),
    # -- documents ----------------------------------------------------------------------------------------
    mutant(
        "user-full-name",
        "users store the name as full_name, not the contract's name",
        replace(
            MAIN,
            "    user = body.model_dump()\n",
            '    user = {"username": body.username, "full_name": body.name}\n',
        ),
        replace(MAIN, '"name": user["name"]}', '"name": user["full_name"]}'),
        replace(SCHEMA, '"required": ["username", "name"],', '"required": ["username", "full_name"],'),
        replace(
            SCHEMA,
            '"name": {"bsonType": "string", "minLength": 1, "maxLength": 100},\n    },\n}\n\nINGREDIENT',
            '"full_name": {"bsonType": "string", "minLength": 1, "maxLength": 100},\n    },\n}\n\nINGREDIENT',
        ),
        catches=["documents::user_document"],
    ),
    mutant(
        "author-by-username",
        "recipes reference their author by username (a string), not by the user's ObjectId _id",
        replace(MAIN, '        "author_id": author["_id"],\n', '        "author_id": author["username"],\n'),
        replace(
            MAIN,
            'db.users.find_one({"_id": recipe["author_id"]})',
            'db.users.find_one({"username": recipe["author_id"]})',
        ),
        replace(
            MAIN,
            'db.recipes.find({"author_id": author["_id"]})',
            'db.recipes.find({"author_id": author["username"]})',
        ),
        replace(SCHEMA, '"author_id": {"bsonType": "objectId"},', '"author_id": {"bsonType": "string"},'),
        catches=["documents::recipe_document"],
    ),
    mutant(
        "author-copied-into-recipe",
        "the author is embedded as a copy in each recipe and shown from there: a rename never reaches it",
        replace(
            MAIN,
            '        "author_id": author["_id"],\n',
            '        "author_id": author["_id"],\n        "author": user_out(author),\n',
        ),
        replace(
            MAIN,
            '    return recipe_out(recipe, db.users.find_one({"_id": recipe["author_id"]}))',
            '    author = recipe.get("author")\n'
            "    if author is None:\n"
            '        return recipe_out(recipe, db.users.find_one({"_id": recipe["author_id"]}))\n'
            '    return {**recipe_out(recipe, None), "author": author}',
        ),
        replace(
            MAIN,
            "    return [recipe_out(recipe, author) for recipe in newest]",
            "    return [with_author(recipe) for recipe in newest]",
        ),
        catches=["documents::author_is_referenced"],
    ),
    mutant(
        "tags-kept-twice",
        "tags are stored as sent, duplicates included",
        replace(MAIN, '"tags": list(dict.fromkeys(body.tags)),', '"tags": body.tags,'),
        catches=["documents::recipe_document"],
    ),
    mutant(
        "tags-sorted-when-shown",
        "a recipe's tags are answered sorted, not as stored",
        replace(
            MAIN,
            '        "tags": recipe["tags"],\n        "likes"',
            '        "tags": sorted(recipe["tags"]),\n        "likes"',
        ),
        catches=["documents::stored_recipe_is_served"],
    ),
    # -- validators ---------------------------------------------------------------------------------------
    mutant(
        "no-drafts-validator",
        "drafts are created without a validator (only users and recipes get one)",
        replace(
            SCHEMA,
            'VALIDATORS = {"users": USERS, "recipes": RECIPES, "drafts": DRAFTS, "ratings": RATINGS}',
            'VALIDATORS = {"users": USERS, "recipes": RECIPES, "ratings": RATINGS}',
        ),
        catches=["validators::validators_present", "validators::users_and_drafts_validators"],
    ),
    mutant(
        "validation-warn",
        "validationAction warn: bad documents are logged and stored anyway",
        replace(
            SCHEMA,
            'db.create_collection(name, validator=validator, validationLevel="strict")',
            'db.create_collection(name, validator=validator, validationAction="warn")',
        ),
        catches=["validators::validators_present", "validators::recipes_validator"],
    ),
    mutant(
        "created-at-not-required",
        "created_at is described but not required: a recipe without it is stored",
        replace(
            SCHEMA,
            '"likes", "version", "created_at"],',
            '"likes", "version"],',
        ),
        catches=["validators::recipes_validator"],
    ),
    mutant(
        "ingredients-unchecked",
        "ingredients is only required to be an array: its items are not checked",
        replace(
            SCHEMA,
            '"ingredients": {"bsonType": "array", "minItems": 1, "maxItems": 50, "items": INGREDIENT},',
            '"ingredients": {"bsonType": "array", "minItems": 1, "maxItems": 50},',
        ),
        catches=["validators::recipes_validator"],
    ),
    mutant(
        "grams-any-number",
        "grams is a 'number' in the validator: 1.5 passes",
        replace(
            SCHEMA,
            '"grams": {"bsonType": INTEGER, "minimum": 1},',
            '"grams": {"bsonType": "number", "minimum": 1},',
        ),
        catches=["validators::recipes_validator"],
    ),
    mutant(
        "username-unpatterned",
        "the users validator only asks for a string username",
        replace(
            SCHEMA,
            '"username": {"bsonType": "string", "pattern": "^[a-z0-9_]{3,30}$"},',
            '"username": {"bsonType": "string"},',
        ),
        catches=["validators::users_and_drafts_validators"],
    ),
    mutant(
        "integers-int-only",
        "integers must be BSON int: a long (Int64) is refused",
        replace(SCHEMA, 'INTEGER = ["int", "long"]', 'INTEGER = "int"'),
        catches=["validators::validators_accept_edges"],
    ),
    mutant(
        "recipes-closed",
        "the recipes validator forbids fields it does not name (additionalProperties: false)",
        replace(
            SCHEMA,
            '    "properties": {\n        "slug"',
            '    "additionalProperties": False,\n'
            '    "properties": {\n        "_id": {"bsonType": "objectId"},\n        "slug"',
        ),
        catches=["validators::validators_accept_edges"],
    ),
    mutant(
        "create-collection-every-start",
        "start-up creates the collections unconditionally: the second start fails with CollectionInvalid",
        replace(
            SCHEMA,
            """        if name in existing:
            db.command("collMod", name, validator=validator, validationLevel="strict")
        else:
            db.create_collection(name, validator=validator, validationLevel="strict")""",
            """        db.create_collection(name, validator=validator, validationLevel="strict")""",
        ),
        replace(SCHEMA, "    existing = set(db.list_collection_names())\n", ""),
        catches=["validators::second_instance_starts"],
    ),
    # -- atomic updates -----------------------------------------------------------------------------------
    mutant(
        "likes-read-modify-write",
        "a like reads likes, adds 1 in Python and $sets it back: concurrent likes are lost",
        replace(
            MAIN,
            LIKE,
            """    recipe = db.recipes.find_one({"slug": slug})
    if recipe is None:
        raise not_found("recipe")
    likes = recipe["likes"] + 1
    db.recipes.update_one({"_id": recipe["_id"]}, {"$set": {"likes": likes}})
    return {"likes": likes}""",
        ),
        catches=["atomic::likes_burst"],
    ),
    mutant(
        "likes-answer-before",
        "a like answers the count before it (return_document BEFORE)",
        replace(
            MAIN,
            '{"slug": slug}, {"$inc": {"likes": 1}}, return_document=ReturnDocument.AFTER',
            '{"slug": slug}, {"$inc": {"likes": 1}}',
        ),
        catches=["atomic::likes_burst"],
    ),
    mutant(
        "tags-list-rewritten",
        "tags are read, changed in Python and $set back: concurrent changes overwrite each other",
        replace(
            MAIN,
            ADD_TAG,
            """    found = db.recipes.find_one({"slug": slug})
    recipe = None
    if found is not None:
        tags = found["tags"] if tag in found["tags"] else [*found["tags"], tag]
        recipe = db.recipes.find_one_and_update(
            {"_id": found["_id"]}, {"$set": {"tags": tags}}, return_document=ReturnDocument.AFTER
        )""",
        ),
        replace(
            MAIN,
            REMOVE_TAG,
            """    found = db.recipes.find_one({"slug": slug})
    recipe = None
    if found is not None:
        tags = [t for t in found["tags"] if t != tag]
        recipe = db.recipes.find_one_and_update(
            {"_id": found["_id"]}, {"$set": {"tags": tags}}, return_document=ReturnDocument.AFTER
        )""",
        ),
        catches=["atomic::tags_burst"],
    ),
    mutant(
        "tags-pushed",
        "$push instead of $addToSet: a tag added twice is stored twice",
        replace(MAIN, '{"$addToSet": {"tags": tag}}', '{"$push": {"tags": tag}}'),
        catches=["atomic::tags"],
    ),
    mutant(
        "remove-absent-tag-404",
        "DELETE of a tag the recipe does not have answers 404",
        replace(
            MAIN,
            '{"slug": slug}, {"$pull": {"tags": tag}}',
            '{"slug": slug, "tags": tag}, {"$pull": {"tags": tag}}',
        ),
        catches=["atomic::tags"],
    ),
    mutant(
        "version-checked-in-python",
        "PATCH compares the version in Python, then updates by slug: overlapping edits all win",
        replace(
            MAIN,
            EDIT,
            """    current = db.recipes.find_one({"slug": slug})
    if current is None:
        raise not_found("recipe")
    if current["version"] != body.version:
        raise HTTPException(status_code=409, detail="The recipe changed since you read it.")
    recipe = db.recipes.find_one_and_update(
        {"slug": slug},
        {"$set": {**changes, "version": body.version + 1}},
        return_document=ReturnDocument.AFTER,
    )""",
        ),
        catches=["atomic::edit_burst"],
    ),
    mutant(
        "version-not-incremented",
        "PATCH checks the version but never adds 1 to it",
        replace(
            MAIN,
            '{"$set": changes, "$inc": {"version": 1}} if changes else {"$inc": {"version": 1}},',
            '{"$set": changes} if changes else {"$set": {}},',
        ),
        catches=["atomic::edit_with_version", "atomic::edit_burst"],
    ),
    mutant(
        "edit-unknown-409",
        "PATCH of a slug nobody has answers 409, not 404",
        replace(
            MAIN,
            """        if db.recipes.count_documents({"slug": slug}, limit=1) == 0:
            raise not_found("recipe")
""",
            "",
        ),
        catches=["atomic::edit_with_version"],
    ),
    # -- indexes ------------------------------------------------------------------------------------------
    mutant(
        "slug-index-not-unique",
        "the slug index is not unique: nothing stops a second recipe with the same slug",
        replace(
            SCHEMA,
            'IndexModel([("slug", ASCENDING)], unique=True, name="slug_unique")',
            'IndexModel([("slug", ASCENDING)], name="slug")',
        ),
        catches=["indexes::unique_indexes"],
    ),
    mutant(
        "username-checked-first",
        "no index on username: 'is it taken?' is asked before the insert, which a burst races through",
        replace(SCHEMA, f'    "users": [{USERNAME_INDEX}],\n', ""),
        replace(
            MAIN,
            "    try:\n        db.users.insert_one(user)\n",
            '    try:\n        if db.users.find_one({"username": user["username"]}):\n'
            '            raise DuplicateKeyError("taken")\n        db.users.insert_one(user)\n',
        ),
        catches=["indexes::unique_indexes", "indexes::lookups_use_indexes"],
    ),
    mutant(
        "slug-without-index",
        "no index on slug: uniqueness is checked in code and every lookup or page reads the collection",
        replace(SCHEMA, '        IndexModel([("slug", ASCENDING)], unique=True, name="slug_unique"),\n', ""),
        catches=["indexes::unique_indexes", "indexes::lookups_use_indexes", "indexes::slug_range_uses_index"],
    ),
    mutant(
        "compound-index-reversed",
        "the compound index puts the sort field first: (created_at, author_id)",
        replace(
            SCHEMA,
            '[("author_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)]',
            '[("created_at", DESCENDING), ("author_id", ASCENDING), ("_id", DESCENDING)]',
        ),
        catches=["indexes::author_newest_uses_compound_index"],
    ),
    mutant(
        "ttl-an-hour-late",
        "the TTL index waits an hour past expires_at (expireAfterSeconds 3600)",
        replace(SCHEMA, "expireAfterSeconds=0", "expireAfterSeconds=3600"),
        catches=["indexes::ttl_index"],
    ),
    mutant(
        "expired-draft-shown",
        "GET /drafts/{id} trusts the TTL monitor: an expired draft is shown until the server deletes it",
        replace(
            MAIN,
            'db.drafts.find_one({"_id": oid, "expires_at": {"$gt": datetime.now(UTC)}})',
            'db.drafts.find_one({"_id": oid})',
        ),
        catches=["indexes::expired_draft_is_gone"],
    ),
    # -- aggregation --------------------------------------------------------------------------------------
    mutant(
        "tag-counts-of-everyone",
        "the pipeline forgets to $match the user's recipes: every user's recipes are counted",
        replace(
            MAIN,
            '        {"$match": {"author_id": author["_id"]}},\n        {"$unwind"',
            '        {"$unwind"',
        ),
        catches=["aggregation::tag_counts"],
    ),
    mutant(
        "tag-counts-without-unwind",
        "$group by the tags array without $unwind: a recipe's whole list of tags is one group",
        replace(MAIN, '        {"$unwind": "$tags"},  # one document per (recipe, tag)\n', ""),
        catches=["aggregation::tag_counts"],
    ),
    mutant(
        "tag-order-without-likes",
        "ties on recipes are broken by name only: likes are not part of the sort",
        replace(
            MAIN, '{"$sort": {"recipes": -1, "likes": -1, "_id": 1}}', '{"$sort": {"recipes": -1, "_id": 1}}'
        ),
        catches=["aggregation::tag_order"],
    ),
    # -- pagination ---------------------------------------------------------------------------------------
    mutant(
        "after-must-exist",
        "the page after a slug looks that recipe up first: once it is deleted, the walk starts over",
        replace(
            MAIN,
            """    if after is not None:
        bounds["$gt"] = after
""",
            """    if after is not None and db.recipes.find_one({"slug": after}) is not None:
        bounds["$gt"] = after
""",
        ),
        catches=["pagination::stable_pages"],
    ),
    mutant(
        "next-on-every-full-page",
        "next is set whenever a page is full, so a full last page is followed by an empty one",
        replace(
            MAIN,
            '"next": page[-1]["slug"] if len(found) > limit else None',
            '"next": page[-1]["slug"] if len(page) == limit else None',
        ),
        catches=["pagination::walk"],
    ),
    mutant(
        "prefix-without-upper-bound",
        "the prefix is only a lower bound ($gte): slugs after the prefix's range come too",
        replace(
            MAIN,
            """    if prefix:  # slugs are [a-z0-9-]: the prefix with its last character + 1 bounds them
        bounds["$lt"] = prefix[:-1] + chr(ord(prefix[-1]) + 1)
""",
            "",
        ),
        catches=["pagination::walk"],
    ),
    mutant(
        "prefix-as-regex",
        "any prefix is accepted and becomes an unescaped $regex: '.' and '^' are operators",
        replace(
            MAIN,
            'Prefix = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{0,60}$")]',
            "Prefix = Annotated[str, StringConstraints(max_length=60)]",
        ),
        replace(
            MAIN,
            """    bounds: dict[str, str] = {"$gte": prefix}
    if prefix:  # slugs are [a-z0-9-]: the prefix with its last character + 1 bounds them
        bounds["$lt"] = prefix[:-1] + chr(ord(prefix[-1]) + 1)
""",
            """    bounds: dict[str, str] = {"$regex": "^" + prefix}
""",
        ),
        catches=["pagination::bad_parameters"],
    ),
    mutant(
        "limit-unbounded",
        "limit has no upper bound: limit=101 (or a million) is accepted",
        replace(MAIN, "Limit = Annotated[int, Query(ge=1, le=100)]", "Limit = Annotated[int, Query(ge=1)]"),
        catches=["pagination::bad_parameters"],
    ),
    # -- injection ----------------------------------------------------------------------------------------
    mutant(
        "author-any-json",
        "author accepts any JSON value and goes straight into find_one: {'$ne': null} finds a user",
        replace(
            MAIN,
            "    author: Username  # a plain string",
            "    author: Username | dict[str, Any]  # a plain string",
        ),
        catches=["injection::json_operators"],
    ),
    mutant(
        "version-any-json",
        "version accepts any JSON value: {'$gte': 0} matches every version",
        replace(
            MAIN,
            "class RecipeEdit(BaseModel):\n    version: StrictInt",
            "class RecipeEdit(BaseModel):\n    version: StrictInt | dict[str, Any]",
        ),
        catches=["injection::json_operators"],
    ),
    mutant(
        "query-brackets-parsed",
        "GET /users turns username[$op]=v into an operator, as qs does in Express",
        replace(
            MAIN,
            FIND_USERS,
            """@app.get("/users")
def find_users(request: Request) -> list[dict[str, Any]]:
    query: dict[str, Any] = {}
    for key, value in request.query_params.items():
        field, _, operator = key.partition("[")
        query[field] = {operator.rstrip("]"): value} if operator else value
    if "username" not in query:
        raise HTTPException(status_code=422, detail="username is required.")
    return [user_out(user) for user in db.users.find(query)]""",
        ),
        replace(
            MAIN,
            "from fastapi import FastAPI, HTTPException, Path",
            "from fastapi import FastAPI, HTTPException, Path, Request",
        ),
        catches=["injection::query_operators"],
    ),
    # -- transactions ---------------------------------------------------------------------------------
    mutant(
        "rating-no-retry",
        "the transaction is started and committed by hand: a write conflict (TransientTransactionError) "
        "is never retried and answers 500",
        replace(
            MAIN,
            TRANSACTION,
            """    with client.start_session() as session, session.start_transaction():
        first, summary = rate_and_summarise(session)""",
        ),
        catches=["transactions::ratings_burst", "transactions::rerating_burst"],
    ),
    mutant(
        "rating-summary-recounted-after-commit",
        "the transaction writes the rating only; the summary is recounted by a pipeline after the commit, "
        "outside it, so an older count can overwrite a newer one",
        replace(
            MAIN,
            """        summary = db.recipes.find_one_and_update(
            {"_id": recipe["_id"]},""",
            """        return first, {}

    with client.start_session() as session:
        first, _ = session.with_transaction(rate_and_summarise)
    counted = list(
        db.ratings.aggregate(
            [
                {"$match": {"recipe_id": recipe["_id"]}},
                {"$group": {"_id": None, "count": {"$sum": 1}, "total": {"$sum": "$stars"}}},
            ]
        )
    )
    summary = {"count": counted[0]["count"], "total": counted[0]["total"]}
    db.recipes.update_one({"_id": recipe["_id"]}, {"$set": {"rating": summary}})
    response.status_code = 201 if first else 200
    return {"stars": body.stars, "rating": summary}

    def unused(session: ClientSession) -> tuple[bool, dict[str, int]]:
        before = first = None
        summary = db.recipes.find_one_and_update(
            {"_id": recipe["_id"]},""",
        ),
        catches=["transactions::ratings_burst"],
    ),
    mutant(
        "rating-read-outside-transaction",
        "no transaction: the old stars are read with find_one, then the rating replaced and the summary "
        "changed by the difference; two re-ratings at once both subtract the same old stars",
        replace(
            MAIN,
            RATE_STEPS,
            """        before = db.ratings.find_one(key)
        db.ratings.replace_one(key, {**key, "stars": body.stars}, upsert=True)
        first = before is None""",
        ),
        replace(MAIN, TRANSACTION, "    first, summary = rate_and_summarise(None)"),
        catches=["transactions::rerating_burst"],
    ),
    mutant(
        "rerating-counted-twice",
        "every rating adds 1 to the summary's count, a re-rating too",
        replace(MAIN, '"rating.count": 1 if first else 0,', '"rating.count": 1,'),
        catches=["transactions::ratings"],
    ),
    mutant(
        "rating-summary-before-refused-rating",
        "the stars' range is left to the ratings validator, and the summary is changed first, outside a "
        "transaction: a rating the validator refuses (422) still counts in the summary",
        replace(MAIN, "stars: Annotated[StrictInt, Field(ge=1, le=5)]", "stars: StrictInt"),
        replace(
            MAIN,
            RATE_STEPS,
            """        before = db.ratings.find_one(key)
        first = before is None""",
        ),
        replace(
            MAIN,
            """        if summary is None:  # the recipe is gone: the exception aborts the transaction, rating included
""",
            """        try:
            db.ratings.replace_one(key, {**key, "stars": body.stars}, upsert=True)
        except WriteError:
            raise HTTPException(status_code=422, detail="stars must be 1 to 5.") from None
        if summary is None:  # the recipe is gone: the exception aborts the transaction, rating included
""",
        ),
        replace(MAIN, TRANSACTION, "    first, summary = rate_and_summarise(None)"),
        replace(
            MAIN,
            "from pymongo.errors import DuplicateKeyError",
            "from pymongo.errors import DuplicateKeyError, WriteError",
        ),
        catches=["transactions::refused_rating"],
    ),
    # -- $facet and $bucket -----------------------------------------------------------------------------
    mutant(
        "bucket-upper-bound-included",
        "the likes buckets are made with a $switch on $lte: 10 likes land in [0, 10), 1000 in [100, 1000)",
        replace(
            MAIN,
            BUCKET,
            """                    {
                        "$group": {
                            "_id": {
                                "$switch": {
                                    "branches": [
                                        {"case": {"$lte": ["$likes", 10]}, "then": 0},
                                        {"case": {"$lte": ["$likes", 100]}, "then": 10},
                                        {"case": {"$lte": ["$likes", 1000]}, "then": 100},
                                    ],
                                    "default": "more",
                                }
                            },
                            "recipes": {"$sum": 1},
                        }
                    },
                    {"$sort": {"_id": 1}}""",
        ),
        catches=["aggregation::likes_buckets"],
    ),
    mutant(
        "stats-in-python-over-capped-find",
        "the buckets are counted in Python over the user's first 100 recipes (a capped find), not by a "
        "pipeline over all of them",
        replace(
            MAIN,
            """    result = next(db.recipes.aggregate(pipeline))
""",
            """    result = next(db.recipes.aggregate(pipeline))
    counts: dict[Any, int] = {}
    for recipe in db.recipes.find({"author_id": author["_id"]}).limit(100):
        lower = max((b for b in LIKES_BOUNDARIES if b <= recipe["likes"]), default=0)
        key = "more" if lower == LIKES_BOUNDARIES[-1] else lower
        counts[key] = counts.get(key, 0) + 1
    order = sorted(counts, key=lambda k: LIKES_BOUNDARIES[-1] if k == "more" else k)
    result["likes"] = [{"_id": k, "recipes": counts[k]} for k in order]
""",
        ),
        catches=["aggregation::likes_buckets"],
    ),
    mutant(
        "top-tags-ties-descending",
        "the top tags' tie-breaker sorts names descending",
        replace(MAIN, '{"$sort": {"recipes": -1, "_id": 1}}', '{"$sort": {"recipes": -1, "_id": -1}}'),
        catches=["aggregation::top_tags"],
    ),
    mutant(
        "top-tags-no-limit",
        "every tag of the user is listed, not the 3 most used",
        replace(MAIN, '{"$limit": TOP_TAGS},', ""),
        catches=["aggregation::top_tags"],
    ),
    blind(
        "likes-inc-then-separate-read",
        (
            "I used update_one with $inc so no like is lost, then read the recipe back to answer the "
            "new count; the two steps looked equivalent to find_one_and_update."
        ),
        replace(
            "app/main.py",
            '    recipe = db.recipes.find_one_and_update(\n        {"slug": slug}, {"$inc": {"likes": 1}}, return_document=ReturnDocument.AFTER\n    )\n    if recipe is None:\n        raise not_found("recipe")\n    return {"likes": recipe["likes"]}\n',
            '    result = db.recipes.update_one({"slug": slug}, {"$inc": {"likes": 1}})\n    if result.matched_count == 0:\n        raise not_found("recipe")\n    recipe = db.recipes.find_one({"slug": slug}, {"likes": 1})\n    return {"likes": recipe["likes"]}\n',
        ),
        catches=["atomic::likes_burst"],
        rules=["R5.1"],
    ),
    blind(
        "add-tag-read-modify-write",
        (
            "I read the recipe, appended the tag in Python only if it was missing, and wrote the tag "
            "list back with $set; it never stores a tag twice when I try it by hand."
        ),
        replace(
            "app/main.py",
            '    recipe = db.recipes.find_one_and_update(\n        {"slug": slug}, {"$addToSet": {"tags": tag}}, return_document=ReturnDocument.AFTER\n    )\n',
            '    recipe = db.recipes.find_one({"slug": slug})\n    if recipe is not None and tag not in recipe["tags"]:\n        recipe["tags"].append(tag)\n        db.recipes.update_one({"_id": recipe["_id"]}, {"$set": {"tags": recipe["tags"]}})\n',
        ),
        catches=["atomic::tags_burst"],
        rules=["R5.2"],
    ),
    blind(
        "patch-version-checked-before-update",
        (
            "I load the recipe, compare its version with the one sent (409 if different, 404 if no "
            "recipe), then update it by _id with $set and $inc on version; clearer than guessing why "
            "nothing matched."
        ),
        replace(
            "app/main.py",
            '    recipe = db.recipes.find_one_and_update(\n        {"slug": slug, "version": body.version},  # only the version the client read\n        {"$set": changes, "$inc": {"version": 1}} if changes else {"$inc": {"version": 1}},\n        return_document=ReturnDocument.AFTER,\n    )\n    if recipe is None:\n        if db.recipes.count_documents({"slug": slug}, limit=1) == 0:\n            raise not_found("recipe")\n        raise HTTPException(status_code=409, detail="The recipe changed since you read it.")\n    return with_author(recipe)\n',
            '    current = db.recipes.find_one({"slug": slug})\n    if current is None:\n        raise not_found("recipe")\n    if current["version"] != body.version:  # only the version the client read\n        raise HTTPException(status_code=409, detail="The recipe changed since you read it.")\n    recipe = db.recipes.find_one_and_update(\n        {"_id": current["_id"]},\n        {"$set": changes, "$inc": {"version": 1}} if changes else {"$inc": {"version": 1}},\n        return_document=ReturnDocument.AFTER,\n    )\n    return with_author(recipe)\n',
        ),
        catches=["atomic::edit_burst"],
        rules=["R5.3"],
    ),
    blind(
        "author-index-sort-key-first",
        (
            "I put created_at first in the compound index so the newest-first sort comes straight from "
            "the index, with author_id after it; the query still shows an IXSCAN."
        ),
        replace(
            "app/schema.py",
            '[("author_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)], name="author_newest"',
            '[("created_at", DESCENDING), ("author_id", ASCENDING), ("_id", DESCENDING)], name="author_newest"',
        ),
        catches=["indexes::author_newest_uses_compound_index"],
        rules=["R6.2"],
    ),
    blind(
        "recipes-validator-tags-optional",
        (
            "tags are optional in POST /recipes (default []), so I left tags out of the validator's "
            "required list; its items are still checked to be strings when present."
        ),
        replace(
            "app/schema.py",
            '"required": ["slug", "title", "author_id", "ingredients", "tags", "likes", "version", "created_at"],',
            '"required": ["slug", "title", "author_id", "ingredients", "likes", "version", "created_at"],',
        ),
        catches=["validators::recipes_validator"],
        rules=["R3.2"],
    ),
    blind(
        "users-validator-pattern-unanchored",
        (
            "I wrote the username pattern without ^ and $, thinking a $jsonSchema pattern has to match "
            "the whole string like Pydantic's does."
        ),
        replace(
            "app/schema.py",
            '"username": {"bsonType": "string", "pattern": "^[a-z0-9_]{3,30}$"},',
            '"username": {"bsonType": "string", "pattern": "[a-z0-9_]{3,30}"},',
        ),
        catches=["validators::users_and_drafts_validators"],
        rules=["R3.3"],
    ),
    blind(
        "validator-integers-int32-only",
        (
            'PyMongo stores small Python ints as BSON int, so I required bsonType "int" for grams, '
            "likes and version; everything my app writes passes."
        ),
        replace(
            "app/schema.py",
            'INTEGER = ["int", "long"]',
            'INTEGER = "int"',
        ),
        catches=["validators::validators_accept_edges"],
        rules=["R3.4"],
    ),
    blind(
        "grams-lax-int",
        (
            "I typed grams as a plain int with ge=1; Pydantic refuses 1.5 anyway, so I thought "
            "StrictInt was not needed."
        ),
        replace(
            "app/main.py",
            "    grams: Annotated[StrictInt, Field(ge=1)]",
            "    grams: Annotated[int, Field(ge=1)]",
        ),
        catches=["api::limits"],
        rules=["R4.3"],
    ),
    blind(
        "author-untyped-checked-by-lookup",
        (
            "The author has to exist in users anyway, so I left the author member untyped and let the "
            "find_one decide: an unknown author finds nothing and answers 422."
        ),
        replace(
            "app/main.py",
            '    author: Username  # a plain string: {"$ne": null} is refused here, never reaches a filter',
            "    author: Any  # checked against users below: an unknown author answers 422",
        ),
        catches=["injection::json_operators"],
        rules=["R9.1"],
    ),
    blind(
        "ttl-expire-after-lifetime",
        ("A draft lives one hour, so I gave the TTL index on expires_at expireAfterSeconds=3600."),
        replace(
            "app/schema.py",
            'IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0, name="drafts_ttl")',
            'IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=3600, name="drafts_ttl")',
        ),
        catches=["indexes::ttl_index"],
        rules=["R6.3"],
    ),
    blind(
        "tags-pipeline-project-before-sort",
        (
            "I renamed _id to tag with $project right after $group and sorted last, keeping the same "
            "sort spec; the counts come out sorted."
        ),
        replace(
            "app/main.py",
            '        {"$sort": {"recipes": -1, "likes": -1, "_id": 1}},\n        {"$project": {"_id": 0, "tag": "$_id", "recipes": 1, "likes": 1}},\n',
            '        {"$project": {"_id": 0, "tag": "$_id", "recipes": 1, "likes": 1}},\n        {"$sort": {"recipes": -1, "likes": -1, "_id": 1}},\n',
        ),
        catches=["aggregation::tag_order"],
        rules=["R7.2"],
    ),
    blind(
        "newest-by-objectid",
        (
            "An ObjectId starts with its creation time, so I sorted a user's recipes by _id descending "
            "for newest first instead of by created_at."
        ),
        replace(
            "app/main.py",
            '        .sort([("created_at", DESCENDING), ("_id", DESCENDING)])\n',
            '        .sort("_id", DESCENDING)  # ObjectIds grow with time: newest first\n',
        ),
        catches=["api::recipes_of_user"],
        rules=["R4.4"],
    ),
    blind(
        "prefix-regex-unanchored",
        (
            "I matched the prefix with $regex; slugs only hold [a-z0-9-] so there was nothing to "
            "escape, and I forgot the ^ anchor."
        ),
        replace(
            "app/main.py",
            '    bounds: dict[str, str] = {"$gte": prefix}\n    if prefix:  # slugs are [a-z0-9-]: the prefix with its last character + 1 bounds them\n        bounds["$lt"] = prefix[:-1] + chr(ord(prefix[-1]) + 1)\n',
            '    bounds: dict[str, str] = {"$regex": prefix}  # slugs are [a-z0-9-]: nothing to escape\n',
        ),
        catches=["pagination::stable_pages", "pagination::walk"],
        rules=["R8.1"],
    ),
    blind(
        "tags-dedup-with-set",
        ("I removed duplicate tags with list(set(...)); one or two tags look right."),
        replace(
            "app/main.py",
            '        "tags": list(dict.fromkeys(body.tags)),',
            '        "tags": list(set(body.tags)),',
        ),
        catches=["documents::recipe_document"],
        rules=["R2.2"],
    ),
]
