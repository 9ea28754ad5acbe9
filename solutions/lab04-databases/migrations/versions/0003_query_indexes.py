"""indexes for the two queries that must stay fast on large tables: title search, review pages

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-20 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # `title LIKE 'abc%'` can use a b-tree only with the pattern operator class, unless the
    # database's collation is "C": text_pattern_ops compares byte by byte whatever the collation.
    op.create_index(
        "ix_books_title_pattern", "books", ["title"], postgresql_ops={"title": "text_pattern_ops"}
    )
    # Serves "reviews of a book, newest first, after a cursor" straight from the index: equality on
    # the first column, then rows already in (created_at, id) order; no sort, no rows skipped over.
    op.create_index("ix_reviews_book_created_id", "reviews", ["book_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_reviews_book_created_id", table_name="reviews")
    op.drop_index("ix_books_title_pattern", table_name="books")
