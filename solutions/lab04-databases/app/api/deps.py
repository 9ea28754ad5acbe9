"""Typed dependencies the routes share."""

from typing import Annotated

from fastapi import Depends, Path
from sqlalchemy.orm import Session

from app.core.db import get_session
from app.schemas import MAX_ID

SessionDep = Annotated[Session, Depends(get_session)]

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
