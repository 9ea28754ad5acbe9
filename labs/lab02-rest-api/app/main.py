"""Lab 02: the library API. Start here.

Run it:   RATE_LIMIT=20 RATE_WINDOW_SECONDS=2 python -m uvicorn app.main:app --reload
Contract: README.md, section "The contract". The grader checks exactly what it says.
Order:    README.md, section "Suggested order of work": one category of the report at a time, each
          graded on its own with `grade lab02 --only CATEGORY`.

Already here (framework plumbing, not the lab): app/problems.py answers errors as RFC 9457 problem
details; raise `Problem(404, "no book with id 42")` from a route, and fill in its TODO(errors) parts.

Run `pytest tests` for a few quick visible checks, then `grade lab02` for the whole contract.
"""

import os

from fastapi import FastAPI

from app import problems

# The grader sets these (see "Environment" in the README); keep sensible defaults for local runs.
RATE_LIMIT = int(os.environ.get("RATE_LIMIT", "60"))
RATE_WINDOW_SECONDS = float(os.environ.get("RATE_WINDOW_SECONDS", "60"))

app = FastAPI(title="Library API")
problems.install(app)  # every error, FastAPI's own included, answers application/problem+json


@app.get("/health")
async def health() -> dict[str, str]:
    """The grader's readiness probe: it must answer 200, and is never rate limited."""
    return {"status": "ok"}


# TODO(routes): /v1/authors and /v1/authors/{id}: GET, HEAD, POST, PUT, PATCH, DELETE as the
#   contract's table says, with 201 + Location, 204, 404 and 405 + Allow.
# TODO(routes): /v1/books and /v1/books/{id}, with 409 for a duplicate ISBN and for deleting an
#   author who still has books.
# TODO(errors): the parts of app/problems.py marked TODO; a body not declared as JSON answers 415.
# TODO(json): answers say `charset=utf-8`; times carry their UTC offset.
# TODO(middleware): rate limiting (429 + Retry-After) and Idempotency-Key replay for POST.
