# ruff: noqa: E501  (a mutant's edit is clearer as the line it replaces)
"""Known-bad variants of solutions/lab11-graphql: the GraphQL mistakes the suite must catch from outside."""

from tests.mutants import blind, mutant, replace

MAIN = "app/main.py"
SCHEMA = "app/schema.py"
DB = "app/db.py"
COST = "app/cost.py"

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
    mutant(
        "no-cost-limit",
        "depth and aliases limited, cost not: a wide query over long pages runs whatever it costs",
        replace(SCHEMA, "    CostLimiter,\n", ""),
        catches=["limits::cost_limit"],
    ),
    mutant(
        "cost-skips-mutations",
        "only queries are priced: a mutation runs whatever it selects",
        replace(COST, "OperationType.MUTATION: schema.mutation_type,", "OperationType.MUTATION: None,"),
        catches=["limits::cost_limit"],
    ),
    mutant(
        "cost-refuses-the-maximum",
        "the cost compared with >=: a document that costs exactly 2000 is refused",
        replace(COST, "if cost > MAX_COST:", "if cost >= MAX_COST:"),
        catches=["limits::cost_limit"],
    ),
    mutant(
        "cost-lets-one-more-through",
        "the maximum off by one the other way: 2001 runs",
        replace(COST, "if cost > MAX_COST:", "if cost > MAX_COST + 1:"),
        catches=["limits::cost_limit"],
    ),
    mutant(
        "cost-error-code",
        "the refusal carries BAD_USER_INPUT, not the contract's QUERY_TOO_COMPLEX",
        replace(COST, 'extensions={"code": "QUERY_TOO_COMPLEX"}', 'extensions={"code": "BAD_USER_INPUT"}'),
        catches=["limits::cost_limit"],
    ),
    mutant(
        "cost-checked-after-execution",
        "the cost measured after the operation ran, its result then replaced by the error: the SQL ran",
        replace(
            COST,
            "    def on_operation(self) -> Iterator[None]:\n"
            "        context = self.execution_context\n"
            "        variables = context.variables if isinstance(context.variables, dict) else {}\n"
            "        context.validation_rules = (*context.validation_rules, cost_rule(variables))\n"
            "        yield\n",
            "    def on_execute(self) -> Iterator[None]:\n"
            "        yield\n"
            "        context = self.execution_context\n"
            "        variables = context.variables if isinstance(context.variables, dict) else {}\n"
            "        document, result = context.graphql_document, context.result\n"
            "        if document is None or result is None:\n"
            "            return\n"
            "        cost = document_cost(context.schema._schema, document, variables)\n"
            "        if cost > MAX_COST:\n"
            "            result.data = None\n"
            "            result.errors = [GraphQLError(f'The query costs {cost}.', extensions={'code': 'QUERY_TOO_COMPLEX'})]\n",
        ),
        catches=["limits::cost_limit"],
    ),
    mutant(
        "cost-counts-introspection",
        "__typename priced like any field: a document at the maximum with __typename in it is refused",
        replace(
            COST,
            '        if name.startswith("__"):  # introspection, and what it holds, is free\n            continue\n',
            '        if name.startswith("__"):\n            total += 1\n            continue\n',
        ),
        catches=["limits::cost_limit"],
    ),
    mutant(
        "cost-ignores-first",
        "books priced as a page of 10 whatever its `first`",
        replace(
            COST,
            "    if not isinstance(value, int):\n        return PAGE_DEFAULT\n",
            "    if True:\n        return PAGE_DEFAULT\n",
        ),
        catches=["limits::cost_multiplies_by_first"],
    ),
    mutant(
        "cost-ignores-variables",
        "`first` read only when written in the document: `first: $n` counts as absent, 10",
        replace(
            COST, "value_from_ast(first, GraphQLInt, dict(variables))", "value_from_ast(first, GraphQLInt)"
        ),
        catches=["limits::cost_multiplies_by_first"],
    ),
    mutant(
        "cost-default-page-one",
        "books without `first` priced as one book, not the default page of 10",
        replace(
            COST,
            "    if not isinstance(value, int):\n        return PAGE_DEFAULT\n",
            "    if not isinstance(value, int):\n        return 1\n",
        ),
        catches=["limits::cost_multiplies_by_first"],
    ),
    mutant(
        "cost-default-page-largest",
        "books without `first` priced as the largest page, 50, not the default 10",
        replace(
            COST,
            "    if not isinstance(value, int):\n        return PAGE_DEFAULT\n",
            "    if not isinstance(value, int):\n        return PAGE_MAX\n",
        ),
        catches=["limits::cost_multiplies_by_first"],
    ),
    mutant(
        "cost-fragment-counted-once",
        "one set of visited fragments for the whole operation, to stop cycles: the second spread costs nothing",
        replace(COST, "values, frozenset())", "values, set())  # type: ignore[arg-type]"),
        replace(
            COST,
            "fragment.selection_set, fragments, seen | {name})",
            "fragment.selection_set, fragments, seen.add(name) or seen)  # type: ignore[attr-defined]",
        ),
        catches=["limits::cost_counts_fragments"],
    ),
    mutant(
        "cost-search-not-a-list",
        "search priced as one result: only Author.books multiplies among the lists without `first`",
        replace(COST, 'LISTS = {("Author", "books"), ("Query", "search")}', 'LISTS = {("Author", "books")}'),
        catches=["limits::cost_multiplies_nested_lists"],
    ),
    mutant(
        "cost-lists-add",
        "a list's page added to its selection's cost instead of multiplying it",
        replace(
            COST,
            "total += 1 + multiplier(owner.name, field, variables) * inner",
            "total += 1 + multiplier(owner.name, field, variables) + inner",
        ),
        catches=["limits::cost_multiplies_nested_lists", "limits::cost_multiplies_by_first"],
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
    blind(
        "loaders-shared-across-requests",
        (
            "I built the DataLoaders once on the view instead of in every get_context call: they still "
            "batch each tick into one statement, and a warm cache saves even more queries between "
            "requests."
        ),
        replace(
            "app/main.py",
            "class GraphQLApp(GraphQL):\n    async def get_context(self, request: Request, response: Response) -> dict[str, Any]:  # type: ignore[override]\n        loaders = db.Loaders()\n",
            "class GraphQLApp(GraphQL):\n    shared_loaders: db.Loaders | None = None\n\n    async def get_context(self, request: Request, response: Response) -> dict[str, Any]:  # type: ignore[override]\n        # One set for the app: the batching is the same and the cache stays warm between requests.\n        if GraphQLApp.shared_loaders is None:\n            GraphQLApp.shared_loaders = db.Loaders()\n        loaders = GraphQLApp.shared_loaders\n",
        ),
        catches=["queries::author_books"],
        rules=["R3.4"],
    ),
    blind(
        "book-author-bypasses-loader",
        (
            "A book has exactly one author, so I looked it up by primary key in Book.author instead of "
            "going through the loader; Author.books and the top-level author query still use their "
            "loaders."
        ),
        replace(
            "app/schema.py",
            '    async def author(self, info: Info) -> Author:\n        return Author.of(await info.context["loaders"].author.load(self._author_id))\n',
            '    async def author(self) -> Author:\n        rows = await db.fetch("SELECT * FROM authors WHERE id = %s", (self._author_id,))\n        return Author.of(rows[0])\n',
        ),
        catches=["batching::nested_lists"],
        rules=["R5.1"],
    ),
    blind(
        "cursor-encodes-an-offset",
        (
            "My cursor encodes how many books the client has already seen and the next page uses "
            "OFFSET: it is still opaque (base64 of book:N) and paging from the start visits every book "
            "once."
        ),
        replace(
            "app/schema.py",
            "        before = decode_cursor(after) if after is not None else None\n",
            "        skip = decode_cursor(after) if after is not None else 0\n",
        ),
        replace(
            "app/schema.py",
            '            "SELECT * FROM books WHERE (%(before)s::bigint IS NULL OR id < %(before)s)"\n            " AND (%(author)s::bigint IS NULL OR author_id = %(author)s) ORDER BY id DESC LIMIT %(limit)s",\n            {"before": before, "author": author, "limit": first + 1},  # type: ignore[arg-type]\n',
            '            "SELECT * FROM books WHERE (%(author)s::bigint IS NULL OR author_id = %(author)s)"\n            " ORDER BY id DESC OFFSET %(skip)s LIMIT %(limit)s",\n            {"skip": skip, "author": author, "limit": first + 1},  # type: ignore[arg-type]\n',
        ),
        replace(
            "app/schema.py",
            '        edges = [BookEdge(cursor=encode_cursor(row["id"]), node=Book.of(row)) for row in rows[:first]]\n',
            "        edges = [\n            BookEdge(cursor=encode_cursor(skip + i + 1), node=Book.of(row)) for i, row in enumerate(rows[:first])\n        ]\n",
        ),
        catches=["pagination::stable_under_inserts"],
        rules=["R6.3"],
    ),
    blind(
        "has-next-page-on-full-page",
        (
            "Fetching one row more than asked for felt wasteful, so I fetch exactly `first` rows and "
            "say there is a next page whenever the page came back full."
        ),
        replace(
            "app/schema.py",
            '{"before": before, "author": author, "limit": first + 1},',
            '{"before": before, "author": author, "limit": first},',
        ),
        replace(
            "app/schema.py",
            "has_next_page=len(rows) > first,",
            "has_next_page=len(rows) == first,",
        ),
        catches=["pagination::walk_pages"],
        rules=["R6.2", "R6.1"],
    ),
    blind(
        "page-size-cap-off-by-one",
        (
            "I wrote the page-size check like a range: MAX_PAGE is where the refused sizes start, so "
            "the bound is exclusive."
        ),
        replace(
            "app/schema.py",
            "        if not 1 <= first <= MAX_PAGE:\n",
            "        if not 1 <= first < MAX_PAGE:\n",
        ),
        catches=["pagination::page_size_limits"],
        rules=["R6.4"],
    ),
    blind(
        "depth-rule-skips-fragment-spreads",
        (
            "I wrote my own depth validation rule so the root field counts as level 1 like the contract "
            "says; it walks fields and inline fragments and skips introspection fields, but a named "
            "fragment spread adds nothing."
        ),
        replace(
            "app/schema.py",
            "from graphql import GraphQLError\n",
            "from graphql import FieldNode, GraphQLError, InlineFragmentNode, SelectionSetNode, ValidationRule\n",
        ),
        replace(
            "app/schema.py",
            "from strawberry.extensions import MaskErrors, MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension\n",
            "from strawberry.extensions import AddValidationRules, MaskErrors, MaxAliasesLimiter, SchemaExtension\n",
        ),
        replace(
            "app/schema.py",
            "def unexpected(error: GraphQLError) -> bool:\n",
            'def depth(selection_set: SelectionSetNode | None) -> int:\n    """Levels of fields in a selection set (introspection fields do not count)."""\n    deepest = 0\n    for selection in selection_set.selections if selection_set is not None else ():\n        if isinstance(selection, FieldNode):\n            if not selection.name.value.startswith("__"):\n                deepest = max(deepest, 1 + depth(selection.selection_set))\n        elif isinstance(selection, InlineFragmentNode):\n            deepest = max(deepest, depth(selection.selection_set))\n    return deepest\n\n\nclass DepthLimit(ValidationRule):\n    def enter_operation_definition(self, node, *_args):  # type: ignore[no-untyped-def]\n        levels = depth(node.selection_set)\n        if levels > MAX_DEPTH:\n            self.report_error(GraphQLError(f"Query depth {levels} is over the limit of {MAX_DEPTH}.", node))\n\n\ndef unexpected(error: GraphQLError) -> bool:\n',
        ),
        replace(
            "app/schema.py",
            "    partial(QueryDepthLimiter, max_depth=MAX_DEPTH - 1),  # Strawberry counts the root field as 0\n",
            "    partial(AddValidationRules, [DepthLimit]),\n",
        ),
        catches=["limits::depth_limit"],
        rules=["R7.1"],
    ),
    blind(
        "alias-limit-checked-after-execution",
        (
            "I count the aliases in my own extension, after the yield of on_execute where the execution "
            "context is filled in (like MaskErrors edits the result), and turn the result into the "
            "alias error when there are too many."
        ),
        replace(
            "app/schema.py",
            "from graphql import GraphQLError\n",
            "from graphql import (\n    FieldNode,\n    FragmentDefinitionNode,\n    FragmentSpreadNode,\n    GraphQLError,\n    OperationDefinitionNode,\n    SelectionSetNode,\n)\n",
        ),
        replace(
            "app/schema.py",
            "def unexpected(error: GraphQLError) -> bool:\n",
            'def count_aliases(selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode]) -> int:\n    count = 0\n    for selection in selection_set.selections if selection_set is not None else ():\n        if isinstance(selection, FragmentSpreadNode):\n            fragment = fragments.get(selection.name.value)\n            count += count_aliases(fragment.selection_set, fragments) if fragment else 0\n        else:\n            count += 1 if isinstance(selection, FieldNode) and selection.alias else 0\n            count += count_aliases(selection.selection_set, fragments)\n    return count\n\n\nclass AliasLimit(SchemaExtension):\n    def on_execute(self):  # type: ignore[no-untyped-def]\n        yield\n        document = self.execution_context.graphql_document\n        if document is None:\n            return\n        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}\n        count = sum(\n            count_aliases(d.selection_set, fragments)\n            for d in document.definitions\n            if isinstance(d, OperationDefinitionNode)\n        )\n        result = self.execution_context.result\n        if count > MAX_ALIASES and result is not None:\n            result.data = None\n            result.errors = [GraphQLError(f"{count} aliases found, at most {MAX_ALIASES} allowed.")]\n\n\ndef unexpected(error: GraphQLError) -> bool:\n',
        ),
        replace(
            "app/schema.py",
            "    partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),\n",
            "    AliasLimit,\n",
        ),
        catches=["limits::alias_limit"],
        rules=["R7.3"],
    ),
    blind(
        "search-failure-reported-with-its-text",
        (
            "I wrapped search's SQL in try/except and re-raised a GraphQLError with a code, so clients "
            "get something to branch on and the message says what the database did not like."
        ),
        replace(
            "app/schema.py",
            '        authors = await db.fetch("SELECT * FROM authors WHERE name ILIKE %s ORDER BY id", (pattern,))\n        books = await db.fetch("SELECT * FROM books WHERE title ILIKE %s ORDER BY id", (pattern,))\n',
            '        try:\n            authors = await db.fetch("SELECT * FROM authors WHERE name ILIKE %s ORDER BY id", (pattern,))\n            books = await db.fetch("SELECT * FROM books WHERE title ILIKE %s ORDER BY id", (pattern,))\n        except Exception as exc:\n            raise error(f"Search failed: {exc}", "INTERNAL_SERVER_ERROR") from exc\n',
        ),
        catches=["errors::unexpected_failure_is_masked"],
        rules=["R4.4"],
    ),
    blind(
        "create-book-permission-class-without-code",
        (
            "I moved the token check of createBook into a Strawberry permission class, the idiomatic "
            "way, with the same message; its error carries no extensions unless you set them."
        ),
        replace(
            "app/schema.py",
            "from strawberry.types import Info\n",
            "from strawberry.permission import BasePermission\nfrom strawberry.types import Info\n",
        ),
        replace(
            "app/schema.py",
            "@strawberry.type\nclass Mutation:\n",
            'class IsAuthenticated(BasePermission):\n    message = "Creating a book needs a bearer token naming an author."\n\n    def has_permission(self, source, info: Info, **kwargs) -> bool:  # type: ignore[no-untyped-def]\n        return info.context["viewer"] is not None\n\n\n@strawberry.type\nclass Mutation:\n',
        ),
        replace(
            "app/schema.py",
            '    @strawberry.mutation\n    async def create_book(self, input: NewBook, info: Info) -> Book:  # noqa: A002 (the schema names it input)\n        viewer = info.context["viewer"]\n        if viewer is None:\n            raise error("Creating a book needs a bearer token naming an author.", "UNAUTHENTICATED")\n',
            '    @strawberry.mutation(permission_classes=[IsAuthenticated])\n    async def create_book(self, input: NewBook, info: Info) -> Book:  # noqa: A002 (the schema names it input)\n        viewer = info.context["viewer"]\n',
        ),
        catches=["auth::create_book_needs_a_viewer", "auth::token_forms"],
        rules=["R8.2"],
    ),
    blind(
        "email-readable-by-any-signed-in-viewer",
        (
            "I guarded Author.email on the field itself as the lab asks, refusing it with FORBIDDEN "
            "when the request has no viewer; a signed-in author reading an email seemed fine."
        ),
        replace(
            "app/schema.py",
            '        if info.context["viewer"] != int(self.id):\n            raise error("Only the author may read their email.", "FORBIDDEN")\n',
            '        if info.context["viewer"] is None:\n            raise error("Sign in to read an author\'s email.", "FORBIDDEN")\n',
        ),
        catches=["auth::email_is_private"],
        rules=["R8.3"],
    ),
    blind(
        "search-declared-non-null",
        (
            "search always returns a list, empty when nothing matches, so I declared it "
            "[SearchResult!]! instead of leaving the outer list nullable."
        ),
        replace(
            "app/schema.py",
            "    async def search(self, text: str) -> list[SearchResult] | None:\n",
            "    async def search(self, text: str) -> list[SearchResult]:\n",
        ),
        catches=["errors::partial_data", "schema::operations_and_inputs"],
        rules=["R2.2", "R4.5"],
    ),
    blind(
        "created-at-timestamp-without-zone",
        (
            "The server runs in UTC, so a plain timestamp column with DEFAULT now() seemed enough for "
            "createdAt; publishedAt stays timestamptz because clients send offsets."
        ),
        replace(
            "app/db.py",
            "    email text NOT NULL,\n    created_at timestamptz NOT NULL DEFAULT now()\n",
            "    email text NOT NULL,\n    created_at timestamp NOT NULL DEFAULT now()\n",
        ),
        replace(
            "app/db.py",
            "    author_id bigint NOT NULL REFERENCES authors (id),\n    created_at timestamptz NOT NULL DEFAULT now()\n",
            "    author_id bigint NOT NULL REFERENCES authors (id),\n    created_at timestamp NOT NULL DEFAULT now()\n",
        ),
        catches=["queries::datetimes_are_iso", "queries::search"],
        rules=["R3.5"],
    ),
    blind(
        "get-queries-run-by-own-handler",
        (
            "Strawberry answered GET from a browser with the GraphiQL page, so I run GET requests that "
            "carry a query myself with schema.execute, decoding variables from the URL, and leave POST "
            "and WebSocket to Strawberry."
        ),
        replace(
            "app/main.py",
            "from collections.abc import AsyncIterator\n",
            "import json\nfrom collections.abc import AsyncIterator\n",
        ),
        replace(
            "app/main.py",
            "class GraphQLApp(GraphQL):\n",
            'class GraphQLApp(GraphQL):\n    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:\n        if scope["type"] == "http" and scope["method"] == "GET" and "query" in Request(scope).query_params:\n            response = await self.run_get(Request(scope, receive))\n            await response(scope, receive, send)\n        else:\n            await super().__call__(scope, receive, send)\n\n    async def run_get(self, request: Request) -> Response:\n        params = request.query_params\n        try:\n            variables = json.loads(params["variables"]) if params.get("variables") else None\n        except ValueError:\n            return JSONResponse({"errors": [{"message": "variables must be JSON."}]}, status_code=400)\n        result = await schema.execute(\n            params["query"],\n            variable_values=variables,\n            context_value=await self.get_context(request, Response()),\n            operation_name=params.get("operationName"),\n        )\n        body: dict[str, Any] = {"data": result.data}\n        if result.errors:\n            body["errors"] = [err.formatted for err in result.errors]\n        return JSONResponse(body)\n\n',
        ),
        catches=["transport::get_refuses_mutations"],
        rules=["R1.3"],
    ),
    blind(
        "one-event-queue-for-all-subscriptions",
        (
            "I used one asyncio.Queue as the app's event bus, the producer/consumer pattern from the "
            "asyncio docs: createBook puts each book in it and a subscription empties stale events when "
            "it starts."
        ),
        replace(
            "app/schema.py",
            "# One queue per open subscription: createBook puts each new book into every queue, in creation order.\nlisteners: set[asyncio.Queue[db.Row]] = set()\n",
            "# The app's event bus: createBook puts each new book into it, in creation order.\nevents: asyncio.Queue[db.Row] = asyncio.Queue()\n",
        ),
        replace(
            "app/schema.py",
            '        queue: asyncio.Queue[db.Row] = asyncio.Queue()\n        listeners.add(queue)\n        try:\n            while True:\n                row = await queue.get()\n                if author_id is None or str(row["author_id"]) == author_id:\n                    yield Book.of(row)\n        finally:\n            listeners.discard(queue)\n',
            '        while not events.empty():  # only books created from now on\n            events.get_nowait()\n        while True:\n            row = await events.get()\n            if author_id is None or str(row["author_id"]) == author_id:\n                yield Book.of(row)\n',
        ),
        replace(
            "app/schema.py",
            "        for queue in listeners:\n            queue.put_nowait(rows[0])\n",
            "        events.put_nowait(rows[0])\n",
        ),
        catches=["subscriptions::author_filter"],
        rules=["R9.1", "R9.2"],
    ),
    blind(
        "naive-published-at-taken-as-utc",
        (
            "Being liberal in what I accept, a publishedAt without an offset is read as UTC instead of "
            "refused; one with an offset is kept as given."
        ),
        replace(
            "app/schema.py",
            "from datetime import datetime\n",
            "from datetime import datetime, timezone\n",
        ),
        replace(
            "app/schema.py",
            '        if input.published_at.tzinfo is None:\n            raise error("publishedAt needs a UTC offset.", "BAD_USER_INPUT")\n',
            "        if input.published_at.tzinfo is None:\n            input.published_at = input.published_at.replace(tzinfo=timezone.utc)\n",
        ),
        catches=["queries::published_at"],
        rules=["R3.6"],
    ),
    blind(
        "blank-check-misses-whitespace",
        (
            "My required() refuses an empty name, email or title; I left strings of spaces alone "
            "because the values are stored as given, without trimming."
        ),
        replace(
            "app/schema.py",
            "    if not value.strip():\n",
            "    if not value:\n",
        ),
        catches=["errors::domain_errors"],
        rules=["R4.3"],
    ),
]
