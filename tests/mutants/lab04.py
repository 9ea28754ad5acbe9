"""Known-bad variants of solutions/lab04-databases: the database mistakes the suite must catch from outside.

The schema comes from the migrations only, so a schema mistake is made in the migration (and in the
model when the app would notice otherwise).
"""

from tests.mutants import mutant, replace

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
        "tags-unsorted",
        "a book's tags come back in whatever order the association holds them",
        replace(
            SCHEMAS,
            'return sorted(str(getattr(tag, "name", tag)) for tag in value)',
            'return [str(getattr(tag, "name", tag)) for tag in value]',
        ),
        catches=["resources::create_book"],
    ),
    mutant(
        "title-prefix-case-insensitive",
        "istartswith: lower(title) LIKE lower(...), case-insensitive and no index can serve it",
        replace(
            BOOKS,
            "Book.title.startswith(title_prefix, autoescape=True)",
            "Book.title.istartswith(title_prefix, autoescape=True)",
        ),
        catches=["resources::list_filters", "performance::title_search_reads_few_rows"],
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
        catches=["resources::delete_book", "resources::delete_author"],
    ),
    mutant(
        "tag-links-no-cascade",
        "book_tags.tag_id without ON DELETE CASCADE: a tag in use cannot be deleted",
        replace(
            V1,
            'sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name="fk_book_tags_tag_id_tags",'
            ' ondelete="CASCADE")',
            'sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name="fk_book_tags_tag_id_tags")',
        ),
        catches=["resources::delete_tag", "schema::on_delete_rules"],
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
    mutant(
        "stock-404-when-never-stocked",
        "GET of a (warehouse, book) pair without a row answers 404 instead of quantity 0",
        replace(
            STOCK,
            "    return StockOut(warehouse_id=warehouse_id, book_id=book_id, quantity=quantity or 0)",
            '    if quantity is None:\n        raise HTTPException(status_code=404, detail="No stock.")\n'
            "    return StockOut(warehouse_id=warehouse_id, book_id=book_id, quantity=quantity)",
        ),
        catches=["resources::stock"],
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
            '        "authors",\n        sa.Column("id", sa.Integer(), nullable=False),',
            '        "authors",\n        sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),',
        ),
        catches=["schema::ids_generated", "resources::authors"],
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
        "author-cascade",
        "ON DELETE CASCADE on books.author_id: deleting an author silently deletes their books",
        replace(
            V1,
            '["author_id"], ["authors.id"], name="fk_books_author_id_authors", ondelete="RESTRICT"',
            '["author_id"], ["authors.id"], name="fk_books_author_id_authors", ondelete="CASCADE"',
        ),
        catches=["schema::on_delete_rules", "integrity::delete_author_with_books_409"],
    ),
    mutant(
        "isbn-not-unique",
        "no UNIQUE constraint on books.isbn",
        replace(V1, '        sa.UniqueConstraint("isbn", name="uq_books_isbn"),\n', ""),
        catches=["schema::unique_constraints", "integrity::duplicate_isbn_409", "integrity::concurrent_isbn"],
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
        "unknown-tags-ignored",
        "tag names that match no tag are silently dropped",
        replace(
            BOOKS,
            '        if missing:\n            raise HTTPException(status_code=422, detail=f"Unknown'
            ' tags: {sorted(missing)}.")\n',
            "",
        ),
        catches=["integrity::broken_reference_422", "integrity::vanished_parents"],
    ),
    # -- indexes and query performance ----------------------------------------------------------------
    mutant(
        "no-author-index",
        "the foreign key books.author_id is not indexed (PostgreSQL does not do it by itself)",
        replace(V1, '    op.create_index("ix_books_author_id", "books", ["author_id"])\n', ""),
        replace(V1, '    op.drop_index("ix_books_author_id", table_name="books")\n', ""),
        catches=["indexes::books_by_author", "performance::author_filter_reads_few_rows"],
    ),
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
        "no-tag-index",
        "book_tags is only indexed by its primary key (book_id, tag_id): books of a tag need a full scan",
        replace(V1, '    op.create_index("ix_book_tags_tag_id", "book_tags", ["tag_id"])\n', ""),
        replace(V1, '    op.drop_index("ix_book_tags_tag_id", table_name="book_tags")\n', ""),
        catches=["indexes::books_by_tag", "performance::tag_filter_reads_few_rows"],
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
        "keyset-without-tiebreak",
        "the cursor compares created_at only: reviews sharing it are skipped",
        replace(REVIEWS, REVIEW_KEYSET, "        query = query.where(Review.created_at < created_at)\n"),
        catches=["pagination::reviews_ties"],
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
    mutant(
        "bad-cursor-500",
        "only base64 errors are caught: a cursor that is not JSON is a 500",
        replace(PAGES, "    except (binascii.Error, ValueError):", "    except binascii.Error:"),
        catches=["pagination::bad_cursor"],
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
    mutant(
        "lost-update",
        "read the quantity, check and subtract in Python, write it back: concurrent transfers"
        " overwrite each other",
        replace(
            TRANSFERS,
            TAKE,
            "    row = session.get(Stock, (warehouse_id, book_id))\n"
            "    if row is None or row.quantity < quantity:\n"
            "        raise InsufficientStock()\n"
            "    row.quantity = row.quantity - quantity\n"
            "    session.flush()\n",
        ),
        catches=["transactions::concurrent_transfers"],
    ),
    mutant(
        "locks-in-request-order",
        "the source row is locked first, then the destination: opposite transfers deadlock",
        replace(
            TRANSFERS,
            "    for warehouse_id, step in sorted(steps, key=lambda s: s[0]):",
            "    for warehouse_id, step in steps:",
        ),
        catches=["transactions::concurrent_opposite_transfers"],
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
    mutant(
        "cursor-formatted-into-sql",
        "the cursor's values are trusted and pasted into the SQL text",
        replace(
            REVIEWS,
            "        created_at, review_id = pagination.decode_time_id(cursor)\n",
            "        values = pagination._decode(cursor)\n",
        ),
        replace(
            REVIEWS,
            REVIEW_KEYSET,
            "        query = query.where(text(f\"(reviews.created_at, reviews.id) < ('{values.get('t')}', "
            "{values.get('id')})\"))\n",
        ),
        replace(
            REVIEWS, "from sqlalchemy import select, tuple_", "from sqlalchemy import select, text, tuple_"
        ),
        catches=["injection::numbers_and_cursors"],
    ),
    # -- migrations ----------------------------------------------------------------------------------------
    mutant(
        "branched-history",
        "two migrations with the same parent: two heads, and `upgrade head` refuses to choose",
        replace(V3, 'down_revision: str | None = "0002"', 'down_revision: str | None = "0001"'),
        catches=["migrations::version_is_head"],
    ),
    mutant(
        "downgrade-forgets-a-table",
        "a downgrade that does not drop everything its upgrade created",
        replace(V2, '    op.drop_table("warehouses")\n', ""),
        catches=["migrations::downgrade_to_base"],
    ),
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
        "create-all-at-startup",
        "the app creates missing tables when it starts",
        replace(
            MAIN,
            'app = FastAPI(title="Lab 04: Relational Databases")\n',
            "from app.core.db import get_engine  # noqa: E402\nfrom app.models import Base  # noqa: E402\n\n"
            "Base.metadata.create_all(get_engine())\n"
            'app = FastAPI(title="Lab 04: Relational Databases")\n',
        ),
        catches=["migrations::app_does_not_create_schema"],
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
]
