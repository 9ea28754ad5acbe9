"""Database helpers of the lab04 suite: the contract's tables, the catalog, seeding, and the plans of
the app's own queries (captured by grader.pgproxy, replayed here with EXPLAIN).

The suite's own SQL goes straight to the run's database (the `db` fixture), never through the proxy.
"""

from __future__ import annotations

import asyncio
import json
import re
import struct
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg

from grader.checks import setup_failed
from grader.pgproxy import Measurement, PgProxy, Statement

# table -> columns the contract names, with the NOT NULL ones marked
TABLES: dict[str, dict[str, bool]] = {
    "authors": {"id": True, "name": True},
    "books": {"id": True, "title": True, "isbn": True, "author_id": True, "published_year": False},
    "tags": {"id": True, "name": True},
    "book_tags": {"book_id": True, "tag_id": True},
    "reviews": {"id": True, "book_id": True, "rating": True, "body": True, "created_at": True},
    "warehouses": {"id": True, "name": True},
    "stock": {"warehouse_id": True, "book_id": True, "quantity": True},
    "transfers": {
        "id": True,
        "book_id": True,
        "from_warehouse_id": True,
        "to_warehouse_id": True,
        "quantity": True,
        "created_at": True,
    },
}
PRIMARY_KEYS = {
    "authors": {"id"},
    "books": {"id"},
    "tags": {"id"},
    "book_tags": {"book_id", "tag_id"},
    "reviews": {"id"},
    "warehouses": {"id"},
    "stock": {"warehouse_id", "book_id"},
    "transfers": {"id"},
}
# (table, column) -> (referenced table, ON DELETE): c cascade; r restrict or a (no action)
FOREIGN_KEYS = {
    ("books", "author_id"): ("authors", "restrict"),
    ("book_tags", "book_id"): ("books", "cascade"),
    ("book_tags", "tag_id"): ("tags", "cascade"),
    ("reviews", "book_id"): ("books", "cascade"),
    ("stock", "warehouse_id"): ("warehouses", "restrict"),
    ("stock", "book_id"): ("books", "cascade"),
    ("transfers", "book_id"): ("books", "cascade"),
    ("transfers", "from_warehouse_id"): ("warehouses", "restrict"),
    ("transfers", "to_warehouse_id"): ("warehouses", "restrict"),
}
ON_DELETE = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
UNIQUE = [("books", "isbn"), ("tags", "name"), ("warehouses", "name")]
INTEGER_TYPES = {"integer", "bigint"}
TEXT_TYPES = {"text", "character varying"}
ROWS_READ_MAX = 500  # rows of the listed table a page or a search may read (a full scan reads 10 000)
SECONDS_MAX = 2.0


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# -- the catalog --------------------------------------------------------------------------------------


def existing_tables(db: psycopg.Connection) -> set[str]:
    rows = db.execute(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
    ).fetchall()
    return {row[0] for row in rows}


def columns(db: psycopg.Connection, table: str) -> dict[str, dict[str, Any]]:
    rows = db.execute(
        "SELECT column_name, data_type, is_nullable, column_default, is_identity"
        " FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s",
        [table],
    ).fetchall()
    return {
        name: {"type": kind, "not_null": nullable == "NO", "default": default, "identity": identity == "YES"}
        for name, kind, nullable, default, identity in rows
    }


def primary_key(db: psycopg.Connection, table: str) -> set[str]:
    rows = db.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
        " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
        " WHERE i.indrelid = to_regclass(%s) AND i.indisprimary",
        [table],
    ).fetchall()
    return {row[0] for row in rows}


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    references: str
    referenced_columns: tuple[str, ...]
    on_delete: str  # pg_constraint.confdeltype


def foreign_keys(db: psycopg.Connection, table: str) -> list[ForeignKey]:
    rows = db.execute(
        "SELECT c.conname, c.confrelid::regclass::text, c.confdeltype::text,"
        " array(SELECT attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o)"
        "       JOIN pg_attribute ON attrelid = c.conrelid AND attnum = k.n ORDER BY k.o),"
        " array(SELECT attname FROM unnest(c.confkey) WITH ORDINALITY k(n, o)"
        "       JOIN pg_attribute ON attrelid = c.confrelid AND attnum = k.n ORDER BY k.o)"
        " FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = to_regclass(%s)",
        [table],
    ).fetchall()
    return [
        ForeignKey(name, tuple(cols), ref.split(".")[-1].strip('"'), tuple(refcols), deltype)
        for name, ref, deltype, cols, refcols in rows
    ]


