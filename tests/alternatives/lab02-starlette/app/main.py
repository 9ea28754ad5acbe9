"""The library API in plain Starlette: class-based endpoints, hand-written validation."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.endpoints import HTTPEndpoint
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from app import store, validation
from app.limits import FixedWindowLimiter, idempotent
from app.web import ProblemError, item, json_response, precondition, problem, read_object


def author_json(row: store.Row) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.data["name"],
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def book_json(row: store.Row, version: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row.id,
        "title": row.data["title"],
        "isbn": row.data["isbn"],
        "year": row.data["year"],
    }
    author_id = row.data["author_id"]
    if version == 1:
        out["author_id"] = author_id
    else:
        out["author"] = {"id": author_id, "name": store.authors.rows[author_id].data["name"]}
    out["created_at"] = row.created_at.isoformat()
    out["updated_at"] = row.updated_at.isoformat()
    return out


def author_tag(row: store.Row) -> str:
    return f'"a{row.id}r{row.rev}"'


def book_tag(row: store.Row, version: int) -> str:
    if version == 1:
        return f'"b{row.id}r{row.rev}"'
    return f'"b{row.id}r{row.rev}a{store.authors.rows[row.data["author_id"]].rev}"'


def find(table: store.Table, request: Request, what: str) -> store.Row:
    row = table.rows.get(request.path_params["id"])
    if row is None:
        raise ProblemError(404, f"{what} {request.path_params['id']} does not exist")
    return row


def page(request: Request, rows: list[dict], params: dict) -> Response:
    n, size = params["page"], params["per_page"]
    chunk = rows[(n - 1) * size : n * size]
    link = str(request.url.include_query_params(page=n + 1)) if n * size < len(rows) else None
    body = {"items": chunk, "page": n, "per_page": size, "total": len(rows), "next": link}
    return json_response(body, headers={"Link": f'<{link}>; rel="next"'} if link else None)


def refuse(errors: list) -> None:
    if errors:
        raise ProblemError(422, f"{len(errors)} invalid field(s)", errors=errors)


class Authors(HTTPEndpoint):
    version = 1

    async def get(self, request: Request) -> Response:
        params, errors = validation.query(request.query_params, filters=False)
        refuse(errors)
        return page(request, [author_json(r) for r in store.authors.rows.values()], params)

    async def post(self, request: Request) -> Response:
        body, _ = await read_object(request)

        async def create() -> Response:
            clean, errors = validation.validate(body, validation.AUTHOR, partial=False)
            refuse(errors)
            row = store.authors.insert(clean)
            location = str(request.url_for(f"author_v{self.version}", id=row.id))
            return item(request, author_json(row), author_tag(row), 201, {"Location": location})

        return await idempotent(request, body, create)


class Author(HTTPEndpoint):
    async def get(self, request: Request) -> Response:
        row = find(store.authors, request, "author")
        return item(request, author_json(row), author_tag(row))

    async def put(self, request: Request) -> Response:
        return await self.write(request, partial=False)

    async def patch(self, request: Request) -> Response:
        return await self.write(request, partial=True)

    async def write(self, request: Request, *, partial: bool) -> Response:
        row = find(store.authors, request, "author")
        body, _ = await read_object(request)
        clean, errors = validation.validate(body, validation.AUTHOR, partial=partial)
        refuse(errors)
        precondition(request, author_tag(row))
        row.change(clean)
        return item(request, author_json(row), author_tag(row))

    async def delete(self, request: Request) -> Response:
        row = find(store.authors, request, "author")
        precondition(request, author_tag(row))
        if any(b.data["author_id"] == row.id for b in store.books.rows.values()):
            raise ProblemError(409, "this author still has books")
        del store.authors.rows[row.id]
        return Response(status_code=204)


def check_book(clean: dict, book_id: int | None) -> None:
    if "author_id" in clean and clean["author_id"] not in store.authors.rows:
        refuse([{"field": "author_id", "message": "no such author"}])
    if "isbn" in clean:
        for other in store.books.rows.values():
            if other.data["isbn"] == clean["isbn"] and other.id != book_id:
                raise ProblemError(409, f"book {other.id} already has this ISBN")


class Books(HTTPEndpoint):
    version = 1

    async def get(self, request: Request) -> Response:
        params, errors = validation.query(request.query_params, filters=True)
        refuse(errors)
        rows = [
            r
            for r in store.books.rows.values()
            if params["author_id"] in (None, r.data["author_id"]) and params["year"] in (None, r.data["year"])
        ]
        key = params["sort"].lstrip("-")
        if params["sort"].startswith("-"):  # descending key, ascending id
            rows.sort(key=lambda r: r.id)
            rows.sort(key=lambda r: r.id if key == "id" else r.data[key], reverse=True)
        else:
            rows.sort(key=lambda r: (r.id if key == "id" else r.data[key], r.id))
        return page(request, [book_json(r, self.version) for r in rows], params)

    async def post(self, request: Request) -> Response:
        body, _ = await read_object(request)

        async def create() -> Response:
            clean, errors = validation.validate(body, validation.BOOK, partial=False)
            refuse(errors)
            check_book(clean, None)
            row = store.books.insert(clean)
            location = str(request.url_for(f"book_v{self.version}", id=row.id))
            return item(
                request,
                book_json(row, self.version),
                book_tag(row, self.version),
                201,
                {"Location": location},
            )

        return await idempotent(request, body, create)


class Book(HTTPEndpoint):
    version = 1

    async def get(self, request: Request) -> Response:
        row = find(store.books, request, "book")
        return item(request, book_json(row, self.version), book_tag(row, self.version))

    async def put(self, request: Request) -> Response:
        return await self.write(request, partial=False)

    async def patch(self, request: Request) -> Response:
        return await self.write(request, partial=True)

    async def write(self, request: Request, *, partial: bool) -> Response:
        row = find(store.books, request, "book")
        body, _ = await read_object(request)
        clean, errors = validation.validate(body, validation.BOOK, partial=partial)
        refuse(errors)
        precondition(request, book_tag(row, self.version))
        check_book(clean, row.id)
        row.change(clean)
        return item(request, book_json(row, self.version), book_tag(row, self.version))

    async def delete(self, request: Request) -> Response:
        row = find(store.books, request, "book")
        precondition(request, book_tag(row, self.version))
        del store.books.rows[row.id]
        return Response(status_code=204)


def version_routes(version: int) -> list[Route]:
    def v(cls: type[HTTPEndpoint]) -> type[HTTPEndpoint]:
        return type(f"{cls.__name__}V{version}", (cls,), {"version": version})

    return [
        Route("/authors", v(Authors)),
        Route("/authors/{id:int}", v(Author), name=f"author_v{version}"),
        Route("/books", v(Books)),
        Route("/books/{id:int}", v(Book), name=f"book_v{version}"),
    ]


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem(exc.status, exc.detail, exc.errors, exc.headers)


async def on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return problem(exc.status_code, str(exc.detail), headers=exc.headers)


async def on_crash(request: Request, exc: Exception) -> Response:
    return problem(500, "internal error")


app = Starlette(
    routes=[
        Route("/health", health),
        Mount("/v1", routes=version_routes(1)),
        Mount("/v2", routes=version_routes(2)),
    ],
    exception_handlers={ProblemError: on_problem, HTTPException: on_http, Exception: on_crash},
)
app.add_middleware(FixedWindowLimiter)
