"""Who am I, and the administrators' list of users."""

from collections.abc import Sequence

from fastapi import APIRouter
from sqlalchemy import select

from app.api.deps import AdminUser, CurrentUser, SessionDep
from app.models import User
from app.schemas import UserOut

router = APIRouter(tags=["users"])


@router.get("/users/me", response_model=UserOut)
def read_me(user: CurrentUser) -> User:
    return user


@router.get("/admin/users", response_model=list[UserOut])
def list_users(_: AdminUser, db: SessionDep) -> Sequence[User]:
    return db.scalars(select(User).order_by(User.id)).all()
