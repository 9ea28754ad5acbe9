# ruff: noqa: E501  (the blind mutants keep their author's text verbatim)
"""Known-bad variants of solutions/lab02-rest-api: each is a mistake learners make with REST APIs.

Each names the contract rules it breaks (`rules=`). The blind ones (at the end) were written from the
README contract and the solution only; own mutants that did the same as a blind one were dropped in
favour of it.
"""

from __future__ import annotations

from tests.mutants import blind, mutant, replace

BOOKS = "app/api/routes/books.py"
AUTHORS = "app/api/routes/authors.py"
HTTP = "app/api/http.py"
DEPS = "app/api/deps.py"
PROBLEMS = "app/core/problems.py"
RESPONSES = "app/core/responses.py"
LIMIT = "app/core/ratelimit.py"
IDEM = "app/core/idempotency.py"
BODY = "app/core/bodylimit.py"
MODELS = "app/models.py"
STORE = "app/store.py"
MAIN = "app/main.py"

MUTANTS = [
    # -- resources and methods ---------------------------------------------------------------------
    mutant(
        "create-answers-200",
        "the route decorator says 201 but the handler builds its own response with the default 200",
        replace(BOOKS, 'status=201, headers={"Location": location})', 'headers={"Location": location})'),
        replace(AUTHORS, 'status=201, headers={"Location": location})', 'headers={"Location": location})'),
        catches=["resources::create_author", "resources::create_book"],
        rules=["R3.3"],
    ),
    mutant(
        "no-location",
        "a 201 without the Location of what was created",
        replace(BOOKS, 'status=201, headers={"Location": location})', "status=201)"),
        catches=["resources::create_book", "versions::v2_location"],
        rules=["R3.3", "R7.4"],
    ),
    mutant(
        "missing-item-500",
        "no check for a missing book: None reaches the serialiser and the app answers 500",
        replace(
            BOOKS,
            "    if book is None:\n"
            '        raise Problem(404, f"no book with id {book_id}", kind="not-found")\n',
            "",
        ),
        catches=[
            "resources::missing_item_is_404",
            "errors::not_found_is_problem",
            "resources::delete_answers_204",
        ],
        rules=["R3.4", "R5.5"],
    ),
    mutant(
        "put-upserts",
        "PUT to an unknown id creates the book instead of answering 404",
        replace(
            BOOKS,
            "    book = get_book(store, book_id)\n"
            "    check_if_match(request, present(store, book, version))\n"
            "    fields = payload.model_dump()\n",
            "    fields = payload.model_dump()\n"
            "    book = store.books.get(book_id) or store.add_book(**fields)\n",
        ),
        catches=["resources::put_replaces"],
        rules=["R3.5"],
    ),
    mutant(
        "put-is-a-patch",
        "PUT validates with the PATCH model: a partial body is accepted as a replacement",
        replace(
            BOOKS,
            "request: Request, book_id: int, payload: BookIn, store: StoreDep",
            "request: Request, book_id: int, payload: BookPatch, store: StoreDep",
        ),
        replace(
            BOOKS,
            "    fields = payload.model_dump()\n    check_references(store, fields, book_id)",
            "    fields = payload.model_dump(exclude_unset=True)\n"
            "    check_references(store, fields, book_id)",
        ),
        catches=["validation::put_needs_every_field"],
        rules=["R4.16"],
    ),
    mutant(
        "patch-resets-missing-fields",
        "PATCH dumps the whole model, so the fields left out are set to None",
        replace(
            BOOKS,
            "    fields = payload.model_dump(exclude_unset=True)\n",
            "    fields = payload.model_dump()\n",
        ),
        catches=["resources::patch_changes_only_given_fields"],
        rules=["R3.6"],
    ),
    mutant(
        "delete-answers-200",
        "DELETE answers 200 with a confirmation body instead of 204 No Content",
        replace(
            BOOKS,
            "    del store.books[book_id]\n    return Response(status_code=204)",
            "    del store.books[book_id]\n    return Response(b'{\"deleted\": true}', status_code=200)",
        ),
        catches=["resources::delete_answers_204"],
        rules=["R3.7"],
    ),
    mutant(
        "framework-405",
        "FastAPI's own 405 is left in place: its Allow lists only the methods of the first matching route",
        replace(
            BOOKS,
            'refuse_others(router, "", ["GET", "HEAD", "POST"])\n'
            'refuse_others(router, "/{book_id}", ["GET", "HEAD", "PUT", "PATCH", "DELETE"])\n',
            "",
        ),
        catches=["resources::collection_405_with_allow", "resources::item_405_with_allow"],
        rules=["R3.9"],
    ),
    mutant(
        "plain-text-405",
        "the 405 is written by hand as plain text, outside the error format",
        replace(
            HTTP,
            '        raise Problem(405, f"{request.method} is not allowed here; use {allow}", '
            'headers={"Allow": allow})',
            '        return Response("Method Not Allowed", status_code=405, headers={"Allow": allow})',
        ),
        catches=["errors::method_not_allowed_is_problem"],
        rules=["R5.1"],
    ),
    mutant(
        "duplicate-isbn-accepted",
        "uniqueness is not checked: two books share an ISBN",
        replace(BOOKS, "        if owner is not None and owner != book_id:\n", "        if False:\n"),
        catches=["resources::duplicate_isbn_is_409"],
        rules=["R3.11"],
    ),
    mutant(
        "author-deleted-with-books",
        "an author is deleted while books still point at them",
        replace(AUTHORS, "    if store.has_books(author_id):\n", "    if False:\n"),
        catches=["resources::delete_author_with_books_is_409", "errors::conflict_is_problem"],
        rules=["R3.13"],
    ),
    mutant(
        "no-head",
        "GET routes declared with @router.get: FastAPI does not add HEAD by itself",
        replace(
            BOOKS, '@router.api_route("", methods=["GET", "HEAD"])', '@router.api_route("", methods=["GET"])'
        ),
        replace(
            BOOKS,
            '@router.api_route("/{book_id}", methods=["GET", "HEAD"])',
            '@router.api_route("/{book_id}", methods=["GET"])',
        ),
        catches=["resources::head_item", "resources::head_collection"],
        rules=["R3.8"],
    ),
    mutant(
        "unversioned-alias",
        "the routers are also mounted without a version prefix, so /books exists",
        replace(
            MAIN,
            'app.include_router(api, prefix="/v2")\n',
            'app.include_router(api, prefix="/v2")\napp.include_router(api)\n',
        ),
        catches=["resources::unknown_path_is_404"],
        rules=["R3.10"],
    ),
    # -- validation --------------------------------------------------------------------------------
    mutant(
        "lax-types",
        "pydantic's lax mode converts '1974' to 1974 and true to 1",
        replace(
            MODELS,
            'model_config = ConfigDict(strict=True, extra="forbid")',
            'model_config = ConfigDict(extra="forbid")',
        ),
        catches=["validation::wrong_types", "validation::refused_request_changes_nothing"],
        rules=["R4.14"],
    ),
    mutant(
        "first-error-only",
        "only the first validation error is reported",
        replace(
            PROBLEMS,
            '    fields = [{"field": _field_name(tuple(e["loc"])), "message": e["msg"]} for e in errors]',
            '    fields = [{"field": _field_name(tuple(e["loc"])), "message": e["msg"]} for e in errors[:1]]',
        ),
        catches=["validation::all_errors_at_once", "errors::validation_problem_has_field_errors"],
        rules=["R4.5"],
    ),
    mutant(
        "title-limit-unenforced",
        "the maximum length of a title is not enforced",
        replace(MODELS, "min_length=1, max_length=200)", "min_length=1)"),
        catches=["validation::length_limits"],
        rules=["R4.10"],
    ),
    mutant(
        "length-in-bytes",
        "lengths measured on the UTF-8 bytes: 200 'é' are refused",
        replace(
            MODELS,
            "Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]",
            "def _short(value: str) -> str:\n    if len(value.encode()) > 200:\n"
            '        raise ValueError("at most 200 characters")\n    return value\n\n\n'
            "Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), "
            "AfterValidator(_short)]",
        ),
        replace(MODELS, "from pydantic import BaseModel,", "from pydantic import AfterValidator, BaseModel,"),
        catches=["validation::length_in_characters"],
        rules=["R4.8"],
    ),
    mutant(
        "no-trimming",
        "strings are stored as sent, surrounding whitespace included",
        replace(
            MODELS,
            "Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]",
            "Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]",
        ),
        replace(
            MODELS,
            "Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]",
            "Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]",
        ),
        catches=["validation::whitespace_trimmed"],
        rules=["R4.7"],
    ),
    mutant(
        "unknown-fields-ignored",
        "extra fields are silently dropped instead of refused",
        replace(
            MODELS,
            'model_config = ConfigDict(strict=True, extra="forbid")',
            'model_config = ConfigDict(strict=True, extra="ignore")',
        ),
        catches=["validation::unknown_fields_refused"],
        rules=["R4.18"],
    ),
    mutant(
        "year-range-exclusive",
        "an off-by-one at the end of the year range: 2100 is refused",
        replace(MODELS, "Field(ge=1, le=2100)", "Field(ge=1, lt=2100)"),
        catches=["validation::year_range"],
        rules=["R4.12"],
    ),
    mutant(
        "unknown-author-404",
        "a reference to a missing author answers 404, as if the URL did not exist",
        replace(
            BOOKS,
            '        raise FieldErrors([{"field": "author_id", '
            '"message": f"no author with id {fields[\'author_id\']}"}])',
            '        raise Problem(404, "no such author", kind="not-found")',
        ),
        catches=["validation::unknown_author"],
        rules=["R4.13"],
    ),
    mutant(
        "patch-takes-null",
        "PATCH fields are Optional, so null is stored in a required field",
        replace(
            MODELS,
            '        if value is None:\n            raise ValueError("may be left out but not null")\n',
            "",
        ),
        catches=["validation::patch_refuses_null"],
        rules=["R4.17"],
    ),
    mutant(
        "half-applied-patch",
        "the book is updated before the author reference is checked",
        replace(
            BOOKS,
            "    fields = payload.model_dump(exclude_unset=True)\n"
            "    check_references(store, fields, book_id)\n"
            "    update(book, fields)\n",
            "    fields = payload.model_dump(exclude_unset=True)\n    update(book, fields)\n"
            "    check_references(store, fields, book_id)\n",
        ),
        catches=["validation::refused_request_changes_nothing"],
        rules=["R4.6"],
    ),
    mutant(
        "sort-not-validated",
        "sort is a free string: an unknown field crashes the sort with a 500",
        replace(BOOKS, 'sort: Annotated[BookSort, Query()] = "id",', 'sort: Annotated[str, Query()] = "id",'),
        catches=["validation::bad_query_parameters"],
        rules=["R6.12"],
    ),
    # -- errors ------------------------------------------------------------------------------------
    mutant(
        "framework-404-and-errors",
        "the handler is registered for FastAPI's HTTPException, but routing raises Starlette's",
        replace(
            PROBLEMS,
            "    app.add_exception_handler(StarletteHTTPException, on_http_error)",
            "    app.add_exception_handler(HTTPException, on_http_error)",
        ),
        replace(
            PROBLEMS,
            "from fastapi import FastAPI, Request",
            "from fastapi import FastAPI, HTTPException, Request",
        ),
        catches=["errors::unknown_route_is_problem", "versions::unknown_version_is_404"],
        rules=["R5.1", "R7.5"],
    ),
    mutant(
        "framework-default-for-other-errors",
        "only 404 and 405 are customised; other HTTP errors (a body that is not UTF-8) get the default body",
        replace(
            PROBLEMS,
            "    return problem_response(exc.status_code, str(exc.detail), headers=exc.headers)",
            "    return await http_exception_handler(request, exc)",
        ),
        replace(
            PROBLEMS,
            "from fastapi import FastAPI, Request",
            "from fastapi import FastAPI, Request\n"
            "from fastapi.exception_handlers import http_exception_handler",
        ),
        catches=["errors::invalid_utf8_is_400"],
        rules=["R4.4", "R5.1"],
    ),
    mutant(
        "framework-validation-errors",
        'FastAPI\'s default validation answer: 422 {"detail": [...]} for everything, input echoed',
        replace(PROBLEMS, "    app.add_exception_handler(RequestValidationError, on_validation_error)\n", ""),
        catches=[
            "validation::missing_field",
            "errors::validation_problem_has_field_errors",
            "errors::malformed_json_is_400",
            "errors::huge_numbers_never_500",
        ],
        rules=["R5.3", "R4.4", "R4.15"],
    ),
    mutant(
        "errors-echo-input",
        "field errors echo the rejected value: 1e999 is infinity, which JSON cannot encode (500)",
        replace(
            PROBLEMS,
            '{"field": _field_name(tuple(e["loc"])), "message": e["msg"]}',
            '{"field": _field_name(tuple(e["loc"])), "message": e["msg"], "input": e.get("input")}',
        ),
        catches=["errors::huge_numbers_never_500"],
        rules=["R4.15", "R5.5"],
    ),
    mutant(
        "merge-patch-refused",
        "PATCH takes only application/json",
        replace(
            DEPS,
            'allowed = JSON_TYPES if request.method == "PATCH" else {"application/json"}',
            'allowed = {"application/json"}',
        ),
        catches=["errors::merge_patch_accepted"],
        rules=["R4.2"],
    ),
    # -- JSON --------------------------------------------------------------------------------------
    mutant(
        "no-charset",
        "FastAPI's JSONResponse says application/json without the charset",
        replace(
            RESPONSES,
            '    media_type = "application/json; charset=utf-8"',
            '    media_type = "application/json"',
        ),
        replace(
            RESPONSES,
            '    media_type = "application/problem+json; charset=utf-8"',
            '    media_type = "application/problem+json"',
        ),
        catches=["json::json_content_type_has_charset", "json::problem_content_type_has_charset"],
        rules=["R1.4"],
    ),
    mutant(
        "ascii-sanitiser",
        "'sanitising' names by dropping everything that is not ASCII",
        replace(
            MODELS,
            "class AuthorIn(Input):\n    name: Name\n",
            "class AuthorIn(Input):\n    name: Name\n\n"
            '    @field_validator("name")\n    @classmethod\n    def ascii_only(cls, value: str) -> str:\n'
            '        return value.encode("ascii", "ignore").decode()\n',
        ),
        catches=["json::utf8_round_trip"],
        rules=["R1.5"],
    ),
    mutant(
        "page-numbers-from-query-string",
        "per_page is echoed from the raw query string, so it becomes a string",
        replace(
            HTTP,
            '"per_page": per_page, "total"',
            '"per_page": request.query_params.get("per_page", per_page), "total"',
        ),
        catches=["json::numbers_are_numbers", "lists::page_envelope"],
        rules=["R1.7"],
    ),
    mutant(
        "camel-case-envelope",
        "one name in another convention: perPage",
        replace(HTTP, '"per_page": per_page, "total"', '"perPage": per_page, "total"'),
        catches=["json::snake_case_fields"],
        rules=["R1.6"],
    ),
    # -- lists -------------------------------------------------------------------------------------
    mutant(
        "page-off-by-one",
        "pages counted from 0: page 1 skips the first per_page items",
        replace(HTTP, "    start = (page - 1) * per_page\n", "    start = page * per_page\n"),
        catches=["lists::walk_all_pages", "lists::filters", "lists::sort_by_title", "lists::sort_by_year"],
        rules=["R6.5", "R6.2"],
    ),
    mutant(
        "no-link-header",
        "next in the body only, no Link header",
        replace(
            HTTP,
            '    headers = {"Link": f\'<{next_url}>; rel="next"\'} if next_url else None\n',
            "    headers = None\n",
        ),
        catches=["lists::link_header_next"],
        rules=["R6.7"],
    ),
    mutant(
        "year-filter-ignored",
        "the year filter is accepted but not applied",
        replace(
            STORE,
            "        if year is not None:\n            books = (b for b in books if b.year == year)\n",
            "",
        ),
        catches=["lists::filters", "lists::next_keeps_query"],
        rules=["R6.10"],
    ),
    mutant(
        "page-size-uncapped",
        "no upper bound on per_page",
        replace(
            DEPS,
            "per_page: Annotated[int, Query(ge=1, le=100)] = 20,",
            "per_page: Annotated[int, Query(ge=1)] = 20,",
        ),
        catches=["lists::page_size_limits"],
        rules=["R6.3"],
    ),
    mutant(
        "page-past-end-404",
        "an empty page past the end is treated as not found",
        replace(
            HTTP,
            "    next_url = None\n",
            '    if not chunk and page > 1:\n        raise Problem(404, "no such page")\n'
            "    next_url = None\n",
        ),
        catches=["lists::page_past_end"],
        rules=["R6.8"],
    ),
    mutant(
        "authors-unpaginated",
        "the authors collection returns every author in one envelope-less list",
        replace(
            AUTHORS,
            "    return page_response(request, items, page=paging.page, per_page=paging.per_page)",
            "    return JSONResponse(items)",
        ),
        replace(
            AUTHORS,
            "from app.core.problems import Problem",
            "from app.core.problems import Problem\nfrom app.core.responses import JSONResponse",
        ),
        catches=["lists::authors_paginated"],
        rules=["R6.1", "R3.2"],
    ),
    # -- versions ----------------------------------------------------------------------------------
    mutant(
        "v2-everywhere",
        "the version is read from the wrong place and every request gets the v2 shape",
        replace(DEPS, '    return 2 if request.url.path.startswith("/v2/") else 1', "    return 2"),
        catches=["versions::v1_book_shape"],
        rules=["R7.2", "R2.2"],
    ),
    mutant(
        "v1-everywhere",
        "/v2 is mounted, but the representation never changes",
        replace(DEPS, '    return 2 if request.url.path.startswith("/v2/") else 1', "    return 1"),
        catches=[
            "versions::v2_book_shape",
            "versions::v2_lists",
            "versions::v2_location",
            "versions::v2_follows_author_rename",
        ],
        rules=["R7.2", "R2.3", "R7.4"],
    ),
    mutant(
        "store-per-version",
        "/v2 was copied from /v1 together with its own storage",
        replace(
            STORE,
            "store = Store()\n\n\ndef get_store() -> Store:\n    return store\n",
            "stores = {1: Store(), 2: Store()}\n\n\ndef get_store(request: Request) -> Store:\n"
            '    return stores[2 if request.url.path.startswith("/v2/") else 1]\n',
        ),
        replace(
            STORE,
            "from itertools import count\n",
            "from itertools import count\n\nfrom fastapi import Request\n",
        ),
        catches=["versions::same_data"],
        rules=["R7.1", "R3.1"],
    ),
    mutant(
        "v2-cached-author-name",
        "the v2 representation is memoised per book version, so an author's new name never shows",
        replace(
            BOOKS,
            '    return BookV2.of(book, store.authors[book.author_id]).model_dump(mode="json")',
            "    key = (book.id, book.updated_at)\n    if key not in V2_CACHE:\n"
            '        V2_CACHE[key] = BookV2.of(book, store.authors[book.author_id]).model_dump(mode="json")\n'
            "    return V2_CACHE[key]",
        ),
        replace(
            BOOKS,
            'router = APIRouter(prefix="/books", tags=["books"])\n',
            'router = APIRouter(prefix="/books", tags=["books"])\nV2_CACHE: dict = {}\n',
        ),
        catches=["versions::v2_follows_author_rename", "conditional::v2_etag_follows_author"],
        rules=["R7.3", "R8.3"],
    ),
    # -- conditional requests ----------------------------------------------------------------------
    mutant(
        "etag-never-changes",
        "the ETag is derived from the id only",
        replace(HTTP, "    etag = etag_of(body)\n", '    etag = etag_of(str(item["id"]).encode())\n'),
        catches=["conditional::etag_changes_on_update", "conditional::v2_etag_follows_author"],
        rules=["R8.2"],
    ),
    mutant(
        "weak-etag",
        "a weak ETag, which If-Match can never match",
        replace(
            RESPONSES,
            """    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'""",
            """    return 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"'""",
        ),
        catches=["conditional::etag_on_items"],
        rules=["R8.1"],
    ),
    mutant(
        "if-none-match-ignored",
        "If-None-Match is never looked at",
        replace(
            HTTP,
            '    if request.method in ("GET", "HEAD") and etag_matches(if_none_match, etag, weak=True):',
            '    if request.method in ("GET", "HEAD") and if_none_match == "never":',
        ),
        catches=["conditional::if_none_match_304", "conditional::if_none_match_list"],
        rules=["R8.4"],
    ),
    mutant(
        "etag-header-compared-as-a-string",
        "the whole header is compared with the tag, so a list of tags never matches",
        replace(RESPONSES, '    for candidate in header.split(","):\n', "    for candidate in [header]:\n"),
        catches=["conditional::if_none_match_list", "conditional::if_match_current_proceeds"],
        rules=["R8.5", "R8.7"],
    ),
    mutant(
        "if-match-ignored",
        "If-Match is not checked: lost updates",
        replace(HTTP, '    header = request.headers.get("if-match")\n', "    header = None\n"),
        catches=["conditional::if_match_stale_412"],
        rules=["R8.6"],
    ),
    mutant(
        "patch-answer-without-etag",
        "the PATCH answer is a plain JSON response: no ETag for the next conditional write",
        replace(
            BOOKS,
            "    check_references(store, fields, book_id)\n    update(book, fields)\n"
            "    return item_response(request, present(store, book, version))\n\n\n@router.delete",
            "    check_references(store, fields, book_id)\n    update(book, fields)\n"
            "    return JSONResponse(present(store, book, version))\n\n\n@router.delete",
        ),
        replace(
            BOOKS,
            "from app.core.problems import FieldErrors, Problem",
            "from app.core.problems import FieldErrors, Problem\nfrom app.core.responses import JSONResponse",
        ),
        catches=["conditional::write_answers_carry_etag"],
        rules=["R8.1"],
    ),
    # -- idempotency -------------------------------------------------------------------------------
    mutant(
        "idempotency-not-installed",
        "Idempotency-Key is ignored: a retried POST creates a second book",
        replace(
            MAIN, "app.add_middleware(IdempotencyMiddleware, ttl=settings.idempotency_ttl_seconds)\n", ""
        ),
        catches=["idempotency::replay_same_answer", "idempotency::key_reuse_with_other_body"],
        rules=["R9.1", "R9.2"],
    ),
    mutant(
        "idempotency-ignores-body",
        "the key alone identifies the request: another body replays the first answer",
        replace(
            IDEM,
            'fingerprint = hashlib.sha256(scope["path"].encode() + b"\\n" + body).hexdigest()',
            'fingerprint = hashlib.sha256(scope["path"].encode()).hexdigest()',
        ),
        catches=["idempotency::key_reuse_with_other_body"],
        rules=["R9.3"],
    ),
    mutant(
        "idempotency-default-key",
        "a missing header falls back to a default key, so unrelated POSTs are deduplicated",
        replace(
            IDEM,
            'key = Headers(scope=scope).get("idempotency-key") if',
            'key = Headers(scope=scope).get("idempotency-key", "default") if',
        ),
        catches=["idempotency::no_key_no_dedup"],
        rules=["R9.6"],
    ),
    mutant(
        "idempotency-keys-unbounded",
        "every key a client sends is kept (until it expires): a client fills the server's memory with keys",
        replace(
            IDEM,
            "        while len(keys) > self.keys_per_client:\n"
            "            keys.popitem(last=False)  # the least recently used key is forgotten\n",
            "",
        ),
        catches=["idempotency::keys_bounded_per_client"],
        rules=["R9.7"],
    ),
    mutant(
        "idempotency-keys-too-few",
        "the bound is one short: the first of a client's 10 keys is already forgotten",
        replace(IDEM, "KEYS_PER_CLIENT = 10", "KEYS_PER_CLIENT = 9"),
        catches=["idempotency::keys_bounded_per_client"],
        rules=["R9.7"],
    ),
    mutant(
        "idempotency-keys-fifo",
        "the oldest key is forgotten first, even one the client just used again",
        replace(IDEM, "            keys.move_to_end(key)  # used: the last to be forgotten\n", ""),
        catches=["idempotency::keys_bounded_per_client"],
        rules=["R9.8"],
    ),
    # -- request bodies ----------------------------------------------------------------------------
    mutant(
        "no-body-limit",
        "bodies of any size are read whole (and fingerprinted, for an Idempotency-Key)",
        replace(MAIN, "app.add_middleware(BodyLimitMiddleware)\n", ""),
        catches=["validation::body_size_limit"],
        rules=["R4.19"],
    ),
    mutant(
        "body-limit-trusts-content-length",
        "only Content-Length is compared with the limit: a body sent in chunks is read whole",
        replace(BODY, "            if len(body) > self.limit:", "            if False:"),
        catches=["validation::body_size_limit"],
        rules=["R4.19"],
    ),
    mutant(
        "body-limit-off-by-one",
        "the limit is one byte short: a body of exactly 16384 bytes is refused",
        replace(BODY, "MAX_BODY_BYTES = 16 * 1024", "MAX_BODY_BYTES = 16 * 1024 - 1"),
        catches=["validation::body_size_limit"],
        rules=["R4.20"],
    ),
    # -- rate limiting -----------------------------------------------------------------------------
    mutant(
        "limit-too-strict",
        "the limit refuses the last allowed request",
        replace(
            LIMIT, "        if len(times) >= self.limit:\n", "        if len(times) >= self.limit - 1:\n"
        ),
        catches=["rate_limit::under_limit_served"],
        rules=["R10.1"],
    ),
    mutant(
        "one-bucket-for-everybody",
        "the limit is counted for all clients together",
        replace(
            LIMIT,
            "        wait = self.retry_after(client_id(scope))\n",
            '        wait = self.retry_after("all")\n',
        ),
        catches=["rate_limit::limit_is_per_client"],
        rules=["R1.2", "R10.1"],
    ),
    mutant(
        "anonymous-unlimited",
        "only clients with an X-Client-Id are limited",
        replace(
            LIMIT,
            "        wait = self.retry_after(client_id(scope))\n",
            "        who = client_id(scope)\n"
            '        wait = None if who.startswith("addr:") else self.retry_after(who)\n',
        ),
        catches=["rate_limit::fallback_to_address"],
        rules=["R1.3", "R10.5"],
    ),
    # -- added with the rule ids: a mutant for every rule no mutant broke yet ------------------------
    mutant(
        "health-says-healthy",
        "the health probe answers its own wording instead of the contract's fixed body",
        replace(MAIN, '    return {"status": "ok"}', '    return {"status": "healthy"}'),
        catches=["resources::health_ok"],
        rules=["R1.1"],
    ),
    mutant(
        "health-counted",
        "the limiter was written before /health existed: the probe spends the budget and can be refused",
        replace(LIMIT, 'EXEMPT = {"/health"}', "EXEMPT: set[str] = set()"),
        catches=["rate_limit::under_limit_served", "rate_limit::fallback_to_address"],
        rules=["R1.1", "R10.2"],
    ),
    mutant(
        "client-sets-id",
        "books may be 'imported' with the client's own id, so a client chooses ids",
        replace(
            MODELS,
            "class BookPatch(NoNulls):",
            "class BookCreate(BookIn):\n    id: Id | None = None\n\n\nclass BookPatch(NoNulls):",
        ),
        replace(
            STORE,
            "    def add_book(self, *, title: str, isbn: str, year: int, author_id: int) -> Book:\n"
            "        book = Book(id=next(self._book_ids),",
            "    def add_book(\n        self, *, title: str, isbn: str, year: int, author_id: int, id: int | None = None\n"
            "    ) -> Book:\n        book = Book(id=id or next(self._book_ids),",
        ),
        replace(
            BOOKS,
            "async def create_book(request: Request, payload: BookIn,",
            "async def create_book(request: Request, payload: BookCreate,",
        ),
        replace(
            BOOKS,
            "from app.models import BookIn, BookPatch,",
            "from app.models import BookCreate, BookIn, BookPatch,",
        ),
        catches=["validation::unknown_fields_refused"],
        rules=["R1.9", "R4.18"],
    ),
    mutant(
        "author-without-updated-at",
        "the author representation was written by hand and forgot updated_at",
        replace(
            MODELS,
            "    name: str\n    created_at: datetime\n    updated_at: datetime\n",
            "    name: str\n    created_at: datetime\n",
        ),
        catches=["resources::create_author", "json::times_are_iso_with_offset"],
        rules=["R2.1", "R1.8"],
    ),
    mutant(
        "charset-parameter-refused",
        "Content-Type compared as a whole: application/json; charset=utf-8 answers 415",
        replace(
            DEPS,
            'media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()',
            'media_type = request.headers.get("content-type", "").strip().lower()',
        ),
        catches=["errors::wrong_media_type_is_415"],
        rules=["R4.1"],
    ),
    mutant(
        "name-limits-before-trimming",
        "the name is trimmed after its length was checked: padding counts, and a blank name passes",
        replace(
            MODELS,
            "Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]",
            "Name = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(str.strip)]",
        ),
        replace(MODELS, "from pydantic import BaseModel,", "from pydantic import AfterValidator, BaseModel,"),
        catches=["validation::length_limits", "validation::whitespace_trimmed"],
        rules=["R4.9", "R4.7"],
    ),
    mutant(
        "unknown-route-problem-by-hand",
        "the 404 of unknown routes is written by hand: status as a string and no detail",
        replace(
            PROBLEMS,
            "    if exc.status_code == 404:\n"
            '        return problem_response(404, f"nothing at {request.url.path}", kind="not-found")\n',
            "    if exc.status_code == 404:\n"
            '        return ProblemResponse({"type": "about:blank", "title": "Not Found", "status": "404"}, '
            "status_code=404)\n",
        ),
        catches=["errors::unknown_route_is_problem"],
        rules=["R5.2"],
    ),
    mutant(
        "query-errors-prefixed",
        "the framework's location is kept for query parameters: the error names 'query.page', not 'page'",
        replace(
            PROBLEMS,
            '    return ".".join(str(part) for part in loc[1:])',
            '    return ".".join(str(part) for part in (loc if loc[0] == "query" else loc[1:]))',
        ),
        catches=["validation::bad_query_parameters"],
        rules=["R5.4"],
    ),
    mutant(
        "default-per-page-10",
        "a default page size of 10, as many tutorials have it",
        replace(
            DEPS,
            "per_page: Annotated[int, Query(ge=1, le=100)] = 20,",
            "per_page: Annotated[int, Query(ge=1, le=100)] = 10,",
        ),
        catches=["lists::page_envelope"],
        rules=["R6.2"],
    ),
    mutant(
        "unknown-query-refused",
        "query parameters are validated strictly, so a cache buster or tracking tag answers 422",
        replace(
            HTTP,
            "    start = (page - 1) * per_page\n",
            '    unknown = set(request.query_params) - {"page", "per_page", "author_id", "year", "sort"}\n'
            "    if unknown:\n"
            '        raise FieldErrors([{"field": name, "message": "unknown parameter"} for name in sorted(unknown)])\n'
            "    start = (page - 1) * per_page\n",
        ),
        replace(
            HTTP,
            "from app.core.problems import Problem\n",
            "from app.core.problems import FieldErrors, Problem\n",
        ),
        catches=["lists::unknown_parameters_ignored"],
        rules=["R6.13"],
    ),
    mutant(
        "authors-newest-first",
        "authors listed newest first, like a feed",
        replace(
            AUTHORS,
            "sorted(store.authors.values(), key=lambda a: a.id)",
            "sorted(store.authors.values(), key=lambda a: a.id, reverse=True)",
        ),
        catches=["lists::authors_paginated"],
        rules=["R6.9"],
    ),
    mutant(
        "head-ignores-if-none-match",
        "the 304 shortcut is written for GET only: HEAD with a matching If-None-Match answers 200 (issue 12 §7)",
        replace(
            HTTP,
            '    if request.method in ("GET", "HEAD") and etag_matches(if_none_match, etag, weak=True):',
            '    if request.method == "GET" and etag_matches(if_none_match, etag, weak=True):',
        ),
        catches=["conditional::if_none_match_on_head"],
        rules=["R8.4", "R3.8"],
    ),
    mutant(
        "retry-after-fraction",
        "Retry-After is the exact remaining time, a fraction of a second, not whole seconds",
        replace(
            LIMIT,
            "            return max(1, math.ceil(times[0] + self.window - now))\n",
            "            return round(times[0] + self.window - now, 3)\n",
        ),
        catches=["rate_limit::over_limit_429"],
        rules=["R10.3"],
    ),
    mutant(
        "limits-hard-coded",
        "the limit is written into the code (the defaults), so RATE_LIMIT and RATE_WINDOW_SECONDS change nothing",
        replace(
            MAIN,
            "limit=settings.rate_limit, window=settings.rate_window_seconds",
            "limit=60, window=60.0",
        ),
        catches=["rate_limit::over_limit_429"],
        rules=["R11.1"],
    ),
    # -- blind: written from the README contract and the solution only (the own mutant that did the
    # same bug was dropped in favour of the blind one) ---------------------------------------------
    blind(
        "next-link-on-exact-multiple",
        "Writing `<=` instead of `<` when deciding whether another page exists looks harmless, but when the total is an exact multiple of per_page the last full page still gets a `next` link (and a Link header) that points at an empty page.",
        replace(
            "app/api/http.py",
            "    if start + per_page < len(items):\n",
            "    if start + per_page <= len(items):\n",
        ),
        catches=["lists::last_page_of_exact_multiple"],
        rules=["R6.5"],
    ),
    blind(
        "next-link-drops-filters",
        "Building the next URL by hand from page and per_page is the obvious approach, and it silently drops author_id, year and sort, so a client following the link walks a different list.",
        replace(
            "app/api/http.py",
            '        url = request.url.include_query_params(page=page + 1, per_page=per_page)\n        next_url = f"{url.path}?{url.query}"  # keeps the filters and the sort of this request\n',
            '        next_url = f"{request.url.path}?page={page + 1}&per_page={per_page}"\n',
        ),
        catches=["lists::next_keeps_query"],
        rules=["R6.6"],
    ),
    blind(
        "total-counts-current-page",
        "Reporting len() of the slice that is actually returned is an easy slip; it is right whenever everything fits on one page, so small manual tests pass.",
        replace(
            "app/api/http.py",
            '"total": len(items)',
            '"total": len(chunk)',
        ),
        catches=["lists::page_envelope"],
        rules=["R6.4"],
    ),
    blind(
        "descending-sort-reverses-tiebreak",
        "Sorting by the tuple (key, id) is the textbook way to make an order stable, but reverse=True then also reverses the id tie-break, so books of the same year come in descending id order under sort=-year.",
        # the draft replaced only the return line, sorting the filter's generator that sorted(by_id)
        # had already consumed (every filtered list came back empty): the sort line goes too
        replace(
            "app/store.py",
            "        by_id = sorted(books, key=lambda b: b.id)\n"
            '        return sorted(by_id, key=lambda b: getattr(b, key), reverse=sort.startswith("-"))\n',
            '        return sorted(books, key=lambda b: (getattr(b, key), b.id), reverse=sort.startswith("-"))\n',
        ),
        catches=["lists::sort_by_title", "lists::sort_by_year"],
        rules=["R6.11"],
    ),
    blind(
        "per-page-silently-capped",
        "Clamping per_page to 100 feels friendlier than an error and is what many public APIs do, so a learner caps it instead of refusing it.",
        replace(
            "app/api/deps.py",
            "        per_page: Annotated[int, Query(ge=1, le=100)] = 20,\n",
            "        per_page: Annotated[int, Query(ge=1)] = 20,\n",
        ),
        replace(
            "app/api/deps.py",
            "        self.per_page = per_page\n",
            "        self.per_page = min(per_page, 100)\n",
        ),
        catches=["lists::page_size_limits"],
        rules=["R6.3"],
    ),
    blind(
        "if-none-match-single-tag-only",
        "Comparing the If-None-Match header directly with the ETag works for every client that sends one tag, so the comma-separated list form is easily forgotten.",
        replace(
            "app/api/http.py",
            "etag_matches(if_none_match, etag, weak=True)",
            "if_none_match == etag",
        ),
        catches=["conditional::if_none_match_list"],
        rules=["R8.5"],
    ),
    blind(
        "not-modified-without-etag",
        "A 304 has no body, so a learner returns a bare Response(status_code=304) and forgets that the validator header must still be sent.",
        replace(
            "app/api/http.py",
            "        return Response(status_code=304, headers=all_headers)\n",
            "        return Response(status_code=304)\n",
        ),
        catches=["conditional::if_none_match_304"],
        rules=["R8.4"],
    ),
    blind(
        "delete-book-ignores-if-match",
        "If-Match feels like an update concern, so the check is added to PUT and PATCH and left out of DELETE on books.",
        replace(
            "app/api/routes/books.py",
            "    check_if_match(request, present(store, book, version))\n    del store.books[book_id]\n",
            "    del store.books[book_id]\n",
        ),
        catches=["conditional::if_match_stale_412"],
        rules=["R8.6"],
    ),
    blind(
        "etag-from-id-and-updated-at",
        "Deriving the ETag from id and updated_at is a common cheap shortcut; it changes on every update of the book itself but not when the v2 representation changes because the embedded author was renamed.",
        replace(
            "app/api/http.py",
            "    etag = etag_of(body)\n",
            "    etag = etag_of(f\"{item['id']}-{item['updated_at']}\".encode())\n",
        ),
        replace(
            "app/api/http.py",
            "etag_of(render_json(current))",
            "etag_of(f\"{current['id']}-{current['updated_at']}\".encode())",
        ),
        catches=["conditional::v2_etag_follows_author"],
        rules=["R8.3"],
    ),
    blind(
        "rate-limit-records-refused-requests",
        "Appending the timestamp first and then checking the count is the natural way to write a sliding-window log, but it makes every refused 429 consume budget, so a client that keeps polling can stay locked out.",
        replace(
            "app/core/ratelimit.py",
            "        if len(times) >= self.limit:\n            return max(1, math.ceil(times[0] + self.window - now))\n        times.append(now)\n        return None\n",
            "        times.append(now)\n        if len(times) > self.limit:\n            return max(1, math.ceil(times[0] + self.window - now))\n        return None\n",
        ),
        catches=["rate_limit::recovers"],
        rules=["R10.2", "R10.4"],
    ),
    blind(
        "rate-limit-off-by-one",
        "Using `>` instead of `>=` when comparing the count of earlier requests with the limit lets one extra request through per window.",
        replace(
            "app/core/ratelimit.py",
            "        if len(times) >= self.limit:\n",
            "        if len(times) > self.limit:\n",
        ),
        catches=["rate_limit::over_limit_429"],
        rules=["R10.1"],
    ),
    blind(
        "rate-limit-429-not-problem-json",
        "The limiter is middleware outside the exception handlers, so a learner writes a plain JSONResponse there and the 429 goes out as application/json instead of problem+json.",
        replace(
            "app/core/ratelimit.py",
            "from app.core.problems import problem_response\n",
            "from app.core.responses import JSONResponse\n",
        ),
        replace(
            "app/core/ratelimit.py",
            '        response = problem_response(\n            429,\n            f"more than {self.limit} requests in {self.window:g} s; retry in {wait} s",\n            kind="rate-limited",\n            headers={"Retry-After": str(wait)},\n        )\n',
            '        response = JSONResponse(\n            {"type": "about:blank", "title": "Too Many Requests", "status": 429,\n             "detail": f"more than {self.limit} requests in {self.window:g} s; retry in {wait} s"},\n            status_code=429,\n            headers={"Retry-After": str(wait)},\n        )\n',
        ),
        catches=["rate_limit::over_limit_429"],
        rules=["R10.3", "R5.1"],
    ),
    blind(
        "idempotency-keys-shared-between-clients",
        "Keying the store by the Idempotency-Key alone seems enough since keys are meant to be unique (UUIDs), but two clients choosing the same key then collide.",
        replace(
            "app/core/idempotency.py",
            "        keys = self.keys_of(client_id(scope), time.monotonic())\n",
            '        keys = self.keys_of("", time.monotonic())\n',  # the solution now keeps keys per client
        ),
        catches=["idempotency::keys_per_client"],
        rules=["R9.4"],
    ),
    blind(
        "idempotency-fingerprint-ignores-path",
        "Hashing only the request body seems to identify the request, but the same key and body sent to another collection or version is then replayed instead of refused.",
        replace(
            "app/core/idempotency.py",
            '        fingerprint = hashlib.sha256(scope["path"].encode() + b"\\n" + body).hexdigest()\n',
            "        fingerprint = hashlib.sha256(body).hexdigest()\n",
        ),
        catches=["idempotency::key_reuse_on_other_path"],
        rules=["R9.3"],
    ),
    blind(
        "idempotency-remembers-client-errors",
        "Caching every non-5xx answer looks reasonable (Stripe even replays 4xx), but then a 422 is remembered and a corrected retry with the same key is refused as key reuse.",
        replace(
            "app/core/idempotency.py",
            "            if status == 201:\n",
            "            if status is not None and status < 500:\n",
        ),
        catches=["idempotency::failure_not_remembered"],
        rules=["R9.5"],
    ),
    blind(
        "book-patch-null-silently-ignored",
        "Dumping a PATCH model with exclude_none instead of exclude_unset is a frequent confusion; a null field is then just dropped and the request succeeds without changing it.",
        replace(
            "app/models.py",
            "class BookPatch(NoNulls):\n",
            "class BookPatch(Input):\n",
        ),
        replace(
            "app/api/routes/books.py",
            "    fields = payload.model_dump(exclude_unset=True)\n",
            "    fields = payload.model_dump(exclude_none=True)\n",
        ),
        catches=["validation::patch_refuses_null"],
        rules=["R4.17"],
    ),
    blind(
        "patch-ignores-unknown-fields",
        "A PATCH is partial, so a learner makes the patch models lenient about extra keys; then `id` or a typo in a PATCH body is silently ignored instead of refused (mass assignment check only on POST/PUT).",
        replace(
            "app/models.py",
            '    """For PATCH: a field may be left out, but not set to null."""\n',
            '    """For PATCH: a field may be left out, but not set to null."""\n\n    model_config = ConfigDict(strict=True, extra="ignore")\n',
        ),
        catches=["validation::unknown_fields_refused"],
        rules=["R4.18"],
    ),
    blind(
        "isbn-accepts-unicode-digits",
        "`\\d{13}` is the reflex regex for 13 digits, but in a Unicode regex engine `\\d` also matches Arabic-Indic and other script digits.",
        replace(
            "app/models.py",
            'pattern=r"^[0-9]{13}$"',
            'pattern=r"^\\d{13}$"',
        ),
        catches=["validation::isbn_format"],
        rules=["R4.11"],
    ),
    blind(
        "author-name-not-trimmed",
        "The learner puts strip_whitespace on the book fields but forgets it on the author name, so a blank name of spaces passes min_length and names are stored with their padding.",
        replace(
            "app/models.py",
            "Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]\n",
            "Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]\n",
        ),
        catches=["validation::whitespace_trimmed"],
        rules=["R4.7", "R4.9"],
    ),
    blind(
        "allow-header-omits-head",
        "HEAD is implied by GET in many frameworks, so the learner leaves it out of the Allow header of the 405 answer.",
        replace(
            "app/api/http.py",
            '    allow = ", ".join(allowed)\n',
            '    allow = ", ".join(m for m in allowed if m != "HEAD")\n',
        ),
        catches=["resources::collection_405_with_allow", "resources::item_405_with_allow"],
        rules=["R3.9"],
    ),
    blind(
        "head-missing-on-books-collection",
        "Using the @router.get shortcut assumes HEAD comes for free as in Starlette, but FastAPI's APIRoute does not add HEAD, so HEAD /vN/books gets a 405 while item routes work.",
        replace(
            "app/api/routes/books.py",
            '@router.api_route("", methods=["GET", "HEAD"])\n',
            '@router.get("")\n',
        ),
        catches=["resources::head_collection"],
        rules=["R3.8"],
    ),
    blind(
        "own-isbn-is-a-conflict",
        "Checking 'is this ISBN already used?' without excluding the book being updated makes a PUT that resends the book's own ISBN fail with 409.",
        replace(
            "app/api/routes/books.py",
            "        if owner is not None and owner != book_id:\n",
            "        if owner is not None:\n",
        ),
        catches=["resources::own_isbn_is_not_a_conflict"],
        rules=["R3.12"],
    ),
    blind(
        "naive-utc-timestamps",
        "datetime.utcnow() is what countless tutorials use; it gives the right clock time but a naive datetime, serialised with no offset.",
        replace(
            "app/store.py",
            "    return datetime.now(UTC)\n",
            "    return datetime.utcnow()\n",
        ),
        catches=["json::times_are_iso_with_offset"],
        rules=["R1.8"],
    ),
    blind(
        "missing-content-type-treated-as-json",
        "Defaulting a missing Content-Type to application/json looks lenient and convenient for curl users, but a body without a media type must be refused.",
        replace(
            "app/api/deps.py",
            '    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()\n',
            '    media_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()\n',
        ),
        catches=["errors::wrong_media_type_is_415"],
        rules=["R4.3"],
    ),
    blind(
        "non-object-json-body-is-422",
        "Only FastAPI's json_invalid error is mapped to 400; a well-formed JSON array, string or null fails model validation at loc ('body',) and falls through to the generic 422.",
        replace(
            "app/core/problems.py",
            '    if any(e["type"] == "json_invalid" or tuple(e["loc"]) == ("body",) for e in errors):\n',
            '    if any(e["type"] == "json_invalid" for e in errors):\n',
        ),
        catches=["errors::non_object_body_is_400"],
        rules=["R4.4"],
    ),
    blind(
        "non-integer-path-id-is-422",
        "FastAPI reports /v1/books/abc as a request validation error, and without special-casing path errors it becomes a 422 listing book_id instead of a 404.",
        replace(
            "app/core/problems.py",
            '    if any(e["loc"][0] == "path" for e in errors):\n        return problem_response(404, f"nothing at {request.url.path}", kind="not-found")\n',
            "",
        ),
        catches=["resources::odd_ids_are_404"],
        rules=["R1.10"],
    ),
    blind(
        "book-location-hardcoded-v1",
        "Writing the Location of a new book as a literal /v1 path works in every v1 test, but a book created through /v2 then points the client at the v1 representation.",
        replace(
            "app/api/routes/books.py",
            '    location = f"{request.url.path}/{book.id}"\n',
            '    location = f"/v1/books/{book.id}"\n',
        ),
        catches=["versions::v2_location"],
        rules=["R7.4"],
    ),
    blind(
        "v2-book-keeps-author-id",
        "Extending the v1 representation with the embedded author seems safer (adding is non-breaking), so author_id is left in the v2 book as well.",
        replace(
            "app/models.py",
            "    author: AuthorRef\n",
            "    author_id: int\n    author: AuthorRef\n",
        ),
        replace(
            "app/models.py",
            "            author=AuthorRef(id=author.id, name=author.name),\n",
            "            author_id=book.author_id,\n            author=AuthorRef(id=author.id, name=author.name),\n",
        ),
        catches=["versions::v2_book_shape"],
        rules=["R7.2"],
    ),
]

