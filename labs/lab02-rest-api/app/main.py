"""Lab 02: the library API. Start here.

Run it:   RATE_LIMIT=20 RATE_WINDOW_SECONDS=2 python -m uvicorn app.main:app --reload
Contract: README.md, section "The contract". The grader checks exactly what it says.

Suggested order (each step is a section of the contract, and a category of the grader's report):

1. Routes and status codes: authors, then books, under /v1. Keep them in memory (dicts are fine),
   one router module per resource (app/api/authors.py, app/api/books.py).
2. Request bodies and validation: strict input models; trimmed strings; unknown fields refused.
3. Errors: one problem+json format for every error, FastAPI's own errors included (unknown route,
   405, validation). Look at what FastAPI answers by default, and why it is not enough.
4. Lists: pagination, filtering, sorting, `next` links and the Link header.
5. Versions: serve the same routers under /v2 with the v2 book representation.
6. Conditional requests: ETag, If-None-Match, If-Match.
7. Idempotent POST, then rate limiting: both are per client (X-Client-Id, else the address).

Run `pytest tests` for a few quick visible checks, then `grade lab02` for the whole contract.
"""

import os

from fastapi import FastAPI

# The grader sets these (see "Environment" in the README); keep sensible defaults for local runs.
RATE_LIMIT = int(os.environ.get("RATE_LIMIT", "60"))
RATE_WINDOW_SECONDS = float(os.environ.get("RATE_WINDOW_SECONDS", "60"))

app = FastAPI(title="Library API")


@app.get("/health")
async def health() -> dict[str, str]:
    """The grader's readiness probe: it must answer 200, and is never rate limited."""
    return {"status": "ok"}


# TODO(routes): /v1/authors and /v1/authors/{id}: GET, HEAD, POST, PUT, PATCH, DELETE as the
#   contract's table says, with 201 + Location, 204, 404 and 405 + Allow.
# TODO(routes): /v1/books and /v1/books/{id}, with 409 for a duplicate ISBN and for deleting an
#   author who still has books.
# TODO(errors): exception handlers that turn every error into application/problem+json.
# TODO(json): answers say `charset=utf-8`; times carry their UTC offset.
# TODO(middleware): rate limiting (429 + Retry-After) and Idempotency-Key replay for POST.
