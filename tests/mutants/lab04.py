# ruff: noqa: E501  (the blind mutants keep their author's text verbatim)
"""Known-bad variants of solutions/lab04-databases: the database mistakes the suite must catch from outside.

The blind ones (at the end) were written from the README contract and the solution only; own mutants
that did the same as a blind one were dropped in favour of it.

The schema comes from the migrations only, so a schema mistake is made in the migration (and in the
model when the app would notice otherwise).
"""

from tests.mutants import blind, mutant, replace

MAIN = "app/main.py"
MODELS = "app/models.py"
SCHEMAS = "app/schemas.py"
ERRORS = "app/api/errors.py"
PAGES = "app/api/pagination.py"
AUTHORS = "app/api/routes/authors.py"
BOOKS = "app/api/routes/books.py"
REVIEWS = "app/api/routes/reviews.py"
STOCK = "app/api/routes/warehouses.py"
TRANSFERS = "app/api/routes/transfers.py"
V1 = "migrations/versions/0001_catalog.py"
V2 = "migrations/versions/0002_inventory.py"
V3 = "migrations/versions/0003_query_indexes.py"

TAKE = """    taken = session.execute(
        update(Stock)
        .where(Stock.warehouse_id == warehouse_id, Stock.book_id == book_id, Stock.quantity >= quantity)
        .values(quantity=Stock.quantity - quantity)
        .returning(Stock.quantity)
    ).first()
    if taken is None:
        raise InsufficientStock()
"""
REVIEW_QUERY = (
    "    query = select(Review).where(Review.book_id == book_id).order_by(*newest_first).limit(limit + 1)\n"
    "    if cursor is not None:\n"
    "        created_at, review_id = pagination.decode_time_id(cursor)"
)
REVIEW_KEYSET = (
    "        query = query.where(tuple_(Review.created_at, Review.id) < tuple_(created_at, review_id))\n"
)
REVIEW_FETCH = "    reviews = list(session.scalars(query))\n    more = len(reviews) > limit\n"
REVIEW_NEXT = '        next_cursor = pagination.encode({"t": last.created_at.isoformat(), "id": last.id})'

