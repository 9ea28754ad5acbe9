"""More than one process per submission: the manifest's [processes.<name>] (an app and its worker).

The fixture lab lab93 (tests/fixtures/kit) is an app and a worker that talk through a Redis queue; its
suite reaches the worker through the `processes` fixture, kills it mid-job and starts it again. Both
runners must grade it 100%, leave nothing behind, report a worker that crashes with its last lines,
and stop the grading with the reason when the worker does not start.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

import pytest

from grader.runners.base import LogBuffer
from tests.conftest import runners
from tests.kit import ROOT, grade, results_summary
from tests.leftovers import Watch
from tests.test_cli import run_cli

FIXTURE_KIT = ROOT / "tests" / "fixtures" / "kit"
WORKER = (FIXTURE_KIT / "labs" / "lab93-workers" / "app" / "worker.py").read_text()


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    """A private copy of the fixture kit, to break at will."""
    copy = tmp_path / "kit"
    shutil.copytree(FIXTURE_KIT, copy, ignore=shutil.ignore_patterns("__pycache__", ".grade"))
    return copy


def worker_variant(kit: Path, name: str, worker_py: str) -> Path:
    """lab93 with another app/worker.py."""
    folder = kit / "variants" / name
    shutil.copytree(kit / "labs" / "lab93-workers", folder)
    (folder / "app" / "worker.py").write_text(worker_py)
    return folder


@pytest.mark.parametrize("runner", runners())
def test_a_worker_runs_beside_the_app_and_is_killed_and_started_again(runner, tmp_path):
    """The worker gets the app's environment (as the same unprivileged user), does the jobs the app
    queues, is killed mid-job and started again by the suite, and nothing of it stays afterwards."""
    run_id = f"t{secrets.token_hex(4)}"
    watch = Watch(runner, run_id)
    watch.follow(os.getpid())
    graded = grade(
        "lab93",
        "--suites",
        str(FIXTURE_KIT / "suites"),
        runner=runner,
        tmp=tmp_path,
        root=FIXTURE_KIT,
        env={"GRADE_RUN_ID": run_id, "REDIS_URL": ""},
    )
    assert graded.exit_code == 0, results_summary(graded)
    assert graded.result is not None
    assert graded.result.percent == 100.0
    assert graded.outcome("workers::kill_mid_job") == "passed"
    assert graded.result.app.problem is None
    assert watch.leftovers() == []


@pytest.mark.parametrize("runner", runners())
def test_a_worker_that_crashes_is_reported_with_its_last_lines(runner, kit, tmp_path):
    crashing = WORKER.replace(
        '    key = f"job:{job_id}"\n',
        '    key = f"job:{job_id}"\n    if QUEUE.hget(key, "text") == "hello":\n'
        '        raise RuntimeError("cannot handle this job")\n',
    )
    assert crashing != WORKER
    folder = worker_variant(kit, "crash", crashing)
    graded = grade(
        "lab93",
        "--path",
        str(folder),
        "--suites",
        str(kit / "suites"),
        "--only",
        "workers::job",
        runner=runner,
        tmp=tmp_path,
        root=kit,
        env={"REDIS_URL": ""},
    )
    assert graded.exit_code == 1, results_summary(graded)
    assert graded.result is not None
    job = next(check for check in graded.result.checks if check.id == "workers::job")
    assert job.outcome == "failed"
    assert "The worker process stopped during this check (exit code 1)." in (job.message or "")
    output = job.app_output or ""
    assert "[worker: its last lines]" in output
    assert "RuntimeError: cannot handle this job" in output
    problem = graded.result.app.problem or ""
    assert (
        problem
        == "the worker process stopped during «a job posted to the app is done by the worker» (exit code 1)"
    )
    assert "Traceback" not in graded.stderr


def test_a_worker_that_does_not_start_stops_the_grading_with_its_reason(kit, tmp_path):
    folder = worker_variant(kit, "broken", "raise SystemExit('missing configuration: QUEUE_NAME')\n")
    graded = grade(
        "lab93",
        "--path",
        str(folder),
        "--suites",
        str(kit / "suites"),
        tmp=tmp_path,
        root=kit,
        env={"REDIS_URL": ""},
    )
    assert graded.exit_code == 1, results_summary(graded)
    result = graded.result
    assert result is not None
    assert not result.app.started
    assert result.app.problem == "the worker process exited with code 1 within its first 1 s"
    assert "missing configuration: QUEUE_NAME" in result.app.output_tail
    assert all(check.message == "not run: the app did not start" for check in result.checks)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            '[processes.worker]\ncomand = "python -m app.worker"\n',
            "unknown key `processes.worker.comand`. Did you mean `processes.worker.command`?",
        ),
        (
            '[processes.worker]\ncommand = "python -m app.worker"\nready = "/health"\n',
            "`processes.worker`: a `ready` probe needs the `port` the process listens on.",
        ),
        (
            '[processes.app-2]\ncommand = "python -m app.worker"\n',
            "`processes`: the process name 'app-2' is taken by the grader",
        ),
        (
            '[processes.worker]\ncommand = "celery -A app worker"\n',
            "`processes.worker.command`: commands start with `python`",
        ),
    ],
    ids=["misspelled-key", "ready-without-port", "reserved-name", "not-python"],
)
def test_a_broken_processes_table_is_one_sentence(kit, table, expected):
    manifest = kit / "labs" / "lab93-workers" / "lab.toml"
    text = manifest.read_text()
    start = text.index("[processes.worker]")
    end = text.index("[limits]")
    manifest.write_text(text[:start] + table + "\n" + text[end:])
    done = run_cli("lab93", root=kit)
    assert done.returncode == 2
    assert expected in " ".join(done.stderr.split()), done.stderr
    assert "Traceback" not in done.stderr


def test_a_submissions_lab_toml_changes_how_its_worker_starts(kit, tmp_path):
    """The learner's worker is another module: their own lab.toml says how to start it."""
    folder = kit / "variants" / "renamed"
    shutil.copytree(kit / "labs" / "lab93-workers", folder)
    (folder / "app" / "worker.py").rename(folder / "app" / "jobs.py")
    manifest = folder / "lab.toml"
    manifest.write_text(manifest.read_text().replace("python -m app.worker", "python -m app.jobs"))
    graded = grade(
        "lab93",
        "--path",
        str(folder),
        "--suites",
        str(kit / "suites"),
        "--only",
        "workers::job",
        tmp=tmp_path,
        root=kit,
        env={"REDIS_URL": ""},
    )
    assert graded.exit_code == 0, results_summary(graded)


