from fastapi import APIRouter, HTTPException
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from app.api.deps import SessionDep
from app.models import Book, Stock, Transfer, Warehouse
from app.schemas import TransferIn, TransferOut

router = APIRouter(prefix="/transfers", tags=["transfers"])


class InsufficientStock(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=409, detail="Not enough stock in the source warehouse.")


def _require_known(session: SessionDep, body: TransferIn) -> None:
    """An unknown book or warehouse is the request's mistake (422, naming it), not a lack of stock."""
    book, source, target = session.execute(
        select(
            select(Book.id).where(Book.id == body.book_id).scalar_subquery(),
            select(Warehouse.id).where(Warehouse.id == body.from_warehouse_id).scalar_subquery(),
            select(Warehouse.id).where(Warehouse.id == body.to_warehouse_id).scalar_subquery(),
        )
    ).one()
    if book is None:
        raise HTTPException(status_code=422, detail=f"There is no book {body.book_id}.")
    for wanted, found in ((body.from_warehouse_id, source), (body.to_warehouse_id, target)):
        if found is None:
            raise HTTPException(status_code=422, detail=f"There is no warehouse {wanted}.")


def _take(session: SessionDep, warehouse_id: int, book_id: int, quantity: int) -> None:
    # One statement reads and writes: the row is locked from the check to the write, so two
    # concurrent transfers can never both spend the same units (no lost update, no overselling).
    taken = session.execute(
        update(Stock)
        .where(Stock.warehouse_id == warehouse_id, Stock.book_id == book_id, Stock.quantity >= quantity)
        .values(quantity=Stock.quantity - quantity)
        .returning(Stock.quantity)
    ).first()
    if taken is None:
        raise InsufficientStock()


def _give(session: SessionDep, warehouse_id: int, book_id: int, quantity: int) -> None:
    # Insert the row or add to it, atomically; an unknown warehouse or book fails on its foreign key.
    upsert = insert(Stock).values(warehouse_id=warehouse_id, book_id=book_id, quantity=quantity)
    session.execute(
        upsert.on_conflict_do_update(
            index_elements=["warehouse_id", "book_id"], set_={"quantity": Stock.quantity + quantity}
        )
    )


@router.post("", status_code=201, response_model=TransferOut)
def create_transfer(body: TransferIn, session: SessionDep) -> Transfer:
    _require_known(session, body)  # one query; a row deleted meanwhile still fails on its foreign key
    steps = [(body.from_warehouse_id, _take), (body.to_warehouse_id, _give)]
    # Touch the two rows in one global order (lowest warehouse id first): two opposite transfers
    # then wait for each other instead of each holding the lock the other needs (a deadlock).
    for warehouse_id, step in sorted(steps, key=lambda s: s[0]):
        step(session, warehouse_id, body.book_id, body.quantity)
    transfer = Transfer(
        book_id=body.book_id,
        from_warehouse_id=body.from_warehouse_id,
        to_warehouse_id=body.to_warehouse_id,
        quantity=body.quantity,
    )
    session.add(transfer)
    # One transaction: both stock rows and the ledger entry are committed together, or none is
    # (any error above leaves the session uncommitted and it rolls back when the request ends).
    session.commit()
    session.refresh(transfer)
    return transfer
