"""Hostile and broken submissions cannot hang, crash, fool or outlive the grader, under either runner.

For every case: grading ends within a bound, the verdict is a failing grade that says what happened
(exit 1), no check passes that should not, nothing of the run is left on the machine (processes,
cgroups, temporary folders, containers, networks, volumes) and the grader's memory stays bounded.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from grader.results import GradeResult
from grader.runners.local import run_uid
from tests.conftest import runners
from tests.kit import ROOT

KIT = ROOT / "tests" / "fixtures" / "kit"
HOSTILE = ROOT / "tests" / "hostile"
GRADER_MEMORY = 400 * 1024 * 1024  # bytes of resident memory the grader process may reach


@dataclass(frozen=True)
class Case:
    bound: float  # seconds the whole grade may take
    started: bool | None = None  # None: either is a fair outcome
    problem: str | None = None  # part of the report's app problem
    outcomes: dict[str, set[str]] = field(default_factory=dict)
    only: str | None = None  # a runner the case applies to


NOT_PASSED = {"failed", "timeout", "skipped"}
CASES = {
    "import_loop": Case(bound=30, started=False, problem="did not answer 200 on GET /health within 10 s"),
    "never_returns": Case(bound=40, started=True, outcomes={"basics::greeting": {"timeout"}}),
    "fork_bomb": Case(bound=60),
    "memory_bomb": Case(bound=60, started=True, outcomes={"basics::greeting": NOT_PASSED}),
    "output_flood": Case(
        bound=90,
        started=True,
        outcomes={"basics::greeting": {"failed", "timeout"}, "basics::echo": {"passed"}},
    ),
    "cheater": Case(bound=40, started=True, outcomes={"basics::greeting": {"failed"}}),
    "kills_parent": Case(bound=40, started=True, outcomes={"basics::greeting": {"failed"}}),
    "wrong_port": Case(bound=30, started=False, problem="did not answer 200 on GET /health"),
    "crash_mid_suite": Case(
        bound=40, started=True, outcomes={"basics::greeting": {"failed"}, "basics::echo": {"skipped"}}
    ),
    "syntax_error": Case(bound=30, started=False, problem="exited with code 1 before it was ready"),
    "missing_dependency": Case(bound=30, started=False, problem="exited with code 1 before it was ready"),
    "bad_dockerfile": Case(bound=60, started=False, problem="the image did not build", only="docker"),
}


def submission(case: str, dest: Path) -> Path:
    folder = dest / case
    shutil.copytree(KIT / "labs" / "lab90-echo", folder)
    shutil.copytree(HOSTILE / case, folder, dirs_exist_ok=True)
    return folder


def grade_measured(folder: Path, runner: str, run_id: str, out: Path) -> tuple[int, float, int, str]:
    """Grade through the CLI; returns exit code, seconds, the grader's peak memory in bytes, and stderr."""
    env = {**os.environ, "GRADE_ROOT": str(KIT), "GRADE_RUN_ID": run_id}
    started = time.monotonic()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "grader",
                "lab90",
                "--path",
                str(folder),
                "--suites",
                str(KIT / "suites"),
                "--runner",
                runner,
                "--json",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=errors,
            env=env,
            cwd=folder,
        )
        # the grader's own resident memory, sampled: rusage would also count the app's processes it waited for
        peak = 0
        watched = psutil.Process(process.pid)
        while process.poll() is None:
            with contextlib.suppress(psutil.Error):
                peak = max(peak, watched.memory_info().rss)
            time.sleep(0.05)
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    return process.returncode, time.monotonic() - started, peak, stderr


