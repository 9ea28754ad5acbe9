"""The pull-request check cannot be forged: scripts/classroom_grade.sh (the workflow's steps) grades with
the base branch's grader, suites and lab.toml, and takes from the pull request only the lab folder, as
data. A fixture repository (the fixture kit) and a tampering pull request prove it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.results import GradeResult
from tests.kit import ROOT

SCRIPT = ROOT / "scripts" / "classroom_grade.sh"
FIXTURE_KIT = ROOT / "tests" / "fixtures" / "kit"
WRONG_GREETING = (
    "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
    '@app.get("/health")\ndef health() -> dict:\n    return {"status": "ok"}\n\n\n'
    '@app.get("/greeting")\ndef greeting() -> dict:\n    return {"greeting": "not the one"}\n\n\n'
    '@app.post("/echo", status_code=201)\ndef echo(body: dict) -> dict:\n    return body\n'
)


def script(*args: str, cwd: Path, suites: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a step; `suites`: the teacher's suites (the fixture kit keeps its suites beside its labs)."""
    env = {**os.environ, "GRADE_PYTHON": sys.executable, "GRADE_RUNNER": "local"}
    if suites is not None:
        env["GRADE_SUITES"] = str(suites)
    env.pop("GRADE_ROOT", None)
    env.pop("GITHUB_STEP_SUMMARY", None)
    return subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=300, env=env, cwd=cwd
    )


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path]:
    """The base branch (the fixture kit with a teacher's suites in it) and a pull request's checkout."""
    base = tmp_path / "base"
    shutil.copytree(FIXTURE_KIT, base, ignore=shutil.ignore_patterns("__pycache__", ".grade"))
    pull = tmp_path / "pull"
    shutil.copytree(base, pull)
    return base, pull


def tamper(pull: Path) -> None:
    """A pull request that breaks its app and edits everything that could grade it kindly."""
    lab = pull / "labs" / "lab90-echo"
    (lab / "app" / "main.py").write_text(WRONG_GREETING)
    toml = lab / "lab.toml"
    toml.write_text(toml.read_text().replace("pass_mark = 90", "pass_mark = 0"))
    (pull / "suites" / "lab90" / "test_basics.py").write_text(
        '"""Basics"""\n\nfrom grader.checks import check\n\n\n@check("always", points=1, hint="-")\n'
        "def test_always():\n    pass\n"
    )
    fake = pull / "grader"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "__main__.py").write_text("print('144/144 PASSED')\nraise SystemExit(0)\n")


def test_a_tampering_pull_request_changes_nothing_but_its_lab(repo, tmp_path):
    base, pull = repo
    tamper(pull)
    listed = script("changed", str(base), str(pull), cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["lab90-echo"]
    assert "ignored (outside labs/" in listed.stderr
    for edited in ("suites/lab90/test_basics.py", "grader"):
        assert edited in listed.stderr

    reports = tmp_path / "reports"
    done = script("all", str(base), str(pull), str(reports), cwd=pull, suites=base / "suites")
    assert "144/144 PASSED" not in done.stdout
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    result = GradeResult.model_validate_json((reports / "lab90-echo.json").read_text())
    assert result.pass_mark == 90  # the base branch's lab.toml
    outcomes = {check.id: check.outcome for check in result.checks}
    assert outcomes["basics::greeting"] == "failed"  # the base branch's suite
    assert "basics::always" not in outcomes
    assert (reports / "lab90-echo.junit.xml").exists()


def test_an_honest_pull_request_passes(repo, tmp_path):
    base, pull = repo
    main = pull / "labs" / "lab90-echo" / "app" / "main.py"
    main.write_text("# my own work\n" + main.read_text())
    done = script(
        "all", str(base), str(pull), str(tmp_path / "reports"), cwd=tmp_path, suites=base / "suites"
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_a_pull_request_without_lab_changes_grades_nothing(repo, tmp_path):
    base, pull = repo
    (pull / "README.md").write_text("hello\n")
    done = script("all", str(base), str(pull), str(tmp_path / "reports"), cwd=tmp_path)
    assert done.returncode == 0
    assert "nothing to grade" in done.stdout
    assert "ignored (outside labs/" in done.stderr
