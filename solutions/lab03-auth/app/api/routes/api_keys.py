"""API keys: shown once at creation, stored as a hash, revoked by deleting them."""

from collections.abc import Sequence

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import delete, select

from app.api.deps import CurrentUser, SessionDep
from app.core.security import digest, new_secret
from app.models import ApiKey
from app.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut

router = APIRouter(prefix="/api-keys", tags=["api-keys"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_api_key(body: ApiKeyCreate, user: CurrentUser, db: SessionDep) -> ApiKeyCreated:
    key = new_secret(prefix="nk_")
    row = ApiKey(user_id=user.id, name=body.name, key_hash=digest(key))
    db.add(row)
    db.commit()
    return ApiKeyCreated(id=row.id, name=row.name, created_at=row.created_at, key=key)


@router.get("", response_model=list[ApiKeyOut])
def list_api_keys(user: CurrentUser, db: SessionDep) -> Sequence[ApiKey]:
    return db.scalars(select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.id)).all()


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_api_key(key_id: int, user: CurrentUser, db: SessionDep) -> None:
    result = db.execute(delete(ApiKey).where(ApiKey.id == key_id, ApiKey.user_id == user.id))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise HTTPException(status_code=404, detail="API key not found")
    db.commit()