def unique_column_sets(db: psycopg.Connection, table: str) -> list[set[str]]:
    """Column sets of the table's unique indexes (constraints included); partial and expression
    indexes left out."""
    rows = db.execute(
        "SELECT array(SELECT attname FROM pg_attribute"
        "             WHERE attrelid = i.indrelid AND attnum = ANY(i.indkey))"
        " FROM pg_index i WHERE i.indrelid = to_regclass(%s) AND i.indisunique AND i.indpred IS NULL"
        " AND NOT (0 = ANY(i.indkey))",
        [table],
    ).fetchall()
    return [set(row[0]) for row in rows]


_NOT_EXTENSION = "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')"


def public_objects(db: psycopg.Connection) -> list[str]:
    """What lives in the current schema besides alembic_version and extensions' objects (a server may
    have pg_stat_statements installed there): tables, views, sequences, indexes, types."""
    rows = db.execute(
        "SELECT c.relkind::text, c.relname FROM pg_class c"
        " WHERE c.relnamespace = current_schema()::regnamespace"
        " AND c.relname NOT IN ('alembic_version', 'alembic_version_pkc')"
        " AND c.relkind IN ('r', 'v', 'm', 'S', 'i', 'p', 'f') AND "
        + _NOT_EXTENSION.format(oid="c.oid")
        + " UNION ALL SELECT 'type', t.typname FROM pg_type t"
        " WHERE t.typnamespace = current_schema()::regnamespace AND t.typtype IN ('e', 'd', 'c')"
        " AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid)"
        " AND " + _NOT_EXTENSION.format(oid="t.oid") + " ORDER BY 1, 2"
    ).fetchall()
    kinds = {
        "r": "table",
        "v": "view",
        "m": "view",
        "S": "sequence",
        "i": "index",
        "p": "table",
        "f": "table",
        "type": "type",
    }
    return [f"{kinds.get(kind, kind)} {name}" for kind, name in rows]


# -- a schema of its own: the migrations' round trip never touches the tables other checks use ----------

PROTOCOL_3 = 196608


def with_search_path(packet: bytes, schema: str) -> bytes:
    """A startup packet whose `options` also set search_path to `schema` (libpq's PGOPTIONS)."""
    if len(packet) < 8 or struct.unpack("!I", packet[4:8])[0] != PROTOCOL_3:
        return packet  # a cancel request, or a protocol the server will refuse anyway
    parts = packet[8:].split(b"\0")
    pairs: list[tuple[bytes, bytes]] = []
    for key, value in zip(parts[0::2], parts[1::2], strict=False):
        if not key:
            break
        pairs.append((key, value))
    ours = f"-c search_path={schema}".encode()
    options = [value for key, value in pairs if key == b"options"]
    pairs = [(key, value) for key, value in pairs if key != b"options"]
    pairs.append((b"options", b" ".join([*options, ours])))
    body = struct.pack("!I", PROTOCOL_3) + b"".join(k + b"\0" + v + b"\0" for k, v in pairs) + b"\0"
    return struct.pack("!I", len(body) + 4) + body


