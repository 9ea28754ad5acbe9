"""Known-bad variants of solutions/lab02-rest-api: each is a mistake learners make with REST APIs."""

from __future__ import annotations

from tests.mutants import mutant, replace

BOOKS = "app/api/routes/books.py"
AUTHORS = "app/api/routes/authors.py"
HTTP = "app/api/http.py"
DEPS = "app/api/deps.py"
PROBLEMS = "app/core/problems.py"
RESPONSES = "app/core/responses.py"
LIMIT = "app/core/ratelimit.py"
IDEM = "app/core/idempotency.py"
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
    ),
    mutant(
        "no-location",
        "a 201 without the Location of what was created",
        replace(BOOKS, 'status=201, headers={"Location": location})', "status=201)"),
        catches=["resources::create_book", "versions::v2_location"],
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
    ),
    mutant(
        "odd-ids-are-422",
        "FastAPI's validation of the path parameter leaks out: /v1/books/abc answers 422",
        replace(
            PROBLEMS,
            '    if any(e["loc"][0] == "path" for e in errors):\n        return problem_response(404, '
            'f"nothing at {request.url.path}", kind="not-found")\n',
            "",
        ),
        catches=["resources::odd_ids_are_404"],
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
    ),
    mutant(
        "duplicate-isbn-accepted",
        "uniqueness is not checked: two books share an ISBN",
        replace(BOOKS, "        if owner is not None and owner != book_id:\n", "        if False:\n"),
        catches=["resources::duplicate_isbn_is_409"],
    ),
    mutant(
        "isbn-conflicts-with-itself",
        "the uniqueness check forgets to exclude the book being updated",
        replace(
            BOOKS, "        if owner is not None and owner != book_id:\n", "        if owner is not None:\n"
        ),
        catches=["resources::own_isbn_is_not_a_conflict"],
    ),
    mutant(
        "author-deleted-with-books",
        "an author is deleted while books still point at them",
        replace(AUTHORS, "    if store.has_books(author_id):\n", "    if False:\n"),
        catches=["resources::delete_author_with_books_is_409", "errors::conflict_is_problem"],
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
    ),
    mutant(
        "title-limit-unenforced",
        "the maximum length of a title is not enforced",
        replace(MODELS, "min_length=1, max_length=200)", "min_length=1)"),
        catches=["validation::length_limits"],
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
    ),
    mutant(
        "unicode-digits-in-isbn",
        r"\d in the ISBN pattern also matches digits of other scripts",
        replace(MODELS, 'pattern=r"^[0-9]{13}$"', 'pattern=r"^\\d{13}$"'),
        catches=["validation::isbn_format"],
    ),
    mutant(
        "year-range-exclusive",
        "an off-by-one at the end of the year range: 2100 is refused",
        replace(MODELS, "Field(ge=1, le=2100)", "Field(ge=1, lt=2100)"),
        catches=["validation::year_range"],
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
    ),
    mutant(
        "sort-not-validated",
        "sort is a free string: an unknown field crashes the sort with a 500",
        replace(BOOKS, 'sort: Annotated[BookSort, Query()] = "id",', 'sort: Annotated[str, Query()] = "id",'),
        catches=["validation::bad_query_parameters"],
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
    ),
    mutant(
        "non-object-is-422",
        "a JSON array or string body is reported as a validation error",
        replace(
            PROBLEMS,
            'if any(e["type"] == "json_invalid" or tuple(e["loc"]) == ("body",) for e in errors):',
            'if any(e["type"] == "json_invalid" for e in errors):',
        ),
        catches=["errors::non_object_body_is_400"],
    ),
    mutant(
        "no-content-type-accepted",
        "a body without Content-Type is parsed as JSON anyway",
        replace(
            DEPS, "    if media_type not in allowed:", "    if media_type and media_type not in allowed:"
        ),
        catches=["errors::wrong_media_type_is_415"],
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
    ),
    mutant(
        "naive-times",
        "datetime.utcnow() has no timezone, so the times are written without an offset",
        replace(STORE, "    return datetime.now(UTC)", "    return datetime.utcnow()"),
        catches=["json::times_are_iso_with_offset"],
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
    ),
    mutant(
        "camel-case-envelope",
        "one name in another convention: perPage",
        replace(HTTP, '"per_page": per_page, "total"', '"perPage": per_page, "total"'),
        catches=["json::snake_case_fields"],
    ),
    # -- lists -------------------------------------------------------------------------------------
    mutant(
        "page-off-by-one",
        "pages counted from 0: page 1 skips the first per_page items",
        replace(HTTP, "    start = (page - 1) * per_page\n", "    start = page * per_page\n"),
        catches=["lists::walk_all_pages", "lists::filters", "lists::sort_by_title", "lists::sort_by_year"],
    ),
    mutant(
        "next-drops-query",
        "next is built from the page number alone: filters and sort are lost",
        replace(
            HTTP,
            "url = request.url.include_query_params(page=page + 1, per_page=per_page)",
            'url = request.url.replace(query=f"page={page + 1}&per_page={per_page}")',
        ),
        catches=["lists::next_keeps_query", "lists::walk_all_pages"],
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
    ),
    mutant(
        "reversed-ties",
        "descending order by reversing the ascending list, which also reverses ties",
        replace(
            STORE,
            '        return sorted(by_id, key=lambda b: getattr(b, key), reverse=sort.startswith("-"))',
            "        ordered = sorted(by_id, key=lambda b: getattr(b, key))\n"
            '        return ordered[::-1] if sort.startswith("-") else ordered',
        ),
        catches=["lists::sort_by_title", "lists::sort_by_year"],
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
    ),
    # -- versions ----------------------------------------------------------------------------------
    mutant(
        "v2-everywhere",
        "the version is read from the wrong place and every request gets the v2 shape",
        replace(DEPS, '    return 2 if request.url.path.startswith("/v2/") else 1', "    return 2"),
        catches=["versions::v1_book_shape"],
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
    ),
    # -- conditional requests ----------------------------------------------------------------------
    mutant(
        "etag-never-changes",
        "the ETag is derived from the id only",
        replace(HTTP, "    etag = etag_of(body)\n", '    etag = etag_of(str(item["id"]).encode())\n'),
        catches=["conditional::etag_changes_on_update", "conditional::v2_etag_follows_author"],
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
    ),
    mutant(
        "etag-header-compared-as-a-string",
        "the whole header is compared with the tag, so a list of tags never matches",
        replace(RESPONSES, '    for candidate in header.split(","):\n', "    for candidate in [header]:\n"),
        catches=["conditional::if_none_match_list", "conditional::if_match_current_proceeds"],
    ),
    mutant(
        "if-match-ignored",
        "If-Match is not checked: lost updates",
        replace(HTTP, '    header = request.headers.get("if-match")\n', "    header = None\n"),
        catches=["conditional::if_match_stale_412"],
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
    ),
    # -- idempotency -------------------------------------------------------------------------------
    mutant(
        "idempotency-not-installed",
        "Idempotency-Key is ignored: a retried POST creates a second book",
        replace(
            MAIN, "app.add_middleware(IdempotencyMiddleware, ttl=settings.idempotency_ttl_seconds)\n", ""
        ),
        catches=["idempotency::replay_same_answer", "idempotency::key_reuse_with_other_body"],
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
    ),
    mutant(
        "idempotency-keys-shared",
        "keys are global: one client's key collides with (and can replay) another's",
        replace(IDEM, "        slot = (client_id(scope), key)\n", '        slot = ("", key)\n'),
        catches=["idempotency::keys_per_client"],
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
    ),
    mutant(
        "idempotency-remembers-failures",
        "every answer is remembered, so a corrected retry gets the old 422",
        replace(IDEM, "            if status == 201:\n", "            if status is not None:\n"),
        catches=["idempotency::failure_not_remembered"],
    ),
    # -- rate limiting -----------------------------------------------------------------------------
    mutant(
        "limit-off-by-one",
        "the limit lets one request too many through",
        replace(LIMIT, "        if len(times) >= self.limit:\n", "        if len(times) > self.limit:\n"),
        catches=["rate_limit::over_limit_429"],
    ),
    mutant(
        "limit-too-strict",
        "the limit refuses the last allowed request",
        replace(
            LIMIT, "        if len(times) >= self.limit:\n", "        if len(times) >= self.limit - 1:\n"
        ),
        catches=["rate_limit::under_limit_served"],
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
    ),
    mutant(
        "refused-requests-count",
        "refused requests are recorded too, so a client that keeps asking is never served again",
        replace(
            LIMIT,
            "        if len(times) >= self.limit:\n            return",
            "        times.append(now)\n        if len(times) > self.limit:\n            return",
        ),
        replace(
            LIMIT,
            "            return max(1, math.ceil(times[0] + self.window - now))\n        times.append(now)\n",
            "            return max(1, math.ceil(times[0] + self.window - now))\n",
        ),
        catches=["rate_limit::recovers"],
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
    ),
]
