"""Register, log in and log out with JSON."""

from fastapi import APIRouter, HTTPException, Response
from psycopg.errors import UniqueViolation
from pydantic import BaseModel

from app import crud
from app.api.deps import DbConn
from app.core.security import end_session, start_session

router = APIRouter(prefix="/api", tags=["auth"])


class Credentials(BaseModel):
    username: str
    password: str


@router.post("/register", status_code=201)
def register(body: Credentials, response: Response, conn: DbConn) -> dict:
    try:
        user = crud.create_user(conn, body.username, body.password)
    except UniqueViolation:
        raise HTTPException(status_code=409, detail="this username is taken") from None
    start_session(response, user["id"])
    return crud.own_user(user)


@router.post("/login")
def login(body: Credentials, response: Response, conn: DbConn) -> dict:
    user = crud.authenticate(conn, body.username, body.password)
    if user is None:
        raise HTTPException(status_code=401, detail="invalid username or password")
    start_session(response, user["id"])
    return crud.own_user(user)


@router.post("/logout", status_code=204)
def logout(response: Response) -> None:
    end_session(response)
