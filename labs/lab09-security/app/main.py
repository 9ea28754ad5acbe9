"""Notebook: a small multi-user notes app with HTML pages and a JSON API.

It works, and it is full of holes: the README of the lab says what the grader attacks.
"""

from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api.routes import auth, internal, notes, users
from app.core.db import init_db
from app.web import files, pages


@asynccontextmanager
async def lifespan(app: FastAPI):
    init_db()
    yield


app = FastAPI(title="Notebook", debug=True, lifespan=lifespan)
app.include_router(internal.router)
app.include_router(auth.router)
app.include_router(users.router)
app.include_router(notes.router)
app.include_router(pages.router)
app.include_router(files.router)
