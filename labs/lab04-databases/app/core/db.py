"""The engine and the session factory: one engine (a connection pool) per process, one session per request."""

from collections.abc import Iterator
from functools import lru_cache

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import get_settings


@lru_cache
def get_engine() -> Engine:
    # pool_size + max_overflow: enough connections for a burst of concurrent requests;
    # pool_pre_ping: a connection the server closed is replaced instead of failing a request.
    return create_engine(get_settings().sqlalchemy_url, pool_size=10, max_overflow=20, pool_pre_ping=True)


@lru_cache
def _session_factory() -> sessionmaker[Session]:
    return sessionmaker(get_engine(), expire_on_commit=False)


def get_session() -> Iterator[Session]:
    """A session for one request: whatever was not committed is rolled back when it closes."""
    with _session_factory()() as session:
        yield session
