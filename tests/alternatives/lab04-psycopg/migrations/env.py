"""Alembic runs the raw-SQL migrations in versions/ on DATABASE_URL."""

import os

from alembic import context
from sqlalchemy import create_engine, pool


def url() -> str:
    given = os.environ["DATABASE_URL"]
    scheme, _, rest = given.partition("://")
    return f"postgresql+psycopg://{rest}" if scheme in ("postgres", "postgresql") else given


engine = create_engine(url(), poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
