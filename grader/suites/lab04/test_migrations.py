"""Migrations: a linear history that goes down and up again

The round trip (`upgrade head`, `downgrade base`, `upgrade head`) runs in a schema of its own (its
connections' search_path), so it never takes away the tables that the other checks, running at the same
time, are using: the run's own schema is left as the setup built it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import psycopg
import pytest
from lab04_db import TABLES, Scratch, drop_everything, existing_tables, public_objects, schema_snapshot

from grader.checks import check, expect, fail, setup_failed
from grader.runners.base import CommandResult

REVISION = re.compile(r"^(<base>|[0-9A-Za-z_]+)(, [0-9A-Za-z_]+)* -> ")  # a line of `alembic history`
HEAD = re.compile(r"-> ([0-9A-Za-z_]+) \([^)]*head")


@pytest.fixture(scope="module")
def round_trip(new_scratch) -> Iterator[Scratch]:
    """The schema the round trip runs in, shared by this module's checks (they run in order)."""
    with new_scratch() as scratch:
        yield scratch


@pytest.fixture(scope="module")
def built(database_url: str) -> dict:
    """The schema as the setup's `upgrade head` built it (the run's own schema, never taken down)."""
    with psycopg.connect(database_url, autocommit=True, connect_timeout=5) as db:
        return schema_snapshot(db)


COMMAND_SECONDS = 40  # one alembic command: a new process (a new container under docker) on a busy machine


def _run(run_command, name: str, scratch: Scratch):
    return run_command(name, env=scratch.env, timeout=COMMAND_SECONDS)


def _upgrade_first(run_command, scratch: Scratch) -> None:
    result = _run(run_command, "upgrade", scratch)
    if not result.ok:
        setup_failed(
            f"`python -m alembic upgrade head` on an empty schema failed (exit code {result.exit_code}), "
            "so there was nothing to take down.",
            cause="alembic upgrade head failed on an empty schema",
            hint="Run `python -m alembic upgrade head` on an empty database yourself and read the error. "
            "Your migrations must not name a schema: the grader runs them in a schema of their own.",
            expected="exit code 0",
            actual=result.output.strip()[-400:],
        )


def _down(run_command, scratch: Scratch) -> tuple[CommandResult, list[str], int]:
    """upgrade head, then downgrade base, in the scratch schema: the command's result, what is left
    and the rows of alembic_version. What is left is then removed, so that the next check starts from
    an empty schema whatever happened."""
    _upgrade_first(run_command, scratch)
    result = _run(run_command, "downgrade", scratch)
    scratch.went_down = True
    with scratch.connect() as db:
        present = existing_tables(db)
        left = public_objects(db)
        versions = (
            db.execute("SELECT count(*) FROM alembic_version").fetchone()[0]
            if "alembic_version" in present
            else 0
        )
        if left or versions or not result.ok:
            drop_everything(db)
            if "alembic_version" in existing_tables(db):
                db.execute("DROP TABLE alembic_version")
    return result, left, versions


def _differences(before: dict, after: dict) -> list[str]:
    found = []
    for table in TABLES:
        if before.get(table) != after.get(table):
            old, new = before.get(table) or {}, after.get(table) or {}
            for part in ("columns", "constraints", "indexes"):
                if old.get(part) != new.get(part):
                    found.append(f"{table} {part}")
    return found


@check(
    "The database is at the single head of a linear migration history",
    points=3,
    rules=["R1.1"],
    budget=45,
    hint="`alembic history` must show one line of revisions ending at one head, and alembic_version must "
    "hold it. Two migrations with the same down_revision make two heads; a revision with two parents is "
    "a merge point: chain each new one on the previous (alembic revision does it for you), and never "
    "edit the history others already ran.",
)
def test_version_is_head(run_command, db):
    result = run_command("history", timeout=COMMAND_SECONDS)
    expect(
        result.ok,
        f"`python -m alembic history` failed (exit code {result.exit_code}).",
        expected="exit code 0",
        actual=result.output.strip()[-300:],
    )
    lines = [line.strip() for line in result.output.splitlines() if REVISION.match(line.strip())]
    heads = [HEAD.search(line).group(1) for line in lines if HEAD.search(line)]
    expect(
        len(heads) == 1,
        "`python -m alembic history` should show exactly one head.",
        expected="one (head)",
        actual=", ".join(heads) or "none",
    )
    forks = [
        line for line in lines if "mergepoint" in line or "branchpoint" in line or "," in line.split("->")[0]
    ]
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
    rules=["R1.2"],
    budget=90,  # two alembic commands
    hint="Each migration's downgrade() undoes its upgrade() exactly, in reverse order: drop indexes and "
    "tables (children before parents), and the enum types or sequences you created by hand.",
)
def test_downgrade_to_base(run_command, round_trip):
    result, left, versions = _down(run_command, round_trip)
    if not result.ok:
        fail(
            f"`python -m alembic downgrade base` failed (exit code {result.exit_code}).",
            expected="exit code 0",
            actual=result.output.strip()[-400:],
        )
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
    "`alembic upgrade head` after `downgrade base` builds the same schema again",
    points=4,
    rules=["R1.3"],
    budget=130,  # one alembic command, three when graded without downgrade_to_base
    hint="Upgrade, downgrade, upgrade: the schema must come back identical (columns, constraints, indexes). "
    "A downgrade that forgets something makes the next upgrade fail or differ; so does a schema change "
    "made outside the migrations (by the app at start-up, or by hand).",
)
def test_upgrade_again(run_command, round_trip, built):
    if not round_trip.went_down:  # graded without downgrade_to_base
        _down(run_command, round_trip)
    result = _run(run_command, "upgrade", round_trip)
    expect(
        result.ok,
        f"`python -m alembic upgrade head` after `downgrade base` failed (exit code {result.exit_code}).",
        expected="exit code 0",
        actual=result.output.strip()[-400:],
    )
    with round_trip.connect() as db:
        after = schema_snapshot(db)
    differences = _differences(built, after)
    expect(
        not differences,
        "The schema built by upgrade, downgrade and upgrade differs from the one the first "
        "`upgrade head` built (before the app started).",
        expected="the same schema",
        actual=", ".join(differences[:6]),
    )
