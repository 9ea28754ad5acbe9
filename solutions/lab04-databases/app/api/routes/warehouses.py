from fastapi import APIRouter, HTTPException
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.api.deps import IdPath, SessionDep
from app.models import Book, Stock, Warehouse
from app.schemas import StockIn, StockOut, WarehouseIn, WarehouseOut

router = APIRouter(prefix="/warehouses", tags=["warehouses"])


@router.post("", status_code=201, response_model=WarehouseOut)
def create_warehouse(body: WarehouseIn, session: SessionDep) -> Warehouse:
    warehouse = Warehouse(name=body.name)
    session.add(warehouse)
    session.commit()
    return warehouse


def _require(session: SessionDep, warehouse_id: int, book_id: int) -> None:
    if session.get(Warehouse, warehouse_id) is None:
        raise HTTPException(status_code=404, detail="No such warehouse.")
    if session.get(Book, book_id) is None:
        raise HTTPException(status_code=404, detail="No such book.")


@router.put("/{warehouse_id}/stock/{book_id}", response_model=StockOut)
def set_stock(warehouse_id: IdPath, book_id: IdPath, body: StockIn, session: SessionDep) -> StockOut:
    _require(session, warehouse_id, book_id)
    upsert = insert(Stock).values(warehouse_id=warehouse_id, book_id=book_id, quantity=body.quantity)
    session.execute(
        upsert.on_conflict_do_update(
            index_elements=["warehouse_id", "book_id"], set_={"quantity": body.quantity}
        )
    )
    session.commit()
    return StockOut(warehouse_id=warehouse_id, book_id=book_id, quantity=body.quantity)


@router.get("/{warehouse_id}/stock/{book_id}", response_model=StockOut)
def get_stock(warehouse_id: IdPath, book_id: IdPath, session: SessionDep) -> StockOut:
    _require(session, warehouse_id, book_id)
    quantity = session.scalar(
        select(Stock.quantity).where(Stock.warehouse_id == warehouse_id, Stock.book_id == book_id)
    )
    return StockOut(warehouse_id=warehouse_id, book_id=book_id, quantity=quantity or 0)
