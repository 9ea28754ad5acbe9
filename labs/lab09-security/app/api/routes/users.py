"""The logged-in user's account, other users' public profiles, the admin's user list."""

from fastapi import APIRouter, Body, HTTPException

from app import crud
from app.api.deps import CurrentUser, DbConn

router = APIRouter(prefix="/api", tags=["users"])


@router.get("/me")
def me(user: CurrentUser) -> dict:
    return crud.own_user(user)


@router.patch("/me")
def update_me(user: CurrentUser, conn: DbConn, fields: dict = Body(...)) -> dict:
    return crud.own_user(crud.update_user(conn, user["id"], fields))


@router.get("/users/{user_id}")
def get_user(user_id: int, conn: DbConn) -> dict:
    user = crud.get_user(conn, user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="no such user")
    return user


@router.get("/admin/users")
def admin_list_users(user: CurrentUser, conn: DbConn) -> list[dict]:
    if not user["is_admin"]:
        raise HTTPException(status_code=403, detail="admins only")
    return crud.list_users(conn)
