"""Conditional requests"""

from __future__ import annotations

from conftest import Library
from httpx import Response
from lab02_support import expect_problem, json_object

from grader.checks import check, describe, expect, expect_header, expect_status, require_status
from grader.http import Api

STRONG = r'^"[\x21\x23-\x7e\x80-\xff]*"$'  # RFC 9110 entity-tag, without W/


@check(
    "Items carry a strong ETag that stays the same while the item does",
    points=2,
    hint='An ETag is a quoted string, e.g. "5d41402a"; a hash of the representation is a good one.',
    rules=["R8.1", "R8.2"],
)
def test_etag_on_items(api: Api, library: Library) -> None:
    book = library.book()
    first = expect_status(api.get(f"/v1/books/{book['id']}"), 200)
    tag = expect_header(first, "ETag", matches=STRONG)
    again = expect_header(expect_status(api.get(f"/v1/books/{book['id']}"), 200), "ETag")
    expect(
        again == tag, "two GETs of an unchanged book should give the same ETag.", expected=tag, actual=again
    )
    head = expect_status(api.head(f"/v1/books/{book['id']}"), 200)
    expect(
        head.headers.get("etag") == tag,
        f"{describe(head)}: HEAD should carry GET's ETag.",
        expected=tag,
        actual=head.headers.get("etag"),
        response=head,
    )
    expect_header(expect_status(api.get(f"/v1/authors/{book['author_id']}"), 200), "ETag", matches=STRONG)


@check(
    "If-None-Match with the current ETag answers 304 without a body",
    points=3,
    hint="Compare If-None-Match with the item's ETag before sending the body (RFC 9110 §13.1.2).",
    rules=["R8.4"],
)
def test_if_none_match_304(api: Api, library: Library) -> None:
    book = library.book()
    tag = expect_header(expect_status(api.get(f"/v1/books/{book['id']}"), 200), "ETag")
    response = expect_status(api.get(f"/v1/books/{book['id']}", headers={"If-None-Match": tag}), 304)
    expect(
        response.content == b"",
        f"{describe(response)}: a 304 has no body.",
        actual=response.text[:80],
        response=response,
    )
    expect(
        response.headers.get("etag") == tag,
        f"{describe(response)}: a 304 carries the ETag.",
        expected=tag,
        actual=response.headers.get("etag"),
        response=response,
    )


@check(
    "If-None-Match may list several tags; no match answers 200",
    points=1,
    hint='The header is a comma-separated list: "a", "b". Any match is a match.',
    rules=["R8.5", "R8.4"],
)
def test_if_none_match_list(api: Api, library: Library) -> None:
    book = library.book()
    tag = expect_header(expect_status(api.get(f"/v1/books/{book['id']}"), 200), "ETag")
    expect_status(api.get(f"/v1/books/{book['id']}", headers={"If-None-Match": f'"nope", {tag}'}), 304)
    response = expect_status(
        api.get(f"/v1/books/{book['id']}", headers={"If-None-Match": '"nope", "other"'}), 200
    )
    expect(
        json_object(response).get("id") == book["id"],
        f"{describe(response)}: no match, so the book.",
        response=response,
    )


@check(
    "The ETag changes when the item changes",
    points=2,
    hint="Derive the tag from the current representation (or a version bumped on every write).",
    rules=["R8.2"],
)
def test_etag_changes_on_update(api: Api, library: Library) -> None:
    book = library.book()
    old = expect_header(expect_status(api.get(f"/v1/books/{book['id']}"), 200), "ETag")
    require_status(
        api.patch(f"/v1/books/{book['id']}", json={"title": "Changed"}), 200, purpose="change the book"
    )
    new = expect_header(expect_status(api.get(f"/v1/books/{book['id']}"), 200), "ETag")
    expect(new != old, "after a PATCH the ETag should be new.", expected=f"not {old}", actual=new)
    response = expect_status(api.get(f"/v1/books/{book['id']}", headers={"If-None-Match": old}), 200)
    expect(
        json_object(response).get("title") == "Changed",
        f"{describe(response)}: the changed book.",
        response=response,
    )


@check(
    "POST, PUT and PATCH answers carry the new ETag",
    points=1,
    hint="A client that just wrote should be able to send If-Match next without reading again.",
    rules=["R8.1"],
)
def test_write_answers_carry_etag(api: Api, library: Library) -> None:
    author = library.author()

    def expect_current_tag(response: Response) -> None:
        tag = expect_header(response, "ETag")
        current = api.get(f"/v1/books/{book_id}").headers.get("etag")
        expect(
            tag == current,
            f"{describe(response)}: its ETag should be the one GET gives now.",
            expected=current,
            actual=tag,
            response=response,
        )

    body = library.book_body(author["id"])
    created = require_status(api.post("/v1/books", json=body), 201, purpose="create a book")
    book_id = json_object(created)["id"]
    expect_current_tag(created)
    patched = api.patch(f"/v1/books/{book_id}", json={"year": 1999})
    expect_current_tag(require_status(patched, 200, purpose="update a book"))
    replaced = api.put(f"/v1/books/{book_id}", json={**body, "title": "Put"})
    expect_current_tag(require_status(replaced, 200, purpose="replace a book"))