MUTANTS = [
    # -- resources ----------------------------------------------------------------------------------------
    mutant(
        "author-created-200",
        "POST /authors answers 200 instead of 201 Created",
        replace(
            AUTHORS,
            '@router.post("", status_code=201, response_model=AuthorOut)',
            '@router.post("", response_model=AuthorOut)',
        ),
        catches=["resources::authors"],
    ),
    mutant(
        "delete-of-nothing-204",
        "DELETE answers 204 whether or not something was deleted",
        replace(
            BOOKS,
            '    if deleted is None:\n        raise HTTPException(status_code=404, detail="No such book.")\n'
            "    return Response(status_code=204)",
            "    return Response(status_code=204)",
        ),
        replace(
            AUTHORS,
            '    if deleted is None:\n        raise HTTPException(status_code=404, detail="No such'
            ' author.")\n',
            "",
        ),
        catches=["resources::delete_book", "resources::delete_author", "resources::unknown_ids"],
    ),
    mutant(
        "naive-timestamps",
        "created_at as timestamp without time zone: an instant without its offset",
        replace(
            V1,
            'sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),'
            " nullable=False)",
            'sa.Column("created_at", sa.DateTime(), server_default=sa.text("now()"), nullable=False)',
        ),
        catches=["resources::create_review", "schema::tables_and_columns"],
    ),
    mutant(
        "review-body-unbounded",
        "the body of a review has no length limit",
        replace(SCHEMAS, 'body: Annotated[str, Field(max_length=2000)] = ""', 'body: str = ""'),
        catches=["resources::validation_422"],
    ),
    # -- schema --------------------------------------------------------------------------------------------
    mutant(
        "join-table-surrogate-id",
        "book_tags gets its own id as primary key: the same (book, tag) pair can be stored twice",
        replace(
            V1,
            '        sa.Column("book_id", sa.Integer(), nullable=False),\n        sa.Column("tag_id",'
            " sa.Integer(), nullable=False),",
            '        sa.Column("id", sa.Integer(), nullable=False),\n'
            '        sa.Column("book_id", sa.Integer(), nullable=False),\n        sa.Column("tag_id",'
            " sa.Integer(), nullable=False),",
        ),
        replace(
            V1,
            'sa.PrimaryKeyConstraint("book_id", "tag_id", name="pk_book_tags")',
            'sa.PrimaryKeyConstraint("id", name="pk_book_tags")',
        ),
        catches=["schema::primary_keys", "schema::unique_constraints"],
    ),
    mutant(
        "ids-not-generated",
        "a hand-written migration declares authors.id without a sequence",
        replace(
            V1,
            '        "authors",\n        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False),',
            '        "authors",\n        sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),',
        ),
        catches=["schema::ids_generated", "resources::authors"],
    ),
    mutant(
        "serial-ids",
        "ids left to SQLAlchemy's default for an Integer primary key: serial, not an identity column",
        replace(
            V1,
            '        "books",\n        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False),',
            '        "books",\n        sa.Column("id", sa.Integer(), nullable=False),',
        ),
        catches=["schema::ids_generated"],
    ),
    mutant(
        "title-nullable",
        "books.title accepts NULL in the database (the API validates, the schema does not)",
        replace(
            V1,
            'sa.Column("title", sa.String(length=300), nullable=False)',
            'sa.Column("title", sa.String(length=300), nullable=True)',
        ),
        catches=["schema::not_null"],
    ),
    mutant(
        "reviews-without-foreign-key",
        "reviews.book_id is a plain integer: nothing stops a review of a book that does not exist",
        replace(
            V1,
            '        sa.ForeignKeyConstraint(\n            ["book_id"], ["books.id"],'
            ' name="fk_reviews_book_id_books", ondelete="CASCADE"\n        ),\n',
            "",
        ),
        catches=["schema::foreign_keys"],
    ),
    mutant(
        "no-rating-check",
        "the rating range is only validated by the API, not guaranteed by the database",
        replace(V1, '        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_reviews_rating"),\n', ""),
        catches=["schema::check_rating"],
    ),
    mutant(
        "no-stock-check",
        "nothing in the database stops a negative stock",
        replace(V2, '        sa.CheckConstraint("quantity >= 0", name="ck_stock_quantity"),\n', ""),
        catches=["schema::check_quantities"],
    ),
    # -- integrity errors --------------------------------------------------------------------------------
    mutant(
        "integrity-error-500",
        "IntegrityError is not handled: every broken constraint is a 500",
        replace(ERRORS, "    app.add_exception_handler(IntegrityError, integrity_error_handler)\n", ""),
        catches=[
            "integrity::duplicate_isbn_409",
            "integrity::duplicate_names_409",
            "integrity::broken_reference_422",
            "integrity::concurrent_duplicates",
            "integrity::concurrent_isbn",
        ],
    ),
    mutant(
        "duplicates-checked-in-code",
        '"does the name exist?" before the insert answers 409; the unique violation itself is left'
        " unhandled: two requests at once both pass the check, and the loser gets a 500",
        replace(ERRORS, '    pg.UniqueViolation: (409, "already exists"),\n', ""),
        replace(
            ERRORS,
            '        (409, "conflicts with the stored data"),\n    )',
            "        (None, None),\n    )\n    if status is None:\n        raise exc",
        ),
        replace(
            "app/api/routes/tags.py",
            "    tag = Tag(name=body.name)\n",
            "    if session.scalar(select(Tag.id).where(Tag.name == body.name)) is not None:\n"
            '        raise HTTPException(status_code=409, detail="This name is taken.")\n'
            "    tag = Tag(name=body.name)\n",
        ),
        replace(
            "app/api/routes/tags.py",
            "from sqlalchemy import delete\n",
            "from sqlalchemy import delete, select\n",
        ),
        replace(
            "app/api/routes/warehouses.py",
            "    warehouse = Warehouse(name=body.name)\n",
            "    if session.scalar(select(Warehouse.id).where(Warehouse.name == body.name)) is not None:\n"
            '        raise HTTPException(status_code=409, detail="This name is taken.")\n'
            "    warehouse = Warehouse(name=body.name)\n",
        ),
        replace(
            BOOKS,
            "    book = Book(\n",
            "    if session.scalar(select(Book.id).where(Book.isbn == body.isbn)) is not None:\n"
            '        raise HTTPException(status_code=409, detail="This isbn is taken.")\n'
            "    book = Book(\n",
        ),
        catches=["integrity::concurrent_duplicates", "integrity::concurrent_isbn"],
    ),
    mutant(
        "error-body-shows-driver-message",
        "the integrity handler answers str(exc.orig): the driver's message, with the constraint's name",
        replace(ERRORS, 'content={"detail": f"The request {what}."}', 'content={"detail": str(exc.orig)}'),
        catches=["integrity::error_bodies"],
    ),
    mutant(
        "transfer-unknown-book-not-enough-stock",
        "no lookup of the book and warehouses: the conditional UPDATE finds no row, which answers"
        " 409 'not enough stock' for a book that does not exist",
        replace(
            TRANSFERS,
            "    _require_known(session, body)  # one query; a row deleted meanwhile still fails on its foreign key\n",
            "",
        ),
        catches=["transactions::invalid_transfer_422"],
    ),
    mutant(
        "cursor-id-formatted-into-sql",
        "the cursor's timestamp is parsed, but its id is pasted into the SQL text as it came",
        replace(
            REVIEWS,
            "        created_at, review_id = pagination.decode_time_id(cursor)\n",
            "        created_at = pagination.decode_time_id_unchecked(cursor)\n"
            '        review_id = pagination._decode(cursor).get("id")\n',
        ),
        replace(
            REVIEWS,
            REVIEW_KEYSET,
            '        query = query.where(text(f"(reviews.created_at, reviews.id) < (:t, {review_id})")'
            ".bindparams(t=created_at))\n",
        ),
        replace(
            REVIEWS, "from sqlalchemy import select, tuple_", "from sqlalchemy import select, text, tuple_"
        ),
        replace(
            PAGES,
            "def decode_time_id(cursor: str) -> tuple[datetime, int]:",
            "def decode_time_id_unchecked(cursor: str) -> datetime:\n"
            '    moment = datetime.fromisoformat(str(_decode(cursor).get("t")))\n'
            "    if moment.tzinfo is None:\n"
            '        raise HTTPException(status_code=400, detail="Invalid cursor.")\n'
            "    return moment\n\n\n"
            "def decode_time_id(cursor: str) -> tuple[datetime, int]:",
        ),
        catches=["injection::numbers_and_cursors"],
    ),
    # -- indexes and query performance ----------------------------------------------------------------
    mutant(
        "no-title-index",
        "no index for the title search",
        replace(
            V3,
            '    op.create_index(\n        "ix_books_title_pattern", "books", ["title"],'
            ' postgresql_ops={"title": "text_pattern_ops"}\n    )\n',
            "",
        ),
        replace(V3, '    op.drop_index("ix_books_title_pattern", table_name="books")\n', ""),
        catches=["indexes::books_by_title_prefix", "performance::title_search_reads_few_rows"],
    ),
    mutant(
        "reviews-index-without-order",
        "reviews indexed on book_id only: every page fetches and sorts all the book's reviews",
        replace(
            V3,
            'op.create_index("ix_reviews_book_created_id", "reviews", ["book_id", "created_at", "id"])',
            'op.create_index("ix_reviews_book_created_id", "reviews", ["book_id"])',
        ),
        catches=[
            "indexes::reviews_newest_first",
            "performance::review_page_reads_few_rows",
            "pagination::deep_cursor",
        ],
    ),
    mutant(
        "lazy-relations",
        "relations loaded lazily: one query for the author and one for the tags of every book (N+1)",
        replace(
            BOOKS,
            "WITH_RELATIONS = (selectinload(Book.author), selectinload(Book.tags))",
            "WITH_RELATIONS = ()",
        ),
        catches=["performance::no_n_plus_one"],
    ),
    mutant(
        "reviews-sliced-in-python",
        "all the book's reviews are loaded and the page is cut in Python",
        replace(
            REVIEWS,
            REVIEW_QUERY,
            "    query = select(Review).where(Review.book_id == book_id).order_by(*newest_first)\n"
            "    if cursor is not None:\n        created_at, review_id = pagination.decode_time_id(cursor)",
        ),
        replace(REVIEWS, REVIEW_KEYSET, ""),
        replace(
            REVIEWS,
            REVIEW_FETCH,
            "    reviews = list(session.scalars(query))\n"
            "    if cursor is not None:\n"
            "        reviews = [r for r in reviews if (r.created_at, r.id) < (created_at, review_id)]\n"
            "    reviews = reviews[: limit + 1]\n"
            "    more = len(reviews) > limit\n",
        ),
        catches=["performance::review_page_reads_few_rows", "pagination::deep_cursor"],
    ),
    # -- pagination --------------------------------------------------------------------------------------
    mutant(
        "cursor-on-every-page",
        "next_cursor is given whenever the page is not empty, so the last page has one",
        replace(
            BOOKS,
            'next_cursor = pagination.encode({"id": books[-1].id}) if more else None',
            'next_cursor = pagination.encode({"id": books[-1].id}) if books else None',
        ),
        catches=["pagination::books_walk"],
    ),
    mutant(
        "books-offset-pagination",
        "the cursor is an OFFSET: rows deleted before it shift the next page",
        replace(
            BOOKS,
            "        query = query.where(Book.id > pagination.decode_id(cursor))  # keyset: after the"
            " last id seen",
            "        query = query.offset(pagination.decode_id(cursor))",
        ),
        replace(
            BOOKS,
            'next_cursor = pagination.encode({"id": books[-1].id}) if more else None',
            'next_cursor = pagination.encode({"id": (pagination.decode_id(cursor) if cursor else 0) +'
            " limit}) "
            "if more else None",
        ),
        catches=["pagination::books_walk_survives_deletes"],
    ),
    mutant(
        "reviews-oldest-first",
        "reviews sorted ascending",
        replace(
            REVIEWS,
            "    newest_first = (Review.created_at.desc(), Review.id.desc())",
            "    newest_first = (Review.created_at, Review.id)",
        ),
        replace(
            REVIEWS,
            REVIEW_KEYSET,
            "        query = query.where(tuple_(Review.created_at, Review.id) > tuple_(created_at,"
            " review_id))\n",
        ),
        catches=["pagination::reviews_walk"],
    ),
    mutant(
        "reviews-offset-pagination",
        "the reviews cursor is an OFFSET: newer reviews shift every page",
        replace(REVIEWS, REVIEW_KEYSET, "        query = query.offset(review_id)\n"),
        replace(
            REVIEWS,
            REVIEW_NEXT,
            "        skipped = pagination.decode_time_id(cursor)[1] if cursor else 0\n"
            '        next_cursor = pagination.encode({"t": last.created_at.isoformat(), "id": skipped'
            " + limit})",
        ),
        catches=["pagination::reviews_walk_survives_changes", "pagination::deep_cursor"],
    ),
    mutant(
        "cursor-is-a-row-to-look-up",
        "the cursor holds the last review's id only, and its created_at is looked up: gone if it was deleted",
        replace(
            REVIEWS,
            "        created_at, review_id = pagination.decode_time_id(cursor)\n",
            "        review_id = pagination.decode_time_id(cursor)[1]\n"
            "        last_seen = session.get(Review, review_id)\n"
            "        if last_seen is None:\n"
            '            raise HTTPException(status_code=400, detail="Invalid cursor.")\n'
            "        created_at = last_seen.created_at\n",
        ),
        catches=["pagination::reviews_walk_survives_changes"],
    ),
    # -- transactions ---------------------------------------------------------------------------------------
    mutant(
        "destination-row-not-created",
        "the destination is UPDATEd only: a warehouse that never had the book gains nothing",
        replace(
            TRANSFERS,
            "        upsert.on_conflict_do_update(\n"
            '            index_elements=["warehouse_id", "book_id"], set_={"quantity": Stock.quantity'
            " + quantity}\n"
            "        )\n",
            "        update(Stock)\n"
            "        .where(Stock.warehouse_id == warehouse_id, Stock.book_id == book_id)\n"
            "        .values(quantity=Stock.quantity + quantity)\n",
        ),
        catches=["transactions::transfer_moves_stock"],
    ),
    mutant(
        "insufficient-stock-left-to-the-check",
        "the quantity is not compared: the CHECK constraint refuses the negative stock, as a 422",
        replace(
            TRANSFERS, "Stock.book_id == book_id, Stock.quantity >= quantity)", "Stock.book_id == book_id)"
        ),
        catches=["transactions::insufficient_stock_409"],
    ),
    mutant(
        "zero-quantity-transfers",
        "off by one: transfers of 0 units are accepted, by the API and by the database",
        replace(
            SCHEMAS,
            "    quantity: Annotated[int, Field(ge=1, le=1_000_000_000)]\n\n    @model_validator",
            "    quantity: Annotated[int, Field(ge=0, le=1_000_000_000)]\n\n    @model_validator",
        ),
        replace(
            V2,
            'sa.CheckConstraint("quantity > 0", name="ck_transfers_quantity")',
            'sa.CheckConstraint("quantity >= 0", name="ck_transfers_quantity")',
        ),
        catches=["transactions::invalid_transfer_422", "schema::check_quantities"],
    ),
    mutant(
        "commit-per-step",
        "each stock change is committed on its own: a failure half-way loses the units already taken",
        replace(
            TRANSFERS,
            "        step(session, warehouse_id, body.book_id, body.quantity)\n",
            "        step(session, warehouse_id, body.book_id, body.quantity)\n        session.commit()\n",
        ),
        catches=["transactions::failed_transfer_changes_nothing"],
    ),
    # -- SQL injection -----------------------------------------------------------------------------------
    mutant(
        "title-prefix-formatted-into-sql",
        "the prefix is pasted into the SQL text",
        replace(
            BOOKS,
            "        query = query.where(Book.title.startswith(title_prefix, autoescape=True))",
            "        query = query.where(text(f\"books.title LIKE '{title_prefix}%'\"))",
        ),
        replace(
            BOOKS, "from sqlalchemy import delete, select", "from sqlalchemy import delete, select, text"
        ),
        catches=["injection::title_prefix"],
    ),
    mutant(
        "like-wildcards-not-escaped",
        "the prefix is bound but %, _ and \\ keep their LIKE meaning",
        replace(
            BOOKS,
            "Book.title.startswith(title_prefix, autoescape=True)",
            'Book.title.like(title_prefix + "%")',
        ),
        catches=["injection::like_wildcards"],
    ),
    mutant(
        "tag-formatted-into-sql",
        "the tag filter is pasted into the SQL text",
        replace(
            BOOKS,
            "        query = query.where(Book.tags.any(Tag.name == tag))",
            "        query = query.where(Book.tags.any(text(f\"tags.name = '{tag}'\")))",
        ),
        replace(
            BOOKS, "from sqlalchemy import delete, select", "from sqlalchemy import delete, select, text"
        ),
        catches=["injection::text_fields"],
    ),
    # -- migrations ----------------------------------------------------------------------------------------
    mutant(
        "downgrade-not-implemented",
        '"we never downgrade": the migration cannot be undone',
        replace(
            V3,
            '    op.drop_index("ix_reviews_book_created_id", table_name="reviews")\n',
            '    raise NotImplementedError("no way back")\n',
        ),
        catches=["migrations::downgrade_to_base"],
    ),
    mutant(
        "index-made-at-startup",
        "the review index is created by the app at start-up instead of by a migration",
        replace(
            V3,
            '    op.create_index("ix_reviews_book_created_id", "reviews", ["book_id", "created_at", "id"])\n',
            "",
        ),
        replace(V3, '    op.drop_index("ix_reviews_book_created_id", table_name="reviews")\n', ""),
        replace(
            MAIN,
            'app = FastAPI(title="Lab 04: Relational Databases")\n',
            "from sqlalchemy import text  # noqa: E402\n\nfrom app.core.db import get_engine  # noqa:"
            " E402\n\n"
            "with get_engine().begin() as _conn:\n"
            '    _conn.execute(text("CREATE INDEX IF NOT EXISTS ix_reviews_book_created_id"\n'
            '                       " ON reviews (book_id, created_at, id)"))\n'
            'app = FastAPI(title="Lab 04: Relational Databases")\n',
        ),
        catches=["migrations::upgrade_again"],
    ),
    # -- written blind (README contract and solution only; /work/blind/lab04.py) ---------------------------
    blind(
        "app-create-all-at-startup",
        "the learner adds Base.metadata.create_all at start-up 'just in case the migrations were not run', so the app silently rebuilds the schema on a downgraded database",
        replace(
            "app/main.py",
            "from app.api.routes import authors, books, reviews, tags, transfers, warehouses\n",
            "from app.api.routes import authors, books, reviews, tags, transfers, warehouses\nfrom app.core.db import get_engine\nfrom app.models import Base\n\n# Safety net: make sure the tables exist even if nobody ran the migrations.\nBase.metadata.create_all(get_engine())\n",
        ),
        catches=["schema::app_does_not_create_schema"],
        rules=["R1.4"],
    ),
    blind(
        "migration-history-merge-point",
        "the index migration was drafted on a branch from 0001 while 0002 was written elsewhere, and the learner 'fixed' the two heads by making 0003 depend on both parents (a merge revision) instead of rebasing it on 0002",
        replace(
            "migrations/versions/0003_query_indexes.py",
            'down_revision: str | None = "0002"\n',
            'down_revision: str | tuple[str, ...] | None = ("0001", "0002")\n',
        ),
        catches=["migrations::version_is_head"],
        rules=["R1.1"],
    ),
    blind(
        "downgrade-forgets-warehouses",
        "the learner wrote the inventory downgrade by hand, dropped the two tables that have foreign keys and forgot the warehouses table itself",
        replace(
            "migrations/versions/0002_inventory.py",
            '    op.drop_table("stock")\n    op.drop_table("warehouses")\n',
            '    op.drop_table("stock")\n',
        ),
        catches=["migrations::downgrade_to_base"],
        rules=["R1.2"],
    ),
    blind(
        "migration-missing-isbn-unique",
        "the model says unique=True on isbn but the hand-edited migration lost the UniqueConstraint, so only the (absent) code check would guard it",
        replace(
            "migrations/versions/0001_catalog.py",
            '        sa.UniqueConstraint("isbn", name="uq_books_isbn"),\n',
            "",
        ),
        catches=["schema::unique_constraints", "integrity::duplicate_isbn_409", "integrity::concurrent_isbn"],
        rules=["R2.8", "R4.8", "R4.14"],
    ),
    blind(
        "book-tags-tag-fk-no-cascade",
        "the learner put ON DELETE CASCADE on the book side of the join table and forgot it on the tag side, so deleting a tag that is still used fails on the foreign key",
        replace(
            "migrations/versions/0001_catalog.py",
            'sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name="fk_book_tags_tag_id_tags", ondelete="CASCADE"),',
            'sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name="fk_book_tags_tag_id_tags"),',
        ),
        catches=["schema::on_delete_rules", "resources::delete_tag"],
        rules=["R2.7", "R4.6"],
    ),
    blind(
        "rating-check-allows-zero",
        "the learner thought of 'zero stars' as a valid rating when writing the CHECK, relying on the API validation for the lower bound",
        replace(
            "migrations/versions/0001_catalog.py",
            'sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_reviews_rating"),',
            'sa.CheckConstraint("rating BETWEEN 0 AND 5", name="ck_reviews_rating"),',
        ),
        catches=["schema::check_rating"],
        rules=["R2.9"],
    ),
    blind(
        "transfer-quantity-check-allows-zero",
        "the learner copied the stock CHECK (quantity >= 0) onto transfers, where a transfer of zero units must be refused",
        replace(
            "migrations/versions/0002_inventory.py",
            'sa.CheckConstraint("quantity > 0", name="ck_transfers_quantity"),',
            'sa.CheckConstraint("quantity >= 0", name="ck_transfers_quantity"),',
        ),
        catches=["schema::check_quantities"],
        rules=["R2.10"],
    ),
    blind(
        "transfers-missing-distinct-check",
        "the learner validated 'the two warehouses different' in the Pydantic model and dropped the table CHECK from the migration as redundant",
        replace(
            "migrations/versions/0002_inventory.py",
            '        sa.CheckConstraint("from_warehouse_id <> to_warehouse_id", name="ck_transfers_distinct_warehouses"),\n',
            "",
        ),
        catches=["schema::check_quantities"],
        rules=["R2.10"],
    ),
    blind(
        "transfers-created-at-without-time-zone",
        "the migration was autogenerated from an earlier model with a bare DateTime, so transfers.created_at is `timestamp without time zone` and the API answers a naive timestamp",
        replace(
            "migrations/versions/0002_inventory.py",
            'sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),',
            'sa.Column("created_at", sa.DateTime(), server_default=sa.text("now()"), nullable=False),',
        ),
        catches=["schema::tables_and_columns", "transactions::transfer_moves_stock"],
        rules=["R2.1", "R6.1"],
    ),
    blind(
        "books-author-fk-cascade",
        "the learner put ON DELETE CASCADE on every foreign key 'to keep things clean', so deleting an author silently deletes all their books",
        replace(
            "migrations/versions/0001_catalog.py",
            '["author_id"], ["authors.id"], name="fk_books_author_id_authors", ondelete="RESTRICT"',
            '["author_id"], ["authors.id"], name="fk_books_author_id_authors", ondelete="CASCADE"',
        ),
        replace(
            "app/models.py",
            'ForeignKey("authors.id", ondelete="RESTRICT")',
            'ForeignKey("authors.id", ondelete="CASCADE")',
        ),
        catches=["schema::on_delete_rules", "integrity::delete_author_with_books_409"],
        rules=["R2.7", "R4.4"],
    ),
    blind(
        "transfers-book-fk-no-cascade",
        "the learner treated the transfers ledger as history that must never vanish and left the book foreign key at the default, so a book that was ever transferred cannot be deleted",
        replace(
            "migrations/versions/0002_inventory.py",
            '["book_id"], ["books.id"], name="fk_transfers_book_id_books", ondelete="CASCADE"',
            '["book_id"], ["books.id"], name="fk_transfers_book_id_books"',
        ),
        catches=["schema::on_delete_rules", "resources::delete_book"],
        rules=["R2.7", "R4.10"],
    ),
    blind(
        "title-column-too-short",
        "the learner sized books.title like authors.name (varchar 200) in the migration, shorter than the 300 characters the API accepts",
        replace(
            "migrations/versions/0001_catalog.py",
            'sa.Column("title", sa.String(length=300), nullable=False),',
            'sa.Column("title", sa.String(length=200), nullable=False),',
        ),
        catches=["schema::text_lengths", "resources::values_at_the_limits"],
        rules=["R2.2", "R4.13"],
    ),
    blind(
        "title-index-without-pattern-ops",
        "the learner indexed books.title with a plain b-tree, not knowing LIKE 'prefix%' can only use it with text_pattern_ops (or a \"C\" collation)",
        replace(
            "migrations/versions/0003_query_indexes.py",
            '        "ix_books_title_pattern", "books", ["title"], postgresql_ops={"title": "text_pattern_ops"}\n',
            '        "ix_books_title_pattern", "books", ["title"]\n',
        ),
        catches=["indexes::books_by_title_prefix"],
        rules=["R3.2"],
    ),
    blind(
        "reviews-index-without-id",
        "the learner thought id needs no place in the index because it is already the primary key, so ORDER BY created_at DESC, id DESC needs an (incremental) Sort",
        replace(
            "migrations/versions/0003_query_indexes.py",
            '"reviews", ["book_id", "created_at", "id"])',
            '"reviews", ["book_id", "created_at"])',
        ),
        catches=["indexes::reviews_newest_first"],
        rules=["R3.4"],
    ),
    blind(
        "book-tags-tag-index-missing",
        "the learner believed the composite primary key (book_id, tag_id) also serves lookups by tag_id alone",
        replace(
            "migrations/versions/0001_catalog.py",
            '    op.create_index("ix_book_tags_tag_id", "book_tags", ["tag_id"])\n',
            "",
        ),
        replace(
            "migrations/versions/0001_catalog.py",
            '    op.drop_index("ix_book_tags_tag_id", table_name="book_tags")\n',
            "",
        ),
        catches=["indexes::books_by_tag", "performance::tag_filter_reads_few_rows"],
        rules=["R3.3", "R7.4"],
    ),
    blind(
        "books-author-index-missing",
        "the learner assumed PostgreSQL indexes a foreign key column by itself, as it does for primary keys",
        replace(
            "migrations/versions/0001_catalog.py",
            '    op.create_index("ix_books_author_id", "books", ["author_id"])\n',
            "",
        ),
        replace(
            "migrations/versions/0001_catalog.py",
            '    op.drop_index("ix_books_author_id", table_name="books")\n',
            "",
        ),
        catches=["indexes::books_by_author", "performance::author_filter_reads_few_rows"],
        rules=["R3.1", "R7.3"],
    ),
    blind(
        "unknown-tags-silently-ignored",
        "the learner loads the tags whose names exist and attaches those, never comparing with the names that were asked for",
        replace(
            "app/api/routes/books.py",
            '        missing = names - {tag.name for tag in tags}\n        if missing:\n            raise HTTPException(status_code=422, detail=f"Unknown tags: {sorted(missing)}.")\n',
            "",
        ),
        catches=["integrity::broken_reference_422", "integrity::vanished_parents"],
        rules=["R4.9"],
    ),
    blind(
        "stock-never-stocked-404",
        "the learner answers 404 when the stock row does not exist, treating 'never stocked' like an unknown resource",
        replace(
            "app/api/routes/warehouses.py",
            "    return StockOut(warehouse_id=warehouse_id, book_id=book_id, quantity=quantity or 0)\n",
            '    if quantity is None:\n        raise HTTPException(status_code=404, detail="No stock for this book here.")\n    return StockOut(warehouse_id=warehouse_id, book_id=book_id, quantity=quantity)\n',
        ),
        catches=["resources::stock"],
        rules=["R4.12"],
    ),
    blind(
        "stock-put-relies-on-foreign-key",
        "the learner let the foreign keys 'decide' on PUT stock, so an unknown warehouse or book becomes a 422 from the integrity handler instead of a 404",
        replace(
            "app/api/routes/warehouses.py",
            "    _require(session, warehouse_id, book_id)\n    upsert = insert(Stock)",
            "    upsert = insert(Stock)",
        ),
        catches=["resources::unknown_ids"],
        rules=["R4.2"],
    ),
    blind(
        "book-tags-not-sorted",
        "the learner returns the tag names in whatever order the database hands them back, believing the join comes back alphabetically",
        replace(
            "app/schemas.py",
            '        return sorted(str(getattr(tag, "name", tag)) for tag in value)\n',
            '        return [str(getattr(tag, "name", tag)) for tag in value]\n',
        ),
        replace(
            "app/models.py",
            "relationship(secondary=book_tags, order_by=Tag.name)",
            "relationship(secondary=book_tags)",
        ),
        catches=["resources::create_book"],
        rules=["R4.7"],
    ),
    blind(
        "books-cursor-inclusive",
        "the learner resumes the books list 'from' the last id seen with >= instead of strictly after it",
        replace(
            "app/api/routes/books.py",
            "query = query.where(Book.id > pagination.decode_id(cursor))",
            "query = query.where(Book.id >= pagination.decode_id(cursor))",
        ),
        catches=["pagination::books_walk", "pagination::books_walk_survives_deletes"],
        rules=["R5.6"],
    ),
    blind(
        "books-next-cursor-on-full-last-page",
        "the learner fetches exactly `limit` rows and decides there is a next page whenever the page is full, without peeking at one more row",
        replace(
            "app/api/routes/books.py",
            "query = select(Book).options(*WITH_RELATIONS).order_by(Book.id).limit(limit + 1)",
            "query = select(Book).options(*WITH_RELATIONS).order_by(Book.id).limit(limit)",
        ),
        replace(
            "app/api/routes/books.py",
            "    more = len(books) > limit\n",
            "    more = len(books) == limit\n",
        ),
        catches=["pagination::books_walk"],
        rules=["R5.5"],
    ),
    blind(
        "reviews-cursor-created-at-only",
        "the learner keys the review cursor on created_at alone, so reviews sharing the timestamp of the last row seen are skipped",
        replace(
            "app/api/routes/reviews.py",
            "query = query.where(tuple_(Review.created_at, Review.id) < tuple_(created_at, review_id))",
            "query = query.where(Review.created_at < created_at)",
        ),
        catches=["pagination::reviews_ties"],
        rules=["R5.6"],
    ),
    blind(
        "reviews-cursor-millisecond-timestamp",
        "the learner formats the cursor timestamp like a JavaScript date (milliseconds), so it no longer equals the stored microsecond value and reviews in the same millisecond are skipped",
        replace(
            "app/api/routes/reviews.py",
            'next_cursor = pagination.encode({"t": last.created_at.isoformat(), "id": last.id})',
            'next_cursor = pagination.encode({"t": last.created_at.isoformat(timespec="milliseconds"), "id": last.id})',
        ),
        catches=["pagination::reviews_ties"],
        rules=["R5.6"],
    ),
    blind(
        "reviews-tiebreak-ascending-id",
        "the learner wrote 'newest first' on created_at and left the id tie-breaker ascending, which disagrees with the (created_at, id) < cursor comparison",
        replace(
            "app/api/routes/reviews.py",
            "newest_first = (Review.created_at.desc(), Review.id.desc())",
            "newest_first = (Review.created_at.desc(), Review.id)",
        ),
        catches=["pagination::reviews_ties"],
        rules=["R5.3"],
    ),
    blind(
        "reviews-limit-max-off-by-one",
        "the learner wrote lt=100 for 'up to 100' on the reviews list",
        replace(
            "app/api/routes/reviews.py",
            "limit: Annotated[int, Query(ge=1, le=100)] = 20,",
            "limit: Annotated[int, Query(ge=1, lt=100)] = 20,",
        ),
        catches=["pagination::limits"],
        rules=["R5.4"],
    ),
    blind(
        "garbage-cursor-500",
        "the learner only catches base64 errors when decoding a cursor; text that is valid base64 but not JSON raises an uncaught ValueError",
        replace(
            "app/api/pagination.py",
            '    except (binascii.Error, ValueError):\n        raise HTTPException(status_code=400, detail="Invalid cursor.") from None\n    if not isinstance(values, dict):',
            '    except binascii.Error:\n        raise HTTPException(status_code=400, detail="Invalid cursor.") from None\n    if not isinstance(values, dict):',
        ),
        catches=["pagination::bad_cursor"],
        rules=["R5.8"],
    ),
    blind(
        "title-prefix-case-insensitive",
        "the learner made the title search 'friendlier' with ILIKE, which is case-insensitive and cannot use the b-tree index",
        replace(
            "app/api/routes/books.py",
            "query = query.where(Book.title.startswith(title_prefix, autoescape=True))",
            "query = query.where(Book.title.istartswith(title_prefix, autoescape=True))",
        ),
        catches=["resources::list_filters", "performance::title_search_reads_few_rows"],
        rules=["R5.1", "R7.2"],
    ),
    blind(
        "title-prefix-backslash-not-escaped",
        "the learner escapes % and _ by hand with a backslash (PostgreSQL's default LIKE escape) but forgets to escape the backslash itself",
        replace(
            "app/api/routes/books.py",
            "query = query.where(Book.title.startswith(title_prefix, autoescape=True))",
            'escaped = title_prefix.replace("%", "\\\\%").replace("_", "\\\\_")\n        query = query.where(Book.title.like(escaped + "%"))',
        ),
        catches=["injection::like_wildcards"],
        rules=["R5.2"],
    ),
    blind(
        "transfer-lock-order-source-first",
        "the learner debits the source then credits the destination in request order, so two opposite transfers each lock the row the other needs (deadlock, 500)",
        replace(
            "app/api/routes/transfers.py",
            "    for warehouse_id, step in sorted(steps, key=lambda s: s[0]):\n",
            "    for warehouse_id, step in steps:\n",
        ),
        catches=["transactions::concurrent_opposite_transfers"],
        rules=["R6.6"],
    ),
    blind(
        "transfer-read-modify-write",
        "the learner reads the source stock with the ORM, checks and subtracts in Python and lets the flush write the new value back, without a row lock",
        replace(
            "app/api/routes/transfers.py",
            "    taken = session.execute(\n        update(Stock)\n        .where(Stock.warehouse_id == warehouse_id, Stock.book_id == book_id, Stock.quantity >= quantity)\n        .values(quantity=Stock.quantity - quantity)\n        .returning(Stock.quantity)\n    ).first()\n    if taken is None:\n        raise InsufficientStock()\n",
            "    stock = session.get(Stock, (warehouse_id, book_id))\n    if stock is None or stock.quantity < quantity:\n        raise InsufficientStock()\n    stock.quantity = stock.quantity - quantity\n    session.flush()\n",
        ),
        catches=["transactions::concurrent_transfers"],
        rules=["R6.5"],
    ),
    blind(
        "transfer-ledger-committed-first",
        "the learner inserts and commits the transfer row first to get its id, then moves the stock, so a transfer refused for lack of stock still leaves its ledger row",
        replace(
            "app/api/routes/transfers.py",
            "    steps = [(body.from_warehouse_id, _take), (body.to_warehouse_id, _give)]\n",
            "    transfer = Transfer(\n        book_id=body.book_id,\n        from_warehouse_id=body.from_warehouse_id,\n        to_warehouse_id=body.to_warehouse_id,\n        quantity=body.quantity,\n    )\n    session.add(transfer)\n    session.commit()  # record it first, so we have its id\n    steps = [(body.from_warehouse_id, _take), (body.to_warehouse_id, _give)]\n",
        ),
        replace(
            "app/api/routes/transfers.py",
            "        step(session, warehouse_id, body.book_id, body.quantity)\n    transfer = Transfer(\n        book_id=body.book_id,\n        from_warehouse_id=body.from_warehouse_id,\n        to_warehouse_id=body.to_warehouse_id,\n        quantity=body.quantity,\n    )\n    session.add(transfer)\n",
            "        step(session, warehouse_id, body.book_id, body.quantity)\n",
        ),
        catches=["transactions::insufficient_stock_409", "transactions::failed_transfer_changes_nothing"],
        rules=["R6.2", "R6.4"],
    ),
    blind(
        "transfer-all-units-refused",
        "the learner wrote the stock guard as quantity > requested, so moving exactly every unit the source holds is refused",
        replace(
            "app/api/routes/transfers.py",
            "Stock.quantity >= quantity)",
            "Stock.quantity > quantity)",
        ),
        catches=["transactions::insufficient_stock_409", "transactions::transfer_moves_stock"],
        rules=["R6.2"],
    ),
    blind(
        "books-list-tags-lazy-loaded",
        "the learner eager-loads the author on the list endpoint but forgets the tags, which are then lazy-loaded once per book when the page is serialised",
        replace(
            "app/api/routes/books.py",
            "query = select(Book).options(*WITH_RELATIONS).order_by(Book.id).limit(limit + 1)",
            "query = select(Book).options(selectinload(Book.author)).order_by(Book.id).limit(limit + 1)",
        ),
        catches=["performance::no_n_plus_one"],
        rules=["R7.1"],
    ),
    blind(
        "title-prefix-left-function",
        "to dodge LIKE escaping the learner compares left(title, n) = prefix, which is correct but wraps the column in a function no index can serve",
        replace(
            "app/api/routes/books.py",
            "from sqlalchemy import delete, select\n",
            "from sqlalchemy import delete, func, select\n",
        ),
        replace(
            "app/api/routes/books.py",
            "query = query.where(Book.title.startswith(title_prefix, autoescape=True))",
            "query = query.where(func.left(Book.title, len(title_prefix)) == title_prefix)",
        ),
        catches=["performance::title_search_reads_few_rows"],
        rules=["R7.2"],
    ),
    blind(
        "reviews-offset-cursor",
        "the learner's opaque cursor wraps a row offset (LIMIT/OFFSET), so deep pages read every skipped row and inserts shift the pages",
        replace(
            "app/api/routes/reviews.py",
            "    if cursor is not None:\n        created_at, review_id = pagination.decode_time_id(cursor)\n        # Row comparison: strictly after the last row seen in (created_at, id) order. The id breaks\n        # ties between reviews written at the same instant; the index (book_id, created_at, id)\n        # answers this without reading or sorting the rows before the cursor.\n        query = query.where(tuple_(Review.created_at, Review.id) < tuple_(created_at, review_id))\n",
            "    offset = 0\n    if cursor is not None:\n        offset = pagination.decode_id(cursor)  # the cursor is just how many reviews were shown\n        query = query.offset(offset)\n",
        ),
        replace(
            "app/api/routes/reviews.py",
            'next_cursor = pagination.encode({"t": last.created_at.isoformat(), "id": last.id})',
            'next_cursor = pagination.encode({"id": offset + limit})',
        ),
        catches=["pagination::reviews_walk_survives_changes", "pagination::deep_cursor"],
        rules=["R5.7"],
    ),
    blind(
        "tag-filter-string-formatted",
        "the learner wrote the tag filter as a raw SQL EXISTS with an f-string, since the join table has no ORM class",
        replace(
            "app/api/routes/books.py",
            "from sqlalchemy import delete, select\n",
            "from sqlalchemy import delete, select, text\n",
        ),
        replace(
            "app/api/routes/books.py",
            "query = query.where(Book.tags.any(Tag.name == tag))",
            'query = query.where(\n            text(\n                "EXISTS (SELECT 1 FROM book_tags bt JOIN tags t ON t.id = bt.tag_id "\n                f"WHERE bt.book_id = books.id AND t.name = \'{tag}\')"\n            )\n        )',
        ),
        catches=["injection::text_fields"],
        rules=["R8.1"],
    ),
]