# -- blind, R4.19/R4.20 body cap and R9.1/R9.7/R9.8 key bounds (issue 23); 6/8 caught before: body-cap-post-only (PUT/PATCH) and idempotency-ttl-from-rate-window escaped, body_size_limit now sends PUT and PATCH, key_outlives_the_rate_window is new
MUTANTS += [
    blind(
        "body-cap-kilobytes-not-kibibytes",
        "The learner reads '16 KiB' as 16 * 1000 bytes, so a body of exactly 16384 bytes (or anything from 16001 up) is refused with 413 instead of being read.",
        replace(
            BODY,
            "MAX_BODY_BYTES = 16 * 1024",
            "MAX_BODY_BYTES = 16 * 1000",
        ),
        catches=["validation::body_size_limit"],
        rules=["R4.20"],
    ),
    blind(
        "body-cap-checks-each-chunk",
        "The streaming check compares the size of the current chunk rather than the running total, so a chunked body over 16384 bytes sent in small pieces is read whole and handled (422/201) instead of answering 413.",
        replace(
            BODY,
            '            body += message.get("body", b"")\n            if len(body) > self.limit:',
            '            chunk = message.get("body", b"")\n            body += chunk\n            if len(chunk) > self.limit:',
        ),
        catches=["validation::body_size_limit"],
        rules=["R4.19"],
    ),
    blind(
        "body-cap-declared-length-off-by-one",
        "The Content-Length fast path uses >= instead of >, so a body that declares exactly 16384 bytes is refused with 413 although the limit allows it.",
        replace(
            BODY,
            "if declared.isdigit() and int(declared) > self.limit:",
            "if declared.isdigit() and int(declared) >= self.limit:",
        ),
        catches=["validation::body_size_limit"],
        rules=["R4.20"],
    ),
    blind(
        "body-cap-post-only",
        "The learner caps only POST bodies ('that is where bodies come in'), so an oversized PUT or PATCH body is read and validated (422) instead of answering 413.",
        replace(
            BODY,
            '        if scope["type"] != "http":\n            await self.app(scope, receive, send)\n            return\n        declared',
            '        if scope["type"] != "http" or scope["method"] != "POST":\n            await self.app(scope, receive, send)\n            return\n        declared',
        ),
        catches=["validation::body_size_limit"],
        rules=["R4.19"],
    ),
    blind(
        "idempotency-fifo-not-lru",
        "Reusing a key does not move it to the end of the OrderedDict, so eviction is first-in-first-out: a key just replayed is still the first forgotten when the 11th key arrives.",
        replace(
            IDEM,
            "            keys.move_to_end(key)  # used: the last to be forgotten\n",
            "",
        ),
        catches=["idempotency::keys_bounded_per_client"],
        rules=["R9.8"],
    ),
    blind(
        "idempotency-popitem-drops-newest",
        "OrderedDict.popitem() defaults to last=True, so on overflow the key just inserted is dropped instead of the least recently used one: the 11th key is never remembered and the oldest survives.",
        replace(
            IDEM,
            "keys.popitem(last=False)  # the least recently used key is forgotten",
            "keys.popitem()  # the least recently used key is forgotten",
        ),
        catches=["idempotency::keys_bounded_per_client"],
        rules=["R9.7"],
    ),
    blind(
        "idempotency-evict-before-insert",
        "The size check runs before the new key is inserted, so a client keeps 11 keys: the 11th key does not push out the least recently used one, which is still replayed instead of processed as new.",
        replace(
            IDEM,
            "        entry = keys[key] = Stored(fingerprint=fingerprint, expires=time.monotonic() + self.ttl)\n        while len(keys) > self.keys_per_client:\n            keys.popitem(last=False)  # the least recently used key is forgotten\n",
            "        while len(keys) > self.keys_per_client:\n            keys.popitem(last=False)  # the least recently used key is forgotten\n        entry = keys[key] = Stored(fingerprint=fingerprint, expires=time.monotonic() + self.ttl)\n",
        ),
        catches=["idempotency::keys_bounded_per_client"],
        rules=["R9.7"],
    ),
    blind(
        "idempotency-ttl-from-rate-window",
        "A copy-paste slip passes the rate-limit window as the idempotency TTL, so remembered keys expire after RATE_WINDOW_SECONDS (2 s under the grader) instead of at least an hour, and a retry a few seconds later creates a duplicate.",
        replace(
            MAIN,
            "app.add_middleware(IdempotencyMiddleware, ttl=settings.idempotency_ttl_seconds)",
            "app.add_middleware(IdempotencyMiddleware, ttl=settings.rate_window_seconds)",
        ),
        catches=["idempotency::key_outlives_the_rate_window"],
        rules=["R9.1", "R9.2"],
    ),
]
