"""Transactions and concurrency: stock transfers"""

from __future__ import annotations

from datetime import datetime

from lab04_api import new_author, new_book, new_warehouse, patient, rounds, set_stock, stock

from grader.checks import check, describe, expect, expect_status, json_body
from grader.concurrency import burst, statuses, tally

UNKNOWN = 2147483000
ROUNDS = 4  # bursts per race check: a race must show in one of them even on a busy machine


def _shop(api, north_quantity: int, south_quantity: int | None = None) -> tuple[int, int, int]:
    book_id = new_book(api, new_author(api))["id"]
    north, south = new_warehouse(api), new_warehouse(api)
    set_stock(api, north, book_id, north_quantity)
    if south_quantity is not None:
        set_stock(api, south, book_id, south_quantity)
    return book_id, north, south


def _transfer(api, book_id: int, source: int, target: int, quantity: int):
    return api.post(
        "/transfers",
        json={
            "book_id": book_id,
            "from_warehouse_id": source,
            "to_warehouse_id": target,
            "quantity": quantity,
        },
    )


def _ledger(db, book_id: int) -> tuple[int, int]:
    """Rows and total quantity in transfers for the book."""
    row = db.execute(
        "SELECT count(*), coalesce(sum(quantity), 0) FROM transfers WHERE book_id = %s", [book_id]
    ).fetchone()
    return int(row[0]), int(row[1])


def _expect_stock(api, book_id: int, north: int, south: int, want: tuple[int, int], after: str) -> None:
    got = (stock(api, north, book_id), stock(api, south, book_id))
    expect(
        got == want,
        f"{after}: the stock of the two warehouses is wrong.",
        expected=f"source {want[0]}, destination {want[1]}",
        actual=f"source {got[0]}, destination {got[1]}",
    )


@check(
    "POST /transfers moves stock, creates the destination's row, records the transfer and answers 201",
    points=3,
    rules=["R6.1"],
    hint="In one transaction: subtract from the source, add to the destination (insert its row if missing: "
    "INSERT ... ON CONFLICT DO UPDATE), insert the transfer, commit; answer 201 with the transfer.",
)
def test_transfer_moves_stock(api, db):
    book_id, north, south = _shop(api, 10)
    response = _transfer(api, book_id, north, south, 4)
    expect_status(response, 201)
    body = json_body(response)
    want = {"book_id": book_id, "from_warehouse_id": north, "to_warehouse_id": south, "quantity": 4}
    got = {key: body.get(key) for key in want}
    try:
        moment = datetime.fromisoformat(str(body.get("created_at")).replace("Z", "+00:00"))
    except ValueError:
        moment = None
    expect(
        got == want and isinstance(body.get("id"), int) and moment is not None and moment.tzinfo is not None,
        f"{describe(response)}: the answer should be the transfer, with its id and created_at.",
        expected={"id": "...", **want, "created_at": "ISO 8601 with a time zone"},
        actual=response.text[:200],
        response=response,
    )
    _expect_stock(api, book_id, north, south, (6, 4), "10 units, then a transfer of 4")
    expect(
        _ledger(db, book_id) == (1, 4),
        "The transfers table should hold the transfer.",
        expected="1 row of 4 units",
        actual=f"{_ledger(db, book_id)[0]} rows",
    )
    expect_status(_transfer(api, book_id, south, north, 4), 201)
    _expect_stock(api, book_id, north, south, (10, 0), "and 4 back")


