# ruff: noqa: E501  (a mutant's edit is clearer as the line it replaces)
"""Known-bad variants of solutions/lab11-graphql: the GraphQL mistakes the suite must catch from outside."""

from tests.mutants import mutant, replace

MAIN = "app/main.py"
SCHEMA = "app/schema.py"
DB = "app/db.py"

GRAPHQL_APP = "class GraphQLApp(GraphQL):\n"

MUTANTS = [
    # -- the endpoint -------------------------------------------------------------------------------------
    mutant(
        "operation-name-ignored",
        "operationName is dropped on the way to the engine: a document with two operations fails",
        replace(
            MAIN,
            GRAPHQL_APP,
            GRAPHQL_APP + "    async def parse_http_body(self, request):  # type: ignore[no-untyped-def]\n"
            "        data = await super().parse_http_body(request)\n"
            "        data.operation_name = None\n"
            "        return data\n\n",
        ),
        catches=["transport::post_with_variables_and_operation_name"],
    ),
    mutant(
        "get-not-served",
        "queries over GET are turned off",
        replace(MAIN, "GraphQLApp(schema)", "GraphQLApp(schema, allow_queries_via_get=False)"),
        catches=["transport::get_runs_a_query"],
    ),
    mutant(
        "mutations-run-over-get",
        "a hand-written executor that forgets which operations GET may run",
        replace(
            MAIN,
            GRAPHQL_APP,
            GRAPHQL_APP
            + "    async def execute_single(self, request, request_adapter, sub_response, context, root_value,"
            " request_data):  # type: ignore[no-untyped-def]\n"
            "        return await self.schema.execute(request_data.query, variable_values=request_data.variables,"
            " context_value=context, operation_name=request_data.operation_name)\n\n",
        ),
        catches=["transport::get_refuses_mutations"],
    ),
    # -- the schema ---------------------------------------------------------------------------------------
    mutant(
        "email-non-null",
        "Author.email declared String!: the schema no longer says it can fail",
        replace(SCHEMA, "def email(self, info: Info) -> str | None:", "def email(self, info: Info) -> str:"),
        catches=["schema::object_types"],
    ),
    mutant(
        "first-nullable",
        "books(first:) declared a nullable Int",
        replace(SCHEMA, "self, first: int = 10,", "self, first: int | None = 10,"),
        catches=["schema::operations_and_inputs"],
    ),
    mutant(
        "genre-extra-value",
        "Genre has a value the contract does not list",
        replace(SCHEMA, '    POETRY = "POETRY"\n', '    POETRY = "POETRY"\n    ROMANCE = "ROMANCE"\n'),
        catches=["schema::enum"],
    ),
    mutant(
        "book-not-a-node",
        "Book repeats Node's fields instead of implementing the interface",
        replace(
            SCHEMA,
            "class Book(Node):\n",
            "class Book:\n    id: strawberry.ID\n    created_at: datetime\n",
        ),
        catches=["schema::interface_and_union"],
    ),
    mutant(
        "datetime-renamed",
        "the date-time scalar is called Timestamp, not DateTime",
        replace(
            SCHEMA,
            "    mutation=Mutation,\n",
            "    mutation=Mutation,\n    scalar_overrides={datetime: strawberry.scalar(name='Timestamp', "
            "serialize=lambda v: v.isoformat(), parse_value=datetime.fromisoformat)},\n",
        ),
        catches=["schema::datetime_scalar"],
    ),
    # -- queries and mutations ----------------------------------------------------------------------------
    mutant(
        "names-trimmed",
        "createAuthor stores the name trimmed: not as given",
        replace(SCHEMA, "    return value\n", "    return value.strip()\n"),
        catches=["queries::create_author"],
    ),
    mutant(
        "subtitle-empty-string",
        "a missing subtitle comes back as an empty string, not null",
        replace(SCHEMA, 'subtitle=row["subtitle"],', 'subtitle=row["subtitle"] or "",'),
        catches=["queries::create_book"],
    ),
    mutant(
        "unknown-book-is-an-error",
        "book(id:) for an unknown id raises NOT_FOUND instead of answering null",
        replace(
            SCHEMA,
            "        return Book.of(rows[0]) if rows else None\n",
            "        if not rows:\n            raise error('No such book.', 'NOT_FOUND')\n        return Book.of(rows[0])\n",
        ),
        catches=["queries::lookup_by_id"],
    ),
    mutant(
        "author-books-oldest-first",
        "Author.books in insertion order, not newest first",
        replace(DB, "WHERE author_id = ANY(%s) ORDER BY id DESC", "WHERE author_id = ANY(%s) ORDER BY id"),
        catches=["queries::author_books"],
    ),
    mutant(
        "naive-created-at",
        "createdAt written without its offset",
        replace(
            SCHEMA,
            '            created_at=row["created_at"],\n            name=row["name"],\n',
            '            created_at=row["created_at"].replace(tzinfo=None),\n            name=row["name"],\n',
        ),
        replace(
            SCHEMA,
            '            created_at=row["created_at"],\n            title=row["title"],\n',
            '            created_at=row["created_at"].replace(tzinfo=None),\n            title=row["title"],\n',
        ),
        catches=["queries::datetimes_are_iso"],
    ),
    mutant(
        "naive-published-at-accepted",
        "a publishedAt without an offset is stored, as the server's local time",
        replace(
            SCHEMA,
            "        if input.published_at.tzinfo is None:\n"
            '            raise error("publishedAt needs a UTC offset.", "BAD_USER_INPUT")\n',
            "",
        ),
        catches=["queries::published_at"],
    ),
    mutant(
        "search-wildcards",
        "the search text goes into LIKE unescaped: % and _ match anything",
        replace(
            SCHEMA,
            'pattern = "%" + text.replace("\\\\", "\\\\\\\\").replace("%", "\\\\%").replace("_", "\\\\_") + "%"',
            'pattern = "%" + text + "%"',
        ),
        catches=["queries::search"],
    ),
    # -- errors -------------------------------------------------------------------------------------------
    mutant(
        "syntax-errors-unlocated",
        "an error formatter that drops locations from syntax errors",
        replace(
            MAIN,
            GRAPHQL_APP,
            GRAPHQL_APP
            + "    async def process_result(self, request, result):  # type: ignore[no-untyped-def]\n"
            "        data = await super().process_result(request, result)\n"
            "        for e in data.get('errors') or []:\n"
            "            if e['message'].startswith('Syntax Error'):\n"
            "                e.pop('locations', None)\n"
            "        return data\n\n",
        ),
        catches=["errors::syntax_error"],
    ),
    mutant(
        "validation-errors-unlocated",
        "an error formatter that keeps only path, dropping the locations of validation errors",
        replace(
            MAIN,
            GRAPHQL_APP,
            GRAPHQL_APP
            + "    async def process_result(self, request, result):  # type: ignore[no-untyped-def]\n"
            "        data = await super().process_result(request, result)\n"
            "        for e in data.get('errors') or []:\n"
            "            if 'path' not in e and not e['message'].startswith('Syntax Error'):\n"
            "                e.pop('locations', None)\n"
            "        return data\n\n",
        ),
        catches=["errors::validation_errors"],
    ),
    mutant(
        "domain-errors-without-code",
        "domain errors carry a message only, no extensions.code",
        replace(
            SCHEMA, 'return GraphQLError(message, extensions={"code": code})', "return GraphQLError(message)"
        ),
        catches=["errors::domain_errors", "pagination::page_size_limits", "auth::create_book_needs_a_viewer"],
    ),
    mutant(
        "blank-only-when-empty",
        "only the empty string is blank: '   ' is stored",
        replace(SCHEMA, "    if not value.strip():\n", "    if not value:\n"),
        catches=["errors::domain_errors"],
    ),
    mutant(
        "errors-unmasked",
        "no error masking: the driver's message reaches the client",
        replace(
            SCHEMA,
            '    partial(MaskErrors, should_mask_error=unexpected, error_message="Internal server error"),\n',
            "",
        ),
        catches=["errors::unexpected_failure_is_masked"],
    ),
    mutant(
        "search-non-null",
        "search declared non-null: its failure nulls the whole response",
        replace(SCHEMA, "-> list[SearchResult] | None:", "-> list[SearchResult]:"),
        catches=["errors::partial_data"],
    ),
    # -- batching -----------------------------------------------------------------------------------------
    mutant(
        "author-per-book",
        "Book.author runs a query per book",
        replace(
            SCHEMA,
            'return Author.of(await info.context["loaders"].author.load(self._author_id))',
            'return Author.of((await db.fetch("SELECT * FROM authors WHERE id = %s", (self._author_id,)))[0])',
        ),
        catches=["batching::nested_lists"],
    ),
    mutant(
        "books-per-author",
        "Author.books runs a query per author",
        replace(
            SCHEMA,
            'rows = await info.context["loaders"].books_of_author.load(int(self.id))',
            'rows = await db.fetch("SELECT * FROM books WHERE author_id = %s ORDER BY id DESC", (int(self.id),))',
        ),
        catches=["batching::nested_lists"],
    ),
    mutant(
        "root-author-not-batched",
        "author(id:) queries the database itself, one statement per alias",
        replace(
            SCHEMA,
            'row = None if author_id is None else await info.context["loaders"].author.load(author_id)',
            'rows = [] if author_id is None else await db.fetch("SELECT * FROM authors WHERE id = %s", '
            "(author_id,))\n        row = rows[0] if rows else None",
        ),
        catches=["batching::aliased_lookups"],
    ),
    # -- connections --------------------------------------------------------------------------------------
    mutant(
        "default-page-20",
        "first defaults to 20",
        replace(SCHEMA, "self, first: int = 10,", "self, first: int = 20,"),
        catches=["pagination::first_page"],
    ),
    mutant(
        "end-cursor-of-first-edge",
        "endCursor is the first edge's cursor",
        replace(SCHEMA, "end_cursor=edges[-1].cursor if edges", "end_cursor=edges[0].cursor if edges"),
        catches=["pagination::first_page", "pagination::walk_pages"],
    ),
    mutant(
        "has-next-on-exact-end",
        "hasNextPage true when the page is full, even when nothing follows",
        replace(SCHEMA, "has_next_page=len(rows) > first", "has_next_page=len(rows) >= first"),
        catches=["pagination::walk_pages"],
    ),
    mutant(
        "cursor-inclusive",
        "after: includes the cursor's own book: each page repeats the last one",
        replace(SCHEMA, "OR id < %(before)s)", "OR id <= %(before)s)"),
        catches=["pagination::walk_pages"],
    ),
    mutant(
        "offset-cursor",
        "the cursor is an offset: rows added in front shift every later page",
        replace(
            SCHEMA,
            '"SELECT * FROM books WHERE (%(before)s::bigint IS NULL OR id < %(before)s)"',
            '"SELECT * FROM books WHERE TRUE"',
        ),
        replace(
            SCHEMA,
            'ORDER BY id DESC LIMIT %(limit)s",',
            'ORDER BY id DESC LIMIT %(limit)s OFFSET %(before)s",',
        ),
        replace(SCHEMA, '{"before": before, "author"', '{"before": before or 0, "author"'),
        replace(
            SCHEMA,
            'edges = [BookEdge(cursor=encode_cursor(row["id"]), node=Book.of(row)) for row in rows[:first]]',
            "edges = [BookEdge(cursor=encode_cursor((before or 0) + i + 1), node=Book.of(row))"
            " for i, row in enumerate(rows[:first])]",
        ),
        catches=["pagination::stable_under_inserts"],
    ),
    mutant(
        "page-size-100",
        "pages of up to 100",
        replace(SCHEMA, "MAX_PAGE = 50", "MAX_PAGE = 100"),
        catches=["pagination::page_size_limits"],
    ),
    mutant(
        "bad-cursor-means-first-page",
        "a cursor that does not decode starts from the beginning",
        replace(
            SCHEMA,
            '        raise error("That cursor is not one this API gave.", "BAD_USER_INPUT")\n    return book_id\n',
            "        return 2**62\n    return book_id\n",
        ),
        catches=["pagination::bad_cursor"],
    ),
    # -- limits -------------------------------------------------------------------------------------------
    mutant(
        "no-depth-limit",
        "no depth limit",
        replace(
            SCHEMA,
            "    partial(QueryDepthLimiter, max_depth=MAX_DEPTH - 1),  # Strawberry counts the root field as 0\n",
            "",
        ),
        catches=["limits::depth_limit"],
    ),
    mutant(
        "depth-off-by-one",
        "the limit passed to QueryDepthLimiter as 8, which allows 9 levels",
        replace(
            SCHEMA,
            "partial(QueryDepthLimiter, max_depth=MAX_DEPTH - 1)",
            "partial(QueryDepthLimiter, max_depth=MAX_DEPTH)",
        ),
        catches=["limits::depth_limit"],
    ),
    mutant(
        "depth-counts-introspection",
        "a home-made depth rule that counts introspection fields too",
        replace(
            SCHEMA,
            "    partial(QueryDepthLimiter, max_depth=MAX_DEPTH - 1),  # Strawberry counts the root field as 0\n",
            "    partial(AddValidationRules, [CountEveryLevel]),\n",
        ),
        replace(
            SCHEMA,
            "def unexpected(",
            "from graphql import ValidationRule\n"
            "from strawberry.extensions import AddValidationRules\n\n\n"
            "def levels(node) -> int:  # type: ignore[no-untyped-def]\n"
            "    selections = getattr(node, 'selection_set', None)\n"
            "    return 0 if selections is None else 1 + max(levels(s) for s in selections.selections)\n\n\n"
            "class CountEveryLevel(ValidationRule):\n"
            "    def enter_operation_definition(self, node, *_):  # type: ignore[no-untyped-def]\n"
            "        if levels(node) > MAX_DEPTH:\n"
            "            self.report_error(GraphQLError('The query exceeds the maximum depth.', node))\n\n\n"
            "def unexpected(",
        ),
        catches=["limits::introspection_is_not_limited"],
    ),
    mutant(
        "no-alias-limit",
        "no limit on aliases: one request can ask for the same field a thousand times",
        replace(SCHEMA, "    partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),\n", ""),
        catches=["limits::alias_limit"],
    ),
    mutant(
        "alias-limit-off-by-one",
        "the alias limit lets 21 through",
        replace(
            SCHEMA,
            "partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES)",
            "partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES + 1)",
        ),
        catches=["limits::alias_limit"],
    ),
    # -- authorisation ------------------------------------------------------------------------------------
    mutant(
        "any-scheme",
        "the token is read whatever the scheme: Basic <id> names a viewer",
        replace(MAIN, 'if scheme.lower() == "bearer" else None', "if token else None"),
        catches=["auth::token_forms"],
    ),
    mutant(
        "token-not-looked-up",
        "any number is a viewer: the author is never looked up",
        replace(
            MAIN,
            "    return author_id if await loaders.author.load(author_id) is not None else None\n",
            "    return author_id\n",
        ),
        catches=["auth::token_forms"],
    ),
    mutant(
        "create-book-unchecked",
        "createBook does not check the viewer: the database refuses the null author",
        replace(
            SCHEMA,
            "        if viewer is None:\n"
            '            raise error("Creating a book needs a bearer token naming an author.", "UNAUTHENTICATED")\n',
            "",
        ),
        catches=["auth::create_book_needs_a_viewer"],
    ),
    mutant(
        "email-public",
        "Author.email readable by anyone",
        replace(
            SCHEMA,
            '        if info.context["viewer"] != int(self.id):\n'
            '            raise error("Only the author may read their email.", "FORBIDDEN")\n',
            "",
        ),
        catches=["auth::email_is_private"],
    ),
    mutant(
        "email-any-viewer",
        "Author.email readable by any signed-in author",
        replace(SCHEMA, 'if info.context["viewer"] != int(self.id):', 'if info.context["viewer"] is None:'),
        catches=["auth::email_is_private"],
    ),
    # -- subscriptions ------------------------------------------------------------------------------------
    mutant(
        "no-events",
        "createBook never tells the subscriptions",
        replace(SCHEMA, "        for queue in listeners:\n            queue.put_nowait(rows[0])\n", ""),
        catches=["subscriptions::events_in_order", "subscriptions::author_filter"],
    ),
    mutant(
        "events-twice",
        "each new book is published twice",
        replace(
            SCHEMA,
            "            queue.put_nowait(rows[0])\n",
            "            queue.put_nowait(rows[0])\n            queue.put_nowait(rows[0])\n",
        ),
        catches=["subscriptions::events_in_order"],
    ),
    mutant(
        "old-subprotocol-only",
        "only the legacy graphql-ws subprotocol is spoken",
        replace(
            MAIN,
            "graphql = GraphQLApp(schema)",
            "graphql = GraphQLApp(schema, subscription_protocols=('graphql-ws',))",
        ),
        catches=["subscriptions::events_in_order"],
    ),
    mutant(
        "author-filter-ignored",
        "bookAdded(authorId:) sends every author's books",
        replace(SCHEMA, 'if author_id is None or str(row["author_id"]) == author_id:', "if True:"),
        catches=["subscriptions::author_filter"],
    ),
    mutant(
        "no-filter-means-nothing",
        "bookAdded without authorId sends nothing",
        replace(
            SCHEMA,
            'if author_id is None or str(row["author_id"]) == author_id:',
            'if author_id is not None and str(row["author_id"]) == author_id:',
        ),
        catches=["subscriptions::author_filter"],
    ),
]