@check(
    "If-Match with an outdated ETag answers 412 and changes nothing",
    points=3,
    hint="Before a write, compare If-Match with the current ETag: a mismatch means someone else "
    "changed the item first (a lost update).",
    rules=["R8.6"],
)
def test_if_match_stale_412(api: Api, library: Library) -> None:
    book = library.book(title="Original")
    old = expect_header(expect_status(api.get(f"/v1/books/{book['id']}"), 200), "ETag")
    require_status(
        api.patch(f"/v1/books/{book['id']}", json={"year": 2002}), 200, purpose="change the book first"
    )
    expect_problem(
        api.patch(f"/v1/books/{book['id']}", json={"title": "Mine"}, headers={"If-Match": old}), 412
    )
    body = {k: book[k] for k in ("isbn", "author_id")} | {"title": "Mine", "year": 2003}
    expect_problem(api.put(f"/v1/books/{book['id']}", json=body, headers={"If-Match": old}), 412)
    expect_problem(api.delete(f"/v1/books/{book['id']}", headers={"If-Match": old}), 412)
    fetched = json_object(expect_status(api.get(f"/v1/books/{book['id']}"), 200))
    expect(
        fetched.get("title") == "Original",
        "a refused conditional write must change nothing.",
        expected="Original",
        actual=fetched.get("title"),
    )


@check(
    "If-Match with the current ETag lets the write through",
    points=2,
    hint="A matching If-Match is just a normal write.",
    rules=["R8.7"],
)
def test_if_match_current_proceeds(api: Api, library: Library) -> None:
    book = library.book()
    tag = expect_header(expect_status(api.get(f"/v1/books/{book['id']}"), 200), "ETag")
    expect_status(api.patch(f"/v1/books/{book['id']}", json={"year": 2004}, headers={"If-Match": tag}), 200)
    tag = expect_header(expect_status(api.get(f"/v1/books/{book['id']}"), 200), "ETag")
    expect_status(api.delete(f"/v1/books/{book['id']}", headers={"If-Match": f'"nope", {tag}'}), 204)


@check(
    "A /v2 book's ETag changes when its author is renamed; /v1's does not",
    points=1,
    hint="The v2 representation embeds the author's name: its tag must follow it. v1's bytes did not "
    "change, so neither does its tag.",
    rules=["R8.3"],
)
def test_v2_etag_follows_author(api: Api, library: Library) -> None:
    book = library.book()
    v1 = expect_header(expect_status(api.get(f"/v1/books/{book['id']}"), 200), "ETag")
    v2 = expect_header(expect_status(api.get(f"/v2/books/{book['id']}"), 200), "ETag")
    renamed = api.patch(f"/v1/authors/{book['author_id']}", json={"name": "Someone Else"})
    require_status(renamed, 200, purpose="rename the author")
    response = expect_status(api.get(f"/v2/books/{book['id']}", headers={"If-None-Match": v2}), 200)
    expect(
        response.headers.get("etag") != v2,
        f"{describe(response)}: the author changed, so must the tag.",
        expected=f"not {v2}",
        actual=response.headers.get("etag"),
        response=response,
    )
    expect_status(api.get(f"/v1/books/{book['id']}", headers={"If-None-Match": v1}), 304)


@check(
    "HEAD with If-None-Match answers 304 like GET",
    points=1,
    hint="HEAD is GET without the body, conditional requests included (RFC 9110 §13.1.2 names both).",
    rules=["R8.4", "R3.8"],
)
def test_if_none_match_on_head(api: Api, library: Library) -> None:
    book = library.book()
    for path in (f"/v1/books/{book['id']}", f"/v1/authors/{book['author_id']}"):
        tag = expect_header(expect_status(api.get(path), 200), "ETag")
        response = expect_status(api.head(path, headers={"If-None-Match": tag}), 304)
        expect(
            response.headers.get("etag") == tag,
            f"{describe(response)}: a 304 carries the ETag.",
            expected=tag,
            actual=response.headers.get("etag"),
            response=response,
        )
        expect_status(api.head(path, headers={"If-None-Match": '"nope"'}), 200)
