from fastapi import APIRouter, HTTPException, Response
from sqlalchemy import delete

from app.api.deps import IdPath, SessionDep
from app.models import Tag
from app.schemas import TagIn, TagOut

router = APIRouter(prefix="/tags", tags=["tags"])


@router.post("", status_code=201, response_model=TagOut)
def create_tag(body: TagIn, session: SessionDep) -> Tag:
    tag = Tag(name=body.name)
    session.add(tag)
    session.commit()  # a taken name fails on the unique constraint: 409 (app/api/errors.py)
    return tag


@router.delete("/{tag_id}", status_code=204)
def delete_tag(tag_id: IdPath, session: SessionDep) -> Response:
    # book_tags.tag_id is ON DELETE CASCADE: the database unlinks the tag from every book.
    deleted = session.execute(delete(Tag).where(Tag.id == tag_id).returning(Tag.id)).first()
    session.commit()
    if deleted is None:
        raise HTTPException(status_code=404, detail="No such tag.")
    return Response(status_code=204)
