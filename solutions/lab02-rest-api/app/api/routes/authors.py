"""/vN/authors: the same in both versions."""

from fastapi import APIRouter, Request, Response

from app.api.deps import JsonBody, Paging, StoreDep
from app.api.http import check_if_match, item_response, page_response, refuse_others
from app.core.problems import Problem
from app.models import AuthorIn, AuthorOut, AuthorPatch
from app.store import Author, Store, update

router = APIRouter(prefix="/authors", tags=["authors"])


def get_author(store: Store, author_id: int) -> Author:
    author = store.authors.get(author_id)
    if author is None:
        raise Problem(404, f"no author with id {author_id}", kind="not-found")
    return author


def present(author: Author) -> dict:
    return AuthorOut.of(author).model_dump(mode="json")


@router.api_route("", methods=["GET", "HEAD"])
async def list_authors(request: Request, store: StoreDep, paging: Paging) -> Response:
    items = [present(a) for a in sorted(store.authors.values(), key=lambda a: a.id)]
    return page_response(request, items, page=paging.page, per_page=paging.per_page)


@router.post("", status_code=201, dependencies=[JsonBody])
async def create_author(request: Request, payload: AuthorIn, store: StoreDep) -> Response:
    author = store.add_author(payload.name)
    location = f"{request.url.path}/{author.id}"
    return item_response(request, present(author), status=201, headers={"Location": location})


@router.api_route("/{author_id}", methods=["GET", "HEAD"])
async def read_author(request: Request, author_id: int, store: StoreDep) -> Response:
    return item_response(request, present(get_author(store, author_id)))


@router.put("/{author_id}", dependencies=[JsonBody])
async def replace_author(request: Request, author_id: int, payload: AuthorIn, store: StoreDep) -> Response:
    author = get_author(store, author_id)
    check_if_match(request, present(author))
    update(author, payload.model_dump())
    return item_response(request, present(author))


@router.patch("/{author_id}", dependencies=[JsonBody])
async def patch_author(request: Request, author_id: int, payload: AuthorPatch, store: StoreDep) -> Response:
    author = get_author(store, author_id)
    check_if_match(request, present(author))
    update(author, payload.model_dump(exclude_unset=True))
    return item_response(request, present(author))


@router.delete("/{author_id}", status_code=204)
async def delete_author(request: Request, author_id: int, store: StoreDep) -> Response:
    author = get_author(store, author_id)
    check_if_match(request, present(author))
    if store.has_books(author_id):
        raise Problem(409, f"author {author_id} still has books; delete them first", kind="conflict")
    del store.authors[author_id]
    return Response(status_code=204)


refuse_others(router, "", ["GET", "HEAD", "POST"])
refuse_others(router, "/{author_id}", ["GET", "HEAD", "PUT", "PATCH", "DELETE"])
