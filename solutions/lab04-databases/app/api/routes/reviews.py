from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import select, tuple_

from app.api import pagination
from app.api.deps import IdPath, SessionDep
from app.models import Book, Review
from app.schemas import ReviewIn, ReviewOut, ReviewPage

router = APIRouter(prefix="/books/{book_id}/reviews", tags=["reviews"])


def _require_book(session: SessionDep, book_id: int) -> None:
    if session.get(Book, book_id) is None:
        raise HTTPException(status_code=404, detail="No such book.")


@router.post("", status_code=201, response_model=ReviewOut)
def create_review(book_id: IdPath, body: ReviewIn, session: SessionDep) -> Review:
    _require_book(session, book_id)
    review = Review(book_id=book_id, rating=body.rating, body=body.body)
    session.add(review)
    session.commit()  # a book deleted meanwhile fails on the foreign key: 422, never a 500
    session.refresh(review)  # created_at comes from the database
    return review


@router.get("", response_model=ReviewPage)
def list_reviews(
    book_id: IdPath,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> ReviewPage:
    _require_book(session, book_id)
    newest_first = (Review.created_at.desc(), Review.id.desc())
    query = select(Review).where(Review.book_id == book_id).order_by(*newest_first).limit(limit + 1)
    if cursor is not None:
        created_at, review_id = pagination.decode_time_id(cursor)
        # Row comparison: strictly after the last row seen in (created_at, id) order. The id breaks
        # ties between reviews written at the same instant; the index (book_id, created_at, id)
        # answers this without reading or sorting the rows before the cursor.
        query = query.where(tuple_(Review.created_at, Review.id) < tuple_(created_at, review_id))
    reviews = list(session.scalars(query))
    more = len(reviews) > limit
    reviews = reviews[:limit]
    next_cursor = None
    if more:
        last = reviews[-1]
        next_cursor = pagination.encode({"t": last.created_at.isoformat(), "id": last.id})
    return ReviewPage(items=[ReviewOut.model_validate(r) for r in reviews], next_cursor=next_cursor)