@check(
    "A transfer of more than the source holds answers 409 and changes nothing; all of it is fine",
    points=3,
    rules=["R6.2"],
    hint="Check the quantity in the same statement that takes it (UPDATE ... SET quantity = quantity - :n "
    "WHERE ... AND quantity >= :n) or on a row locked FOR UPDATE; no row updated means 409.",
)
def test_insufficient_stock_409(api, db):
    book_id, north, south = _shop(api, 5)
    expect_status(_transfer(api, book_id, north, south, 6), 409)
    _expect_stock(api, book_id, north, south, (5, 0), "5 units, then a refused transfer of 6")
    response = _transfer(api, book_id, south, north, 1)
    expect(
        response.status_code == 409,
        f"{describe(response)} from a warehouse that never had the book: expected 409, got "
        f"{response.status_code}.",
        expected="409",
        actual=str(response.status_code),
        response=response,
    )
    expect(
        _ledger(db, book_id) == (0, 0),
        "Refused transfers must not be recorded in transfers.",
        expected="no row",
        actual=f"{_ledger(db, book_id)[0]} rows",
    )
    response = _transfer(api, book_id, north, south, 5)
    expect(
        response.status_code == 201,
        f"{describe(response)}: moving exactly the 5 units the source holds should succeed, got "
        f"{response.status_code}.",
        expected="201",
        actual=str(response.status_code),
        response=response,
    )
    _expect_stock(api, book_id, north, south, (0, 5), "5 units, then a transfer of all 5")


@check(
    "Invalid transfers (quantity < 1, the same warehouse twice, an unknown book or warehouse) answer 422",
    points=2,
    rules=["R6.3"],
    hint="Validate the body (quantity >= 1, two different warehouses), and look the book and both "
    "warehouses up: an unknown one is the request's mistake (422, say which), not a lack of stock (409), "
    "and never a 500.",
)
def test_invalid_transfer_422(api, db):
    book_id, north, south = _shop(api, 5)
    cases = [
        ({"book_id": book_id, "from_warehouse_id": north, "to_warehouse_id": south, "quantity": 0}, (422,)),
        ({"book_id": book_id, "from_warehouse_id": north, "to_warehouse_id": south, "quantity": -2}, (422,)),
        ({"book_id": book_id, "from_warehouse_id": north, "to_warehouse_id": north, "quantity": 1}, (422,)),
        ({"book_id": book_id, "from_warehouse_id": north, "quantity": 1}, (422,)),
        ({"book_id": UNKNOWN, "from_warehouse_id": north, "to_warehouse_id": south, "quantity": 1}, (422,)),
        ({"book_id": book_id, "from_warehouse_id": UNKNOWN, "to_warehouse_id": south, "quantity": 1}, (422,)),
        ({"book_id": book_id, "from_warehouse_id": north, "to_warehouse_id": UNKNOWN, "quantity": 1}, (422,)),
        ({"book_id": book_id, "from_warehouse_id": north, "to_warehouse_id": 2**40, "quantity": 1}, (422,)),
        (
            {"book_id": book_id, "from_warehouse_id": north, "to_warehouse_id": south, "quantity": "1; --"},
            (422,),
        ),
    ]
    for body, codes in cases:
        response = api.post("/transfers", json=body)
        expect(
            response.status_code in codes,
            f"{describe(response)} with {body}: expected {' or '.join(map(str, codes))}, got "
            f"{response.status_code}.",
            expected=str(codes[0]),
            actual=str(response.status_code),
            response=response,
        )
    _expect_stock(api, book_id, north, south, (5, 0), "after the refused transfers")
    expect(
        _ledger(db, book_id) == (0, 0),
        "Refused transfers must not be recorded in transfers.",
        expected="no row",
        actual=f"{_ledger(db, book_id)[0]} rows",
    )


@check(
    "A transfer that fails half-way (the destination's stock would overflow) changes nothing at all",
    points=4,
    rules=["R6.4", "R4.15"],
    hint="Both stock changes and the transfer row belong to ONE transaction, committed once at the end. "
    "Commit after taking the units and a failure while adding them leaves the units lost. A value out of "
    "the column's range is an error of the request (422), never a 500.",
)
def test_failed_transfer_changes_nothing(api, db):
    book_id, north, south = _shop(api, 20)
    kind = db.execute(
        "SELECT data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = 'stock' AND column_name = 'quantity'"
    ).fetchone()
    top = {"smallint": 2**15 - 1, "bigint": 2**63 - 1}.get(kind[0] if kind else "", 2**31 - 1) - 5
    db.execute(  # the destination is nearly full: adding 10 units is out of the column's range
        "INSERT INTO stock (warehouse_id, book_id, quantity) VALUES (%s, %s, %s)", [south, book_id, top]
    )
    response = _transfer(api, book_id, north, south, 10)
    expect(
        response.status_code in (422, 409),
        f"{describe(response)} to a warehouse whose stock would go past the largest {kind[0] if kind else ''}"
        f": expected 422, got {response.status_code}.",
        expected="422",
        actual=str(response.status_code),
        response=response,
    )
    got = (stock(api, north, book_id), stock(api, south, book_id))
    expect(
        got == (20, top),
        "A transfer that failed half-way must change nothing: the source must keep its units.",
        expected=f"source 20, destination {top}",
        actual=f"source {got[0]}, destination {got[1]}",
    )
    expect(
        _ledger(db, book_id) == (0, 0),
        "A failed transfer must not be recorded in transfers.",
        expected="no row",
        actual=f"{_ledger(db, book_id)[0]} rows",
    )


