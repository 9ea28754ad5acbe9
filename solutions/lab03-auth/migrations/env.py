"""Alembic's entry point: run the migrations in versions/ on the app's connection or on DATABASE_URL."""

from alembic import context
from app.core.config import get_settings
from app.models import Base
from sqlalchemy import Connection, create_engine, pool

config = context.config
if config.config_file_name is not None:  # the command line; the app keeps its own logging
    from logging.config import fileConfig

    fileConfig(config.config_file_name)

# The models' metadata lets `alembic revision --autogenerate` propose the next migration
# (always read and fix what it writes: it misses renames, and server-side details).
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    """`alembic upgrade head --sql`: print the SQL instead of running it."""
    context.configure(url=get_settings().sqlalchemy_url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations(connection: Connection) -> None:
    # PostgreSQL has transactional DDL: the whole upgrade is all or nothing.
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    shared = config.attributes.get("connection")
    if shared is not None:  # the app at startup (app/main.py): its transaction, its advisory lock
        run_migrations(shared)
        return
    engine = create_engine(get_settings().sqlalchemy_url, poolclass=pool.NullPool)
    with engine.begin() as connection:
        run_migrations(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