class _Ended:
    """A declared process that ended on its own (what ProcessHandle reports), without starting one."""

    label = "the worker process"

    def __init__(self) -> None:
        self.logs = LogBuffer()

    def crash_report(self) -> tuple[int | None, str]:
        return 1, "RuntimeError: cannot handle this job"

    def crashed(self) -> bool:
        return True


@pytest.mark.parametrize("overlapped", [False, True])
def test_a_crash_seen_while_checks_ran_side_by_side_is_not_pinned_on_one_of_them(overlapped):
    """The check that notices a crash first is only the first to end after it: when others ran beside
    it, the report says the crash may be theirs."""
    from grader.plugin import CheckMeta, CheckRun, GraderPlugin, GradingSession

    session = GradingSession(manifest=None, runner=None, submission=Path("."), endpoints=[], base_env={})  # type: ignore[arg-type]
    session.processes["worker"] = _Ended()  # type: ignore[assignment]
    meta = CheckMeta("workers::job", "a job is done", "workers", 1, "-", (), 10, False)
    run = CheckRun(meta, overlapped=overlapped)
    fields: dict[str, str] = {"message": "no answer"}
    GraderPlugin(session)._process_outputs(run, "failed", fields)
    beside = " or a check running beside it" if overlapped else ""
    assert f"The worker process stopped during this check{beside} (exit code 1)." in fields["message"]
    assert session.process_problems == [
        f"the worker process stopped during «a job is done»{beside} (exit code 1)"
    ]
