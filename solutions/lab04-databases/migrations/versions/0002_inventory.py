"""inventory: warehouses, their stock of each book, and the ledger of transfers

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-13 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "warehouses",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_warehouses"),
        sa.UniqueConstraint("name", name="uq_warehouses_name"),
    )
    op.create_table(
        "stock",
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), server_default="0", nullable=False),
        # The last line of defence: whatever the code does, stock never goes negative.
        sa.CheckConstraint("quantity >= 0", name="ck_stock_quantity"),
        sa.ForeignKeyConstraint(["book_id"], ["books.id"], name="fk_stock_book_id_books", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name="fk_stock_warehouse_id_warehouses", ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("warehouse_id", "book_id", name="pk_stock"),
    )
    op.create_index("ix_stock_book_id", "stock", ["book_id"])
    op.create_table(
        "transfers",
        sa.Column("id", sa.Integer(), sa.Identity(), nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column("from_warehouse_id", sa.Integer(), nullable=False),
        sa.Column("to_warehouse_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("from_warehouse_id <> to_warehouse_id", name="ck_transfers_distinct_warehouses"),
        sa.CheckConstraint("quantity > 0", name="ck_transfers_quantity"),
        sa.ForeignKeyConstraint(
            ["book_id"], ["books.id"], name="fk_transfers_book_id_books", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["from_warehouse_id"],
            ["warehouses.id"],
            name="fk_transfers_from_warehouse_id_warehouses",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["to_warehouse_id"],
            ["warehouses.id"],
            name="fk_transfers_to_warehouse_id_warehouses",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_transfers"),
    )
    op.create_index("ix_transfers_book_id", "transfers", ["book_id"])


def downgrade() -> None:
    op.drop_index("ix_transfers_book_id", table_name="transfers")
    op.drop_table("transfers")
    op.drop_index("ix_stock_book_id", table_name="stock")
    op.drop_table("stock")
    op.drop_table("warehouses")
