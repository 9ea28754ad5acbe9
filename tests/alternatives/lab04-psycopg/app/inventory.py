"""Warehouses, stock and transfers: explicit transactions and row locks."""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field, model_validator

from app.catalog import Id, RefId
from app.db import Db, not_found

router = APIRouter()


class NewWarehouse(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=100)]


class Quantity(BaseModel):
    quantity: Annotated[int, Field(ge=0, le=10**9)]


class NewTransfer(BaseModel):
    book_id: RefId
    from_warehouse_id: RefId
    to_warehouse_id: RefId
    quantity: Annotated[int, Field(ge=1, le=10**9)]

    @model_validator(mode="after")
    def two_warehouses(self) -> "NewTransfer":
        if self.from_warehouse_id == self.to_warehouse_id:
            raise ValueError("a transfer needs two different warehouses")
        return self


@router.post("/warehouses", status_code=201)
def create_warehouse(body: NewWarehouse, db: Db) -> dict[str, Any]:
    row = db.execute("INSERT INTO warehouses (name) VALUES (%s) RETURNING id, name", [body.name]).fetchone()
    return row


def _exists(db: Db, warehouse_id: int, book_id: int) -> None:
    found = db.execute(
        "SELECT (SELECT count(*) FROM warehouses WHERE id = %s) AS w,"
        " (SELECT count(*) FROM books WHERE id = %s) AS b",
        [warehouse_id, book_id],
    ).fetchone()
    if not found["w"]:
        raise not_found("warehouse")
    if not found["b"]:
        raise not_found("book")


@router.put("/warehouses/{warehouse_id}/stock/{book_id}")
def put_stock(warehouse_id: Id, book_id: Id, body: Quantity, db: Db) -> dict[str, Any]:
    _exists(db, warehouse_id, book_id)
    db.execute(
        "INSERT INTO stock (book_id, warehouse_id, quantity) VALUES (%s, %s, %s)"
        " ON CONFLICT (book_id, warehouse_id) DO UPDATE SET quantity = excluded.quantity",
        [book_id, warehouse_id, body.quantity],
    )
    return {"warehouse_id": warehouse_id, "book_id": book_id, "quantity": body.quantity}


@router.get("/warehouses/{warehouse_id}/stock/{book_id}")
def get_stock(warehouse_id: Id, book_id: Id, db: Db) -> dict[str, Any]:
    _exists(db, warehouse_id, book_id)
    row = db.execute(
        "SELECT quantity FROM stock WHERE warehouse_id = %s AND book_id = %s", [warehouse_id, book_id]
    ).fetchone()
    return {"warehouse_id": warehouse_id, "book_id": book_id, "quantity": row["quantity"] if row else 0}


@router.post("/transfers", status_code=201)
def transfer(body: NewTransfer, db: Db) -> dict[str, Any]:
    with db.transaction():
        # Both rows must exist to be locked; an unknown book or warehouse fails here on a foreign key.
        db.execute(
            "INSERT INTO stock (book_id, warehouse_id) SELECT %s, w FROM unnest(%s::bigint[]) w"
            " ORDER BY w ON CONFLICT DO NOTHING",
            [body.book_id, sorted((body.from_warehouse_id, body.to_warehouse_id))],
        )
        # Lock both, lowest warehouse first (the same order in every transaction: no deadlock).
        rows = db.execute(
            "SELECT warehouse_id, quantity FROM stock"
            " WHERE book_id = %s AND warehouse_id IN (%s, %s) ORDER BY warehouse_id FOR UPDATE",
            [body.book_id, body.from_warehouse_id, body.to_warehouse_id],
        ).fetchall()
        have = {row["warehouse_id"]: row["quantity"] for row in rows}
        if have[body.from_warehouse_id] < body.quantity:
            raise HTTPException(409, "not enough stock")
        moves = ((body.from_warehouse_id, -body.quantity), (body.to_warehouse_id, body.quantity))
        for warehouse_id, change in moves:
            db.execute(
                "UPDATE stock SET quantity = quantity + %s WHERE book_id = %s AND warehouse_id = %s",
                [change, body.book_id, warehouse_id],
            )
        row = db.execute(
            "INSERT INTO transfers (book_id, from_warehouse_id, to_warehouse_id, quantity)"
            " VALUES (%s, %s, %s, %s)"
            " RETURNING id, book_id, from_warehouse_id, to_warehouse_id, quantity, created_at",
            [body.book_id, body.from_warehouse_id, body.to_warehouse_id, body.quantity],
        ).fetchone()
    return {**row, "created_at": row["created_at"].isoformat()}
