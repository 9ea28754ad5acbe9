from fastapi import APIRouter, HTTPException, Response
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from app.api.deps import IdPath, SessionDep
from app.models import Author
from app.schemas import AuthorIn, AuthorOut

router = APIRouter(prefix="/authors", tags=["authors"])


@router.post("", status_code=201, response_model=AuthorOut)
def create_author(body: AuthorIn, session: SessionDep) -> Author:
    author = Author(name=body.name)
    session.add(author)
    session.commit()
    return author


@router.get("/{author_id}", response_model=AuthorOut)
def get_author(author_id: IdPath, session: SessionDep) -> Author:
    author = session.get(Author, author_id)
    if author is None:
        raise HTTPException(status_code=404, detail="No such author.")
    return author


@router.delete("/{author_id}", status_code=204)
def delete_author(author_id: IdPath, session: SessionDep) -> Response:
    try:
        deleted = session.execute(delete(Author).where(Author.id == author_id).returning(Author.id)).first()
        session.commit()
    except IntegrityError:
        # books.author_id is ON DELETE RESTRICT: the database refuses to orphan the books.
        raise HTTPException(status_code=409, detail="This author still has books.") from None
    if deleted is None:
        raise HTTPException(status_code=404, detail="No such author.")
    return Response(status_code=204)
