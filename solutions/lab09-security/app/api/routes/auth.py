"""Register, log in and log out with JSON."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Request, Response
from psycopg.errors import UniqueViolation
from pydantic import BaseModel, Field

from app import crud
from app.api.deps import DbConn
from app.core.db import Row
from app.core.sessions import end_session, start_session

router = APIRouter(prefix="/api", tags=["auth"])

Username = Annotated[str, Field(pattern=r"^[a-z0-9_]{3,32}$")]


class NewAccount(BaseModel):
    username: Username
    password: str = Field(min_length=8, max_length=128)


class Credentials(BaseModel):
    username: str = Field(max_length=100)
    password: str = Field(max_length=128)


@router.post("/register", status_code=201)
def register(body: NewAccount, request: Request, response: Response, conn: DbConn) -> Row:
    try:
        user = crud.create_user(conn, body.username, body.password)
    except UniqueViolation:
        raise HTTPException(status_code=409, detail="this username is taken") from None
    start_session(conn, request, response, user["id"])
    return crud.own_user(user)


@router.post("/login")
def login(body: Credentials, request: Request, response: Response, conn: DbConn) -> Row:
    user = crud.authenticate(conn, body.username, body.password)
    if user is None:
        raise HTTPException(status_code=401, detail="invalid username or password")
    start_session(conn, request, response, user["id"])
    return crud.own_user(user)


@router.post("/logout", status_code=204)
def logout(request: Request, conn: DbConn) -> Response:
    response = Response(status_code=204)
    end_session(conn, request, response)
    return response
