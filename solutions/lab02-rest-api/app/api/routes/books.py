"""/vN/books: v1 refers to the author by `author_id`, v2 embeds it. Request bodies are the same."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.deps import ApiVersion, BookSort, JsonBody, Paging, StoreDep
from app.api.http import check_if_match, item_response, page_response, refuse_others
from app.core.problems import FieldErrors, Problem
from app.models import BookIn, BookPatch, BookV1, BookV2
from app.store import Book, Store, update

router = APIRouter(prefix="/books", tags=["books"])


def get_book(store: Store, book_id: int) -> Book:
    book = store.books.get(book_id)
    if book is None:
        raise Problem(404, f"no book with id {book_id}", kind="not-found")
    return book


def present(store: Store, book: Book, version: int) -> dict:
    if version == 1:
        return BookV1.of(book).model_dump(mode="json")
    return BookV2.of(book, store.authors[book.author_id]).model_dump(mode="json")


def check_references(store: Store, fields: dict, book_id: int | None = None) -> None:
    """What the input models cannot know: the author must exist (422) and ISBNs are unique (409)."""
    if "author_id" in fields and fields["author_id"] not in store.authors:
        raise FieldErrors([{"field": "author_id", "message": f"no author with id {fields['author_id']}"}])
    if "isbn" in fields:
        owner = store.isbn_owner(fields["isbn"])
        if owner is not None and owner != book_id:
            raise Problem(409, f"ISBN {fields['isbn']} belongs to book {owner}", kind="conflict")


@router.api_route("", methods=["GET", "HEAD"])
async def list_books(
    request: Request,
    store: StoreDep,
    version: ApiVersion,
    paging: Paging,
    author_id: Annotated[int | None, Query()] = None,
    year: Annotated[int | None, Query()] = None,
    sort: Annotated[BookSort, Query()] = "id",
) -> Response:
    books = store.find_books(author_id=author_id, year=year, sort=sort)
    items = [present(store, book, version) for book in books]
    return page_response(request, items, page=paging.page, per_page=paging.per_page)


@router.post("", status_code=201, dependencies=[JsonBody])
async def create_book(request: Request, payload: BookIn, store: StoreDep, version: ApiVersion) -> Response:
    fields = payload.model_dump()
    check_references(store, fields)
    book = store.add_book(**fields)
    location = f"{request.url.path}/{book.id}"
    return item_response(request, present(store, book, version), status=201, headers={"Location": location})


@router.api_route("/{book_id}", methods=["GET", "HEAD"])
async def read_book(request: Request, book_id: int, store: StoreDep, version: ApiVersion) -> Response:
    return item_response(request, present(store, get_book(store, book_id), version))


@router.put("/{book_id}", dependencies=[JsonBody])
async def replace_book(
    request: Request, book_id: int, payload: BookIn, store: StoreDep, version: ApiVersion
) -> Response:
    book = get_book(store, book_id)
    check_if_match(request, present(store, book, version))
    fields = payload.model_dump()
    check_references(store, fields, book_id)
    update(book, fields)
    return item_response(request, present(store, book, version))


@router.patch("/{book_id}", dependencies=[JsonBody])
async def patch_book(
    request: Request, book_id: int, payload: BookPatch, store: StoreDep, version: ApiVersion
) -> Response:
    book = get_book(store, book_id)
    check_if_match(request, present(store, book, version))
    fields = payload.model_dump(exclude_unset=True)
    check_references(store, fields, book_id)
    update(book, fields)
    return item_response(request, present(store, book, version))


@router.delete("/{book_id}", status_code=204)
async def delete_book(request: Request, book_id: int, store: StoreDep, version: ApiVersion) -> Response:
    book = get_book(store, book_id)
    check_if_match(request, present(store, book, version))
    del store.books[book_id]
    return Response(status_code=204)


refuse_others(router, "", ["GET", "HEAD", "POST"])
refuse_others(router, "/{book_id}", ["GET", "HEAD", "PUT", "PATCH", "DELETE"])