class SchemaProxy(PgProxy):
    """A proxy whose connections see one schema only (their search_path is that schema): the app's
    migrations and a second instance of the app run there as on an empty database of their own."""

    def __init__(self, upstream_host: str, upstream_port: int = 5432, *, schema: str, **kwargs: Any) -> None:
        super().__init__(upstream_host, upstream_port, **kwargs)
        self.schema = schema

    async def _read_startup(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes | None:
        packet = await super()._read_startup(reader, writer)
        return None if packet is None else with_search_path(packet, self.schema)


@dataclass
class Scratch:
    """An empty schema of the run's database, and how the app's commands and the suite reach it."""

    schema: str
    env: dict[str, str]  # DATABASE_URL for the app's commands and instances: through a SchemaProxy
    url: str  # the run's database, for the suite's own connections
    went_down: bool = False  # the round trip's downgrade has run in it

    def connect(self) -> psycopg.Connection:
        options = f"-c search_path={self.schema}"
        return psycopg.connect(self.url, autocommit=True, connect_timeout=5, options=options)


def schema_snapshot(db: psycopg.Connection) -> dict[str, Any]:
    """The contract tables' columns, constraints and indexes, in a form two schemas can be compared by."""
    snapshot: dict[str, Any] = {}
    for table in TABLES:
        if table not in existing_tables(db):
            snapshot[table] = None
            continue
        cons = db.execute(
            "SELECT contype::text, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = to_regclass(%s) ORDER BY 1, 2",
            [table],
        ).fetchall()
        idx = db.execute(  # without the index's name and its table's schema: two schemas compare equal
            "SELECT regexp_replace(indexdef, '^CREATE (UNIQUE )?INDEX \\S+ ON \\S+ ', 'CREATE \\1INDEX ON ')"
            " FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s ORDER BY 1",
            [table],
        ).fetchall()
        cols = columns(db, table)
        snapshot[table] = {
            "columns": {name: (c["type"], c["not_null"]) for name, c in sorted(cols.items())},
            "constraints": [f"{kind}: {definition}" for kind, definition in cons],
            "indexes": [row[0] for row in idx],
        }
    return snapshot


def drop_everything(db: psycopg.Connection) -> None:
    """Leave the current schema as empty as a fresh database (a failed downgrade must not sink the rest)."""
    kinds = {
        "r": "TABLE",
        "p": "TABLE",
        "f": "FOREIGN TABLE",
        "v": "VIEW",
        "m": "MATERIALIZED VIEW",
        "S": "SEQUENCE",
    }
    for relkind, kind in kinds.items():
        for (name,) in db.execute(
            "SELECT quote_ident(c.relname) FROM pg_class c"
            " WHERE c.relnamespace = current_schema()::regnamespace"
            " AND c.relkind = %s AND " + _NOT_EXTENSION.format(oid="c.oid"),
            [relkind],
        ).fetchall():
            db.execute(f"DROP {kind} IF EXISTS {name} CASCADE")
    for (name,) in db.execute(
        "SELECT quote_ident(t.typname) FROM pg_type t WHERE t.typnamespace = current_schema()::regnamespace"
        " AND t.typtype IN ('e', 'd', 'c')"
        " AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid)"
        " AND " + _NOT_EXTENSION.format(oid="t.oid")
    ).fetchall():
        db.execute(f"DROP TYPE IF EXISTS {name} CASCADE")


# -- writing rows the API would refuse -----------------------------------------------------------------


@dataclass
class Probe:
    """Rows made in a transaction that is always rolled back, to hang rule-breaking rows on."""

    db: psycopg.Connection
    author: int
    book: int
    tag: int
    north: int
    south: int

    def attempt(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> str | None:
        """Run one statement in a savepoint: the SQLSTATE of its error, or None if it was accepted."""
        try:
            with self.db.transaction():
                self.db.execute(sql, params)  # type: ignore[arg-type]  # our own literal SQL
        except psycopg.Error as exc:
            return exc.sqlstate or "error"
        return None

    def count(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> int:
        return self.db.execute(sql, params).fetchone()[0]  # type: ignore[arg-type, index]


@contextmanager
def probe(db: psycopg.Connection) -> Iterator[Probe]:
    mark = uuid.uuid4().hex[:8]
    with db.transaction(force_rollback=True):
        try:
            one = db.execute
            author = one("INSERT INTO authors (name) VALUES ('probe') RETURNING id").fetchone()[0]  # type: ignore[index]
            book = one(
                "INSERT INTO books (title, isbn, author_id) VALUES ('probe', %s, %s) RETURNING id",
                [f"P-{mark}", author],
            ).fetchone()[0]  # type: ignore[index]
            tag = one("INSERT INTO tags (name) VALUES (%s) RETURNING id", [f"probe-{mark}"]).fetchone()[0]  # type: ignore[index]
            north = one("INSERT INTO warehouses (name) VALUES (%s) RETURNING id", [f"n-{mark}"]).fetchone()[0]  # type: ignore[index]
            south = one("INSERT INTO warehouses (name) VALUES (%s) RETURNING id", [f"s-{mark}"]).fetchone()[0]  # type: ignore[index]
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            setup_failed(
                f"The grader could not write plain rows into the contract's tables: {first}",
                cause="plain rows cannot be written into the contract's tables",
                hint="The grader inserts authors(name), books(title, isbn, author_id), tags(name) and "
                "warehouses(name), leaving every other column to the database: ids generated, the other "
                "columns nullable or with a default. Compare your migrations with the contract's tables.",
                expected="authors(name), books(title, isbn, author_id), tags(name), warehouses(name) "
                "with every other column generated or defaulted",
                actual=first,
            )
        yield Probe(db, author, book, tag, north, south)


# -- seeding the large tables ----------------------------------------------------------------------------


@dataclass
class Seeded:
    author_id: int  # one of the seeded authors, 20 books each
    tag_id: int  # one of the seeded tags, 20 books each
    tag_name: str
    title_prefix: str  # starts 10 seeded titles
    title_matches: int
    books: int
    big_book_id: int = 0  # REVIEWS seeded reviews
    deep_cursor: str = ""  # a cursor behind all of them (made before they were added)
    deep_expected: list[int] = field(default_factory=list)  # the review ids that follow the deep cursor
    seed_seconds: float = 0.0


AUTHORS = 500  # seeded authors, BOOKS_EACH books each
TAGS = 500  # seeded tags, BOOKS_EACH books each
BOOKS_EACH = 20
BOOKS = AUTHORS * BOOKS_EACH
REVIEWS = 20000


def seed_catalog(db: psycopg.Connection, run: str) -> Seeded:
    """AUTHORS x 20 books, TAGS x 20 books: INSERT ... SELECT in one transaction, then ANALYZE."""
    with db.transaction():
        for table in ("authors", "tags"):
            db.execute(f"CREATE TEMP TABLE seed_{table} (n int PRIMARY KEY, id int) ON COMMIT DROP")
            db.execute(
                f"WITH made AS (INSERT INTO {table} (name) SELECT %s || n FROM generate_series(1, %s) n"
                " RETURNING id, name)"
                f" INSERT INTO seed_{table} SELECT substring(name FROM '[0-9]+$')::int, id FROM made",
                [f"seed-{table}-{run}-", AUTHORS if table == "authors" else TAGS],
            )
        # Book n: author n mod AUTHORS (an author's books spread over the table), tag n / 20 (a tag's
        # books are neighbours). Titles "Seed 00001", "Seed 00002", ...
        db.execute(
            "INSERT INTO books (title, isbn, author_id, published_year)"
            " SELECT 'Seed ' || to_char(g.n, 'FM00000'), %s || g.n, a.id, 1900 + g.n %% 120"
            " FROM generate_series(1, %s) g(n) JOIN seed_authors a ON a.n = 1 + g.n %% %s",
            [f"S{run}-", BOOKS, AUTHORS],
        )
        db.execute(
            "INSERT INTO book_tags (book_id, tag_id)"
            " SELECT b.id, t.id FROM books b JOIN seed_tags t ON t.n = 1 + (substr(b.isbn, %s)::int - 1) / %s"
            " WHERE b.isbn LIKE %s",
            [len(f"S{run}-") + 1, BOOKS_EACH, f"S{run}-%"],
        )
        author_id = db.execute("SELECT id FROM seed_authors WHERE n = 277").fetchone()[0]  # type: ignore[index]
        tag_id, tag_name = db.execute(
            "SELECT t.id, t.name FROM seed_tags s JOIN tags t ON t.id = s.id WHERE s.n = 255"
        ).fetchone()  # type: ignore[misc]
    return Seeded(
        author_id=author_id,
        tag_id=tag_id,
        tag_name=tag_name,
        title_prefix="Seed 0123",
        title_matches=10,
        books=BOOKS,
    )


def insert_books(
    db: psycopg.Connection, author_id: int, count: int, tag_ids: list[list[int]] | None = None
) -> list[int]:
    """`count` books of one author, straight into the table (ids in ascending order); book i gets the
    tags tag_ids[i % len(tag_ids)]."""
    mark = uuid.uuid4().hex[:8]
    with db.transaction():
        ids = [
            row[0]
            for row in db.execute(
                "INSERT INTO books (title, isbn, author_id) SELECT 'Direct ' || n, %s || n, %s"
                " FROM generate_series(1, %s) n ORDER BY n RETURNING id",
                [f"D{mark}-", author_id, count],
            ).fetchall()
        ]
        for i, book_id in enumerate(sorted(ids)):
            for tag_id in tag_ids[i % len(tag_ids)] if tag_ids else []:
                db.execute("INSERT INTO book_tags (book_id, tag_id) VALUES (%s, %s)", [book_id, tag_id])
    return sorted(ids)


def seed_reviews(db: psycopg.Connection, book_id: int, count: int = REVIEWS) -> None:
    """`count` reviews of one book, all newer than anything written before (an hour ahead of now),
    two by two with the same created_at (ties the id must break)."""
    db.execute(
        "INSERT INTO reviews (book_id, rating, body, created_at)"
        " SELECT %s, 1 + n %% 5, 'seeded review ' || n, now() + interval '1 hour' + (n / 2) * interval '1 ms'"
        " FROM generate_series(1, %s) n",
        [book_id, count],
    )


# -- plans of the app's own queries ------------------------------------------------------------------------

_READ_ONLY = re.compile(r"^\s*(\(\s*)*(SELECT|WITH|VALUES|TABLE)\b", re.IGNORECASE)
_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)


def walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from walk(child)


@dataclass
class Analysed:
    statement: Statement
    plan: dict[str, Any] | None  # the top plan node; None when it could not be replayed
    error: str = ""

    def rows_read(self, table: str) -> int:
        """Rows the plan read from `table`: returned by its scans plus rejected by their filters."""
        if self.plan is None:
            return 0
        total = 0.0
        for node in walk(self.plan):
            if node.get("Relation Name") != table:
                continue
            per_loop = (
                node.get("Actual Rows", 0)
                + node.get("Rows Removed by Filter", 0)
                + node.get("Rows Removed by Index Recheck", 0)
            )
            total += per_loop * max(1, node.get("Actual Loops", 1))
        return round(total)

    def touches(self, table: str) -> bool:
        return self.plan is not None and any(n.get("Relation Name") == table for n in walk(self.plan))

    def summary(self, table: str) -> str:
        """`Seq Scan on books (read 30000)`, the plan nodes that touched the table."""
        if self.plan is None:
            return "no plan"
        parts = []
        for node in walk(self.plan):
            if node.get("Relation Name") == table:
                how = node["Node Type"] + (f" using {node['Index Name']}" if node.get("Index Name") else "")
                parts.append(f"{how} on {table}")
            elif node["Node Type"] in ("Sort", "Incremental Sort"):
                parts.append(node["Node Type"])
        return ", ".join(parts) or "no scan of " + table


def short_sql(sql: str, limit: int = 220) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def explain(db: psycopg.Connection, statement: Statement, *, analyze: bool) -> Analysed:
    """The plan of one captured statement, with the parameters the app sent. ANALYZE runs it: only
    read-only statements are replayed, in a READ ONLY transaction that is rolled back."""
    if not statement.replayable or not _READ_ONLY.match(statement.sql) or _WRITES.search(statement.sql):
        return Analysed(statement, None, "not a replayable read")
    options = "ANALYZE, FORMAT JSON" if analyze else "FORMAT JSON"
    command, values, types, formats = statement.explain_args(options)
    try:
        with db.transaction(force_rollback=True):
            db.execute("SET TRANSACTION READ ONLY")
            db.execute("SET LOCAL statement_timeout = '10s'")
            result = db.pgconn.exec_params(command, values, types, formats)
            if result.status != psycopg.pq.ExecStatus.TUPLES_OK:
                raise _NotReplayed((result.error_message or b"").decode(errors="replace").strip())
            raw = result.get_value(0, 0) or b"[]"
    except (psycopg.Error, _NotReplayed) as exc:
        return Analysed(statement, None, str(exc).strip().splitlines()[0] if str(exc).strip() else "error")
    document = json.loads(raw.decode())
    return Analysed(statement, document[0]["Plan"])


class _NotReplayed(Exception):
    pass


def analyse(db: psycopg.Connection, measurement: Measurement, *, analyze: bool = True) -> list[Analysed]:
    return [explain(db, s, analyze=analyze) for s in measurement.queries()]


def plan_of(db: psycopg.Connection, sql: str, params: tuple[Any, ...] = ()) -> dict[str, Any]:
    """The plan of the suite's own query (no ANALYZE)."""
    row = db.execute(f"EXPLAIN (FORMAT JSON) {sql}", params).fetchone()  # type: ignore[arg-type]
    document = row[0] if not isinstance(row[0], str) else json.loads(row[0])
    return document[0]["Plan"]


def index_scans(plan: dict[str, Any], table: str, index_names: set[str]) -> list[str]:
    """Index scans in the plan that read `table` (directly, or through one of its index names)."""
    found = []
    for node in walk(plan):
        kind = node["Node Type"]
        if (kind in ("Index Scan", "Index Only Scan") and node.get("Relation Name") == table) or (
            kind == "Bitmap Index Scan" and node.get("Index Name") in index_names
        ):
            found.append(f"{kind} using {node.get('Index Name')}")
    return found


def plan_outline(plan: dict[str, Any]) -> str:
    parts = []
    for node in walk(plan):
        label = node["Node Type"]
        if node.get("Relation Name"):
            label += f" on {node['Relation Name']}"
        if node.get("Index Name"):
            label += f" using {node['Index Name']}"
        parts.append(label)
    return " -> ".join(parts)


def index_names(db: psycopg.Connection, table: str) -> set[str]:
    rows = db.execute(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s", [table]
    ).fetchall()
    return {row[0] for row in rows}
