"""The relational model: typed SQLAlchemy 2 ORM classes (see "The schema" in the README).

The tables are created by the Alembic migrations in migrations/versions, never by the app.
"""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints: a later migration can drop or change them by a name it knows.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


# TODO: the eight tables of the contract, as classes with Mapped[...] columns:
#   authors, books, tags, book_tags (the many-to-many join table), reviews, warehouses, stock, transfers.
#   - primary keys, and the pairs that are keys (book_tags, stock)
#   - foreign keys with the ON DELETE rule the contract gives each one
#   - UNIQUE and CHECK constraints, NOT NULL everywhere the contract says
#   - the indexes the contract's queries need ("Indexes" in the README)
#   - relationships (Book.author, Book.tags) so a page of books can load them in a few queries
# Then draft a migration: python -m alembic revision --autogenerate -m "..." (and read what it wrote).