def leftovers(runner: str, run_id: str) -> list[str]:
    found = []
    if runner == "local":
        if os.geteuid() == 0:
            uid = run_uid(run_id)
            found += [
                f"process {p.pid}"
                for p in psutil.process_iter(["uids"])
                if p.info["uids"] and p.info["uids"].real == uid
            ]
        found += glob.glob(f"/sys/fs/cgroup/*/backend-labs/lab90-{run_id}")
        found += glob.glob(os.path.join(tempfile.gettempdir(), f"grade-lab90-{run_id}-*"))
    else:
        import docker

        client = docker.from_env()
        selector = {"label": f"backend-labs.run={run_id}"}
        found += [f"container {c.name}" for c in client.containers.list(all=True, filters=selector)]
        found += [f"network {n.name}" for n in client.networks.list(filters=selector)]
        found += [f"volume {v.name}" for v in client.volumes.list(filters=selector)]
        client.close()
    return found


# Every case under every runner it means something for (the local runner builds no image).
PAIRS = [
    pytest.param(
        case, runner, marks=[pytest.mark.docker] if runner == "docker" else [], id=f"{case}-{runner}"
    )
    for case, expected in CASES.items()
    for runner in ("local", "docker")
    if expected.only in (None, runner)
]


@pytest.mark.slow
@pytest.mark.parametrize(("case", "runner"), PAIRS)
def test_a_hostile_submission_is_contained(case, runner, tmp_path):
    expected = CASES[case]
    if runner == "local" and os.geteuid() != 0 and case in ("fork_bomb", "memory_bomb", "kills_parent"):
        pytest.skip(
            "as a normal user the local runner shares your uid: untrusted code belongs in --runner docker"
        )
    run_id = f"t{secrets.token_hex(4)}"
    out = tmp_path / "result.json"
    code, seconds, memory, stderr = grade_measured(submission(case, tmp_path), runner, run_id, out)

    assert code == 1, f"exit {code}: {stderr[-1500:]}"
    assert seconds < expected.bound, f"grading took {seconds:.1f} s (bound {expected.bound} s)"
    assert memory < GRADER_MEMORY, f"the grader reached {memory / 2**20:.0f} MiB"
    result = GradeResult.model_validate_json(out.read_text())
    assert result.status == "failed"
    outcomes = {check.id: check.outcome for check in result.checks}
    assert outcomes["basics::greeting"] != "passed"
    for check_id, allowed in expected.outcomes.items():
        assert outcomes[check_id] in allowed, f"{check_id}: {outcomes[check_id]} not in {allowed}"
    if expected.started is not None:
        assert result.app.started is expected.started, result.app
    if expected.problem:
        assert expected.problem in (result.app.problem or ""), result.app
    assert leftovers(runner, run_id) == []


def test_the_cheater_cannot_touch_the_kit_or_its_results(tmp_path):
    """The app's fake results and prints never reach the report; files it tries to write stay the grader's."""
    folder = submission("cheater", tmp_path)
    out = tmp_path / "result.json"
    state = KIT / ".grade" / "state.json"
    before = state.read_bytes() if state.exists() else None
    code, _, _, stderr = grade_measured(folder, "local", f"t{secrets.token_hex(4)}", out)
    assert code == 1, stderr
    result = GradeResult.model_validate_json(out.read_text())
    assert result.percent < 100
    assert "5 passed" in result.app.output_tail  # its fake success is shown as the app's output, nothing more
    assert (state.read_bytes() if state.exists() else None) == before
    assert not (folder / "grade-results.json").exists()


@pytest.mark.parametrize("runner", runners())
def test_an_interrupted_grade_removes_everything(runner, tmp_path):
    """Ctrl-C or a cancelled CI job (SIGTERM) in the middle of the checks: exit 2, nothing left behind."""
    run_id = f"t{secrets.token_hex(4)}"
    folder = submission("never_returns", tmp_path)
    env = {**os.environ, "GRADE_ROOT": str(KIT), "GRADE_RUN_ID": run_id}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "grader",
            "lab90",
            "--path",
            str(folder),
            "--suites",
            str(KIT / "suites"),
            "--runner",
            runner,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 120
    for line in process.stdout:  # the non-terminal progress prints one line per stage
        if "Checking" in line or time.monotonic() > deadline:
            break
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "interrupted" in stderr
    assert leftovers(runner, run_id) == []