@check(
    "30 transfers of 1 unit at once from a stock of 10: exactly 10 succeed, nothing is lost or oversold",
    points=5,
    rules=["R6.5"],
    budget=40,
    hint='"Read the quantity, check it, write quantity - 1" lets concurrent requests read the same value. '
    "Make the check and the write one atomic step: a conditional UPDATE, or SELECT ... FOR UPDATE first.",
)
def test_concurrent_transfers(api, new_api, db):
    for round_number in rounds(ROUNDS):
        racer = patient(new_api())  # fresh connections: no keep-alive left over from the last round
        book_id, north, south = _shop(api, 10, 0)
        outcomes = statuses(
            burst(30, lambda i, b=book_id, n=north, s=south, racer=racer: _transfer(racer, b, n, s, 1))
        )
        where = f"(round {round_number} of {ROUNDS})"
        expect(
            set(outcomes) <= {201, 409},
            f"30 × POST /transfers of 1 unit at once {where}: every answer should be 201 or 409.",
            expected="201 or 409",
            actual=tally(outcomes),
        )
        got = (stock(api, north, book_id), stock(api, south, book_id))
        ledger = _ledger(db, book_id)
        ok = outcomes.count(201) == 10 and got == (0, 10) and ledger == (10, 10)
        expect(
            ok,
            f"30 × POST /transfers of 1 unit at once from a stock of 10 {where}: expected exactly 10 × 201, "
            "the source at 0, the destination at 10 and 10 transfers recorded.",
            expected="10 × 201; 0 and 10; 10 transfers",
            actual=f"{outcomes.count(201)} × 201; {got[0]} and {got[1]}; {ledger[0]} transfers",
        )


@check(
    "40 transfers at once in both directions between two warehouses: all succeed, no deadlock, totals kept",
    points=5,
    rules=["R6.6"],
    budget=40,
    hint="Two transactions that lock the same two rows in opposite orders deadlock, and PostgreSQL kills one "
    "(SQLSTATE 40P01, a 500 if unhandled). Always touch the two stock rows in one order, e.g. lowest "
    "warehouse id first.",
)
def test_concurrent_opposite_transfers(api, new_api, db):
    for round_number in rounds(ROUNDS):
        racer = patient(new_api())  # fresh connections: no keep-alive left over from the last round
        book_id, north, south = _shop(api, 30, 30)
        outcomes = statuses(
            burst(
                40,
                lambda i, b=book_id, n=north, s=south, racer=racer: _transfer(
                    racer, b, *((n, s) if i % 2 else (s, n)), 1
                ),
            )
        )
        got = (stock(api, north, book_id), stock(api, south, book_id))
        ledger = _ledger(db, book_id)
        expect(
            outcomes.count(201) == 40 and got == (30, 30) and ledger == (40, 40),
            "20 transfers of 1 unit each way between two warehouses of 30 units, all at once "
            f"(round {round_number} of {ROUNDS}): expected 40 × 201, 30 and 30 at the end, and 40 "
            "transfers recorded.",
            expected="40 × 201; 30 and 30; 40 transfers",
            actual=f"{tally(outcomes)}; {got[0]} and {got[1]}; {ledger[0]} transfers",
        )
