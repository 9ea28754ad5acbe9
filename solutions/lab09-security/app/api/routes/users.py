"""The logged-in user's account, other users' public profiles, the admin's user list."""

from typing import Annotated

from fastapi import APIRouter, HTTPException
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app import crud
from app.api.deps import CurrentUser, DbConn
from app.core.db import Row

router = APIRouter(prefix="/api", tags=["users"])


def web_url(value: str) -> str:
    """Empty, or an http(s) URL: anything else (javascript:, data:) would run in the profile's link."""
    if value and not value.lower().startswith(("http://", "https://")):
        raise ValueError("the website must be an http:// or https:// URL")
    return value


Website = Annotated[str, Field(max_length=200), AfterValidator(web_url)]


class ProfileUpdate(BaseModel):
    # Only these fields can be set by their owner: anything else in the body is refused, never applied.
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, max_length=50)
    bio: str | None = Field(default=None, max_length=500)
    website: Website | None = None


@router.get("/me")
def me(user: CurrentUser) -> Row:
    return crud.own_user(user)


@router.patch("/me")
def update_me(body: ProfileUpdate, user: CurrentUser, conn: DbConn) -> Row:
    updated = crud.update_profile(conn, user["id"], body.model_dump(exclude_unset=True))
    if updated is None:  # the account was deleted while this request ran
        raise HTTPException(status_code=404, detail="no such user")
    return crud.own_user(updated)


@router.get("/users/{user_id}")
def get_user(user_id: int, conn: DbConn) -> Row:
    user = crud.get_user(conn, user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="no such user")
    return crud.public_user(user)


@router.get("/admin/users")
def admin_list_users(user: CurrentUser, conn: DbConn) -> list[Row]:
    if not user["is_admin"]:
        raise HTTPException(status_code=403, detail="admins only")
    return crud.list_users(conn)
