"""Hostile and broken submissions cannot hang, crash, fool or outlive the grader, under either runner.

For every case: grading ends within a bound, the verdict is a failing grade that says what happened
(exit 1), no check passes that should not, nothing of the run is left on the machine (processes,
cgroups, files in the shared temporary folders, IPC objects, containers, networks, volumes: see
tests/leftovers.py, which does not ask the grader) and the grader's memory stays bounded.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest

from grader.results import GradeResult
from tests.conftest import runners, skip_or_fail
from tests.kit import ROOT
from tests.leftovers import Watch

KIT = ROOT / "tests" / "fixtures" / "kit"
HOSTILE = ROOT / "tests" / "hostile"
GRADER_MEMORY = 400 * 1024 * 1024  # bytes of resident memory the grader process may reach
# -I: the working directory (the submission, in these tests) is not on sys.path, so a planted grader/
# package there is never imported; the kit under test (this checkout, not whichever the venv installed)
# is put first on the path by hand.
RUN_GRADER = "runpy.run_module('grader', run_name='__main__')"
BOOT = f"import runpy, sys; sys.path.insert(0, {str(ROOT)!r}); {RUN_GRADER}"
GRADER = ("-I", "-c", BOOT)


@dataclass(frozen=True)
class Case:
    bound: float  # seconds the whole grade may take
    started: bool | None = None  # None: either is a fair outcome
    problem: str | None = None  # part of the report's app problem
    outcomes: dict[str, set[str]] = field(default_factory=dict)
    only: str | None = None  # a runner the case applies to
    env: dict[str, str] = field(default_factory=dict)  # for the grader


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
    "solution_proxy": Case(bound=40, started=True, outcomes={"basics::greeting": {"failed"}}),
    "leaves_files": Case(bound=40, started=True, outcomes={"basics::greeting": {"failed"}}),
    "silent_build": Case(
        bound=90,
        started=False,
        problem="the build ran over 20 s",
        only="docker",
        env={"GRADE_BUILD_SECONDS": "20"},
    ),
    "bad_dockerfile": Case(bound=60, started=False, problem="the image did not build", only="docker"),
}


def submission(case: str, dest: Path) -> Path:
    folder = dest / case
    shutil.copytree(KIT / "labs" / "lab90-echo", folder)
    shutil.copytree(HOSTILE / case, folder, dirs_exist_ok=True)
    return folder


def grade_measured(
    folder: Path, runner: str, run_id: str, out: Path, extra: dict[str, str] | None = None
) -> tuple[int, float, int, str, Watch]:
    """Grade through the CLI; returns exit code, seconds, the grader's peak memory in bytes, stderr, and
    the watch on the machine (ask it for leftovers once the grader has exited)."""
    env = {**os.environ, "GRADE_ROOT": str(KIT), "GRADE_RUN_ID": run_id, **(extra or {})}
    watch = Watch(runner, run_id)
    started = time.monotonic()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [
                sys.executable,
                *GRADER,
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
        watch.follow(process.pid)
        # the grader's own resident memory, sampled: rusage would also count the app's processes it waited for
        peak = 0
        watched = psutil.Process(process.pid)
        while process.poll() is None:
            with contextlib.suppress(psutil.Error):
                peak = max(peak, watched.memory_info().rss)
            time.sleep(0.05)
        watch.stop()
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    return process.returncode, time.monotonic() - started, peak, stderr, watch


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
        skip_or_fail(
            "as a normal user the local runner shares your uid: untrusted code belongs in --runner docker"
        )
    run_id = f"t{secrets.token_hex(4)}"
    out = tmp_path / "result.json"
    code, seconds, memory, stderr, watch = grade_measured(
        submission(case, tmp_path), runner, run_id, out, expected.env
    )

    assert code == 1, f"exit {code}: {stderr[-1500:]}"
    assert memory < GRADER_MEMORY, f"the grader reached {memory / 2**20:.0f} MiB"
    result = GradeResult.model_validate_json(out.read_text())
    # The bound is on the grading's phases (result.timings), not on the wall clock: an image build and
    # the grader's own start and reports stretch with the machine's load (a case once took 41 s against
    # a 30 s bound on a loaded machine). A build that never ends is a case of its own (silent_build),
    # bounded by the build watchdog; the wall clock only has a generous ceiling against a hang.
    timings = result.timings or {}
    phases = sum(timings.get(name, 0.0) for name in ("services", "app", "suite", "cleanup"))
    building = timings.get("prepare", 0.0)
    if runner == "local":
        phases += building
    if "GRADE_BUILD_SECONDS" in expected.env:
        assert building < float(expected.env["GRADE_BUILD_SECONDS"]) + 30, f"the build took {building:.1f} s"
    assert phases < expected.bound, f"grading took {phases:.1f} s in its phases (bound {expected.bound} s)"
    ceiling = expected.bound + 120 + (building if runner == "docker" else 0)
    assert seconds < ceiling, f"grading took {seconds:.1f} s (ceiling {ceiling:.0f} s)"
    assert result.status == "failed"
    outcomes = {check.id: check.outcome for check in result.checks}
    assert outcomes["basics::greeting"] != "passed"
    for check_id, allowed in expected.outcomes.items():
        assert outcomes[check_id] in allowed, f"{check_id}: {outcomes[check_id]} not in {allowed}"
    if expected.started is not None:
        assert result.app.started is expected.started, result.app
    if expected.problem:
        assert expected.problem in (result.app.problem or ""), result.app
    assert watch.leftovers() == []


def test_the_cheater_cannot_touch_the_kit_or_its_results(tmp_path):
    """The cheater graded as the learner's own lab (so the grader records a history, where the cheater
    writes its fake one: ~/.local/state/backend-roadmap-labs/state.json of the same HOME). Its fake
    results and prints never reach the report or the history: the history keeps what it held and records
    the cheater's real score; the lab folder holds no results file; the app's output is only shown."""
    kit = tmp_path / "kit"
    shutil.copytree(KIT, kit, ignore=shutil.ignore_patterns("__pycache__", ".grade"))
    lab = kit / "labs" / "lab90-echo"
    shutil.copytree(HOSTILE / "cheater", lab, dirs_exist_ok=True)
    home = tmp_path / "home"
    history = home / ".local" / "state" / "backend-roadmap-labs" / "state.json"
    history.parent.mkdir(parents=True)
    earlier = {"percent": 100.0, "score": 9, "max_score": 9, "passed": True, "at": "2026-01-01T00:00:00"}
    history.write_text(json.dumps({"labs": {"lab02": {"last": earlier, "best": earlier}}}))
    out = tmp_path / "result.json"
    run_id = f"t{secrets.token_hex(4)}"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("GRADE_HOME", "XDG_STATE_HOME", "GITHUB_STEP_SUMMARY")
    }
    env.update({"HOME": str(home), "GRADE_ROOT": str(kit), "GRADE_RUN_ID": run_id})
    watch = Watch("local", run_id)
    done = subprocess.run(
        [
            sys.executable,
            *GRADER,
            "lab90",
            "--suites",
            str(kit / "suites"),
            "--runner",
            "local",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=lab,
    )
    assert done.returncode == 1, done.stdout[-1500:] + done.stderr[-1500:]
    result = GradeResult.model_validate_json(out.read_text())
    assert result.percent < 100
    assert "5 passed" in result.app.output_tail  # its fake success is shown as the app's output, nothing more
    assert "wrote" in result.app.output_tail or "could not write" in result.app.output_tail  # it tried
    state = json.loads(history.read_text())
    assert state["labs"]["lab02"]["best"] == earlier  # the history was never replaced by the app's
    assert state["labs"]["lab90"]["last"]["percent"] == result.percent  # the grader's record, not 100
    for name in ("grade-results.json", "results.json", ".grade"):
        assert not (lab / name).exists(), name
    assert watch.leftovers() == []  # /tmp/results.json and the like included


@pytest.mark.parametrize("runner", runners())
def test_an_interrupted_grade_removes_everything(runner, tmp_path):
    """Ctrl-C or a cancelled CI job (SIGTERM) in the middle of the checks: exit 2, nothing left behind."""
    run_id = f"t{secrets.token_hex(4)}"
    folder = submission("never_returns", tmp_path)
    env = {**os.environ, "GRADE_ROOT": str(KIT), "GRADE_RUN_ID": run_id}
    watch = Watch(runner, run_id)
    process = subprocess.Popen(
        [
            sys.executable,
            *GRADER,
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
    watch.follow(process.pid)
    assert process.stdout is not None
    assert process.stderr is not None
    checking = threading.Event()
    lines: list[str] = []

    def read(stream: Any) -> None:  # the non-terminal progress prints one line per stage
        for line in stream:
            lines.append(line)
            if "Checking" in line:
                checking.set()

    readers = [
        threading.Thread(target=read, args=(s,), daemon=True) for s in (process.stdout, process.stderr)
    ]
    for reader in readers:
        reader.start()
    reached = checking.wait(timeout=300)  # a bound on a hang, however slow the machine: no readline blocks it
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    for reader in readers:
        reader.join(timeout=10)
    output = "".join(lines)
    assert reached, f"the grading never reached its checks: {output[-1500:]}"
    assert process.returncode == 2, output[-1500:]
    assert "interrupted" in output
    assert watch.leftovers() == []


def test_a_kit_planted_in_the_submission_changes_nothing(tmp_path):
    """`cd SUBMISSION && python -m grader lab02 --path .` with a planted labs/ (pass_mark = 0) and a planted
    grader/ package: the kit installed here grades, with its own pass mark, and the starter fails."""
    folder = tmp_path / "submission"
    shutil.copytree(ROOT / "labs" / "lab02-rest-api", folder)
    shutil.copytree(HOSTILE / "planted_kit", folder, dirs_exist_ok=True)
    out = tmp_path / "result.json"
    env = {
        key: value for key, value in os.environ.items() if key not in ("GRADE_ROOT", "GITHUB_STEP_SUMMARY")
    }
    done = subprocess.run(
        [
            sys.executable,
            *GRADER,
            "lab02",
            "--path",
            ".",
            "--runner",
            "local",
            "--only",
            "json",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=folder,
    )
    assert "144/144 PASSED" not in done.stdout  # the planted grader never ran
    assert done.returncode == 1, done.stdout[-1500:] + done.stderr[-1500:]
    result = GradeResult.model_validate_json(out.read_text())
    assert result.pass_mark == 80  # the kit's manifest, not the planted one
    assert result.status == "failed"


def test_a_kit_inside_the_submission_is_refused(tmp_path):
    """GRADE_ROOT pointing into the submission would take its policy from the submission: exit 2."""
    folder = tmp_path / "submission"
    shutil.copytree(ROOT / "labs" / "lab02-rest-api", folder)
    shutil.copytree(HOSTILE / "planted_kit", folder, dirs_exist_ok=True)
    done = subprocess.run(
        [sys.executable, *GRADER, "lab02", "--path", str(folder), "--runner", "local"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "GRADE_ROOT": str(folder)},
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stdout[-1500:] + done.stderr[-1500:]
    assert "inside the submission" in done.stderr


def test_the_kit_is_invisible_to_the_app(tmp_path):
    """As root the app runs in a private mount namespace: the grader cannot be imported, the kit's
    solutions and suites cannot be read, so re-pointing the app at the solution scores like the app."""
    if os.geteuid() != 0:
        skip_or_fail("as a normal user the local runner cannot hide the kit (the grade output says so)")
    out = tmp_path / "result.json"
    folder = submission("solution_proxy", tmp_path)
    code, _, _, stderr, _ = grade_measured(folder, "local", f"t{secrets.token_hex(4)}", out)
    assert code == 1, stderr
    result = GradeResult.model_validate_json(out.read_text())
    assert "cannot import the grader" in result.app.output_tail
    assert "suite readable: False" in result.app.output_tail
    assert "proxied to" not in result.app.output_tail
    assert result.score == 3  # health and echo, its own; the solution would have scored 5


def test_symlinks_in_the_submission_are_not_followed(tmp_path):
    """requirements.txt and lab.toml linked to files the submission may not read (root's): the grader
    reads neither through the link, so nothing of them reaches a message or a report."""
    secret = tmp_path / "secret"
    secret.mkdir(mode=0o700)
    (secret / "requirements.txt").write_text("root-only-secret-package==9.9\n")
    (secret / "lab.toml").write_text('[app]\ncommand = "python -m root_only_secret_module"\n')
    folder = submission("cheater", tmp_path)
    for name in ("requirements.txt", "lab.toml"):
        (folder / name).unlink(missing_ok=True)
        (folder / name).symlink_to(secret / name)
    out = tmp_path / "result.json"
    done = subprocess.run(
        [
            sys.executable,
            *GRADER,
            "lab90",
            "--path",
            str(folder),
            "--suites",
            str(KIT / "suites"),
            "--runner",
            "local",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "GRADE_ROOT": str(KIT)},
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stdout[-1500:] + done.stderr[-1500:]
    for text in (done.stdout, done.stderr, out.read_text()):
        assert "root-only-secret" not in text
    result = GradeResult.model_validate_json(out.read_text())
    assert result.app.started  # with the kit's command, not the linked lab.toml's
