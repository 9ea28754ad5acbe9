"""Migrations (run last: they take the schema down and up again)"""

from __future__ import annotations

import re

import pytest
from lab04_api import new_author
from lab04_db import TABLES, drop_everything, existing_tables, public_objects, schema_snapshot

from grader.checks import check, expect, fail
from grader.runners.base import AppStartError

REVISION = re.compile(r"^(<base>|[0-9A-Za-z_]+)(, [0-9A-Za-z_]+)* -> ")  # a line of `alembic history`
HEAD = re.compile(r"-> ([0-9A-Za-z_]+) \([^)]*head")


def _history(run_command) -> str:
    result = run_command("history")
    expect(
        result.ok,
        f"`python -m alembic history` failed (exit code {result.exit_code}).",
        expected="exit code 0",
        actual=result.output.strip()[-300:],
    )
    return result.output


@pytest.fixture(scope="module")
def before(database_url):
    """The schema as `upgrade head` built it at the start of the run, before anything is taken down."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as db:
        return schema_snapshot(db)


@check(
    "The database is at the single head of a linear migration history",
    points=3,
    hint="`alembic history` must show one line of revisions ending at one head, and alembic_version must "
    "hold it. Two migrations "
    "with the same down_revision make two heads: chain each new one on the previous (alembic revision "
    "does it for you), and never edit the history others already ran.",
)
def test_version_is_head(run_command, db):
    lines = [line.strip() for line in _history(run_command).splitlines() if REVISION.match(line.strip())]
    heads = [HEAD.search(line).group(1) for line in lines if HEAD.search(line)]
    expect(
        len(heads) == 1,
        "`python -m alembic history` should show exactly one head.",
        expected="one (head)",
        actual=", ".join(heads) or "none",
    )
    forks = [line for line in lines if "mergepoint" in line or "branchpoint" in line]
    expect(
        not forks,
        "The history has branch or merge points: it should be one straight line.",
        expected="no (branchpoint) / (mergepoint)",
        actual=forks[0] if forks else "",
    )
    expect(
        "alembic_version" in existing_tables(db),
        "There is no alembic_version table: was the schema created by the migrations?",
        expected="alembic_version",
        actual="missing",
    )
    rows = [row[0] for row in db.execute("SELECT version_num FROM alembic_version").fetchall()]
    expect(
        rows == heads,
        "alembic_version should hold the head revision after `upgrade head`.",
        expected=heads,
        actual=rows,
    )


@check(
    "`alembic downgrade base` removes every table, index, sequence and type the migrations created",
    points=4,
    needs="version_is_head",
    hint="Each migration's downgrade() undoes its upgrade() exactly, in reverse order: drop indexes and "
    "tables (children before parents), and the enum types or sequences you created by hand.",
)
def test_downgrade_to_base(run_command, db, before):
    result = run_command("downgrade")
    if not result.ok:
        drop_everything(db)
        fail(
            f"`python -m alembic downgrade base` failed (exit code {result.exit_code}).",
            expected="exit code 0",
            actual=result.output.strip()[-400:],
        )
    left = public_objects(db)
    versions = (
        db.execute("SELECT count(*) FROM alembic_version").fetchone()[0]
        if "alembic_version" in existing_tables(db)
        else 0
    )
    if left or versions:
        drop_everything(db)
    expect(
        not left,
        "After `downgrade base`, objects of the migrations are still there.",
        expected="nothing but alembic_version",
        actual=", ".join(left[:8]),
    )
    expect(
        versions == 0,
        "After `downgrade base`, alembic_version should be empty.",
        expected="0 rows",
        actual=f"{versions} rows",
    )


@check(
    "The app does not create the schema itself when it starts",
    points=3,
    needs="downgrade_to_base",
    hint="No metadata.create_all() (and no migration run) at start-up: the schema belongs to the migrations, "
    "which the deployment runs once, before the app.",
)
def test_app_does_not_create_schema(start_app, db):
    try:
        instance = start_app()
    except AppStartError:
        instance = None  # an app that cannot start on an empty database is no failure here
    if instance is not None:
        instance.stop()
    made = [table for table in TABLES if table in existing_tables(db)]
    if made:
        drop_everything(db)
    expect(
        not made,
        "A second instance of the app, started on the downgraded database, created tables.",
        expected="no tables of the contract",
        actual=f"created: {made}",
    )


@check(
    "`alembic upgrade head` after the downgrade builds the same schema again, and the app works on it",
    points=4,
    needs="downgrade_to_base",
    hint="Upgrade, downgrade, upgrade: the schema must come back identical (columns, constraints, indexes). "
    "A downgrade that forgets something makes the next upgrade fail or differ.",
)
def test_upgrade_again(run_command, db, api, before):
    result = run_command("upgrade")
    expect(
        result.ok,
        f"`python -m alembic upgrade head` after `downgrade base` failed (exit code {result.exit_code}).",
        expected="exit code 0",
        actual=result.output.strip()[-400:],
    )
    after = schema_snapshot(db)
    differences = []
    for table in TABLES:
        if before.get(table) != after.get(table):
            old, new = before.get(table) or {}, after.get(table) or {}
            for part in ("columns", "constraints", "indexes"):
                if old.get(part) != new.get(part):
                    differences.append(f"{table} {part}")
    expect(
        not differences,
        "The schema after downgrade + upgrade differs from the first upgrade.",
        expected="the same schema",
        actual=", ".join(differences[:6]),
    )
    new_author(api)
