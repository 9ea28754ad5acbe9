"""Helpers for the kit's own tests: grade a folder through the real `grade` command, apply a mutant."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.results import GradeResult
from tests.mutants import Mutant

ROOT = Path(__file__).resolve().parent.parent
LABS = (
    sorted(p for p in (ROOT / "labs").glob("lab[0-9][0-9]-*") if (p / "lab.toml").exists())
    if (ROOT / "labs").exists()
    else []
)
CACHES = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".venv", ".ruff_cache")


@dataclass
class Graded:
    result: GradeResult | None
    exit_code: int
    stdout: str
    stderr: str

    def outcome(self, check_id: str) -> str:
        assert self.result is not None, self.stderr
        for check in self.result.checks:
            if check.id == check_id:
                return check.outcome
        raise AssertionError(
            f"no check {check_id} in the result (checks: {[c.id for c in self.result.checks]})"
        )

    def failing(self) -> list[str]:
        assert self.result is not None, self.stderr
        return [f"{c.id}: {c.message}" for c in self.result.checks if c.outcome != "passed"]


def lab_id(folder: Path) -> str:
    return tomllib.loads((folder / "lab.toml").read_text())["id"]


def grade(
    lab: str,
    *args: str,
    runner: str = "local",
    tmp: Path,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    root: Path | None = None,
) -> Graded:
    """Run `python -m grader LAB ARGS --runner R --json FILE` and parse what it wrote."""
    output = tmp / f"result-{os.getpid()}-{len(list(tmp.glob('result-*')))}.json"
    command = [sys.executable, "-m", "grader", lab, *args, "--runner", runner, "--json", str(output)]
    environment = {**os.environ, **(env or {})}
    environment.pop("GITHUB_STEP_SUMMARY", None)
    if root is not None:
        environment["GRADE_ROOT"] = str(root)
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=environment, cwd=ROOT)
    result = GradeResult.model_validate_json(output.read_text()) if output.exists() else None
    return Graded(result, done.returncode, done.stdout, done.stderr)


def catalog(lab: str, tmp: Path, root: Path | None = None) -> dict:
    """`grade LAB --list --json`: the suite's checks (with their rules) and the contract's rules."""
    output = tmp / f"catalog-{lab}-{os.getpid()}.json"
    environment = {**os.environ}
    if root is not None:
        environment["GRADE_ROOT"] = str(root)
    done = subprocess.run(
        [sys.executable, "-m", "grader", lab, "--list", "--json", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(output.read_text())


def mutate(solution: Path, mutant: Mutant, dest: Path) -> Path:
    """A copy of the solution with the mutant's edits; each `old` must occur exactly once."""
    shutil.copytree(solution, dest, ignore=CACHES)
    for edit in mutant.edits:
        target = dest / edit.file
        text = target.read_text(encoding="utf-8")
        count = text.count(edit.old)
        assert count == 1, f"mutant {mutant.name}: {edit.old!r} occurs {count} times in {edit.file}"
        target.write_text(text.replace(edit.old, edit.new), encoding="utf-8")
    return dest


def mutants_of(lab: str) -> list[Mutant]:
    module = ROOT / "tests" / "mutants" / f"{lab}.py"
    if not module.exists():
        return []
    namespace: dict[str, object] = {"__name__": f"tests.mutants.{lab}"}
    exec(compile(module.read_text(), str(module), "exec"), namespace)
    return list(namespace["MUTANTS"])  # type: ignore[arg-type]


def results_summary(graded: Graded) -> str:
    if graded.result is None:
        return f"exit {graded.exit_code}\n{graded.stderr[-2000:]}"
    r = graded.result
    return json.dumps(
        {
            "status": r.status,
            "percent": r.percent,
            "error": r.error,
            "app": r.app.problem,
            "not_passed": graded.failing()[:20],
        },
        indent=1,
    )


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder shared by the xdist workers of this test run, and by no other run."""
    uid = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    base = tmp_path_factory.getbasetemp()
    folder = base.parent / f"shared-{uid}" if uid else base / "shared"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def graded_once(lab: str, args: list[str], runner: str, shared: Path, *, wait: float = 1800) -> Graded:
    """`grade LAB ARGS --runner RUNNER`, computed once per test run: the first test that asks grades
    (claiming the key with O_EXCL, so two xdist workers never grade the same thing), the others read it."""
    key = hashlib.sha256(json.dumps([lab, args, runner]).encode()).hexdigest()[:16]
    stored, claim = shared / f"{key}.json", shared / f"{key}.claim"
    try:
        os.close(os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        deadline = time.monotonic() + wait
        while not stored.exists():
            assert time.monotonic() < deadline, f"grading {lab} {args} ({runner}) never finished"
            time.sleep(1)
        data = json.loads(stored.read_text())
        result = GradeResult.model_validate_json(data["result"]) if data["result"] else None
        return Graded(result, data["exit_code"], data["stdout"], data["stderr"])
    graded = Graded(None, -1, "", "the grading run raised before it finished")
    try:
        folder = shared / key
        folder.mkdir()
        graded = grade(lab, *args, runner=runner, tmp=folder)
        return graded
    finally:
        data = {
            "result": graded.result.model_dump_json() if graded.result else None,
            "exit_code": graded.exit_code,
            "stdout": graded.stdout[-5000:],
            "stderr": graded.stderr[-5000:],
        }
        partial = stored.with_suffix(".part")
        partial.write_text(json.dumps(data))
        partial.rename(stored)
