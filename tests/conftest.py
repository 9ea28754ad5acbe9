"""Shared fixtures for the kit's own tests, and the one CI flag every test uses.

Under CI (`CI` set to 1/true/yes, as .ci/run does) nothing may be skipped for want of something the
machine should have: `skip_or_fail` fails instead, with the same reason.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import NoReturn

import pytest

from grader.grading import docker_status

KIT_ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> NoReturn:
    """Skip with `reason` on a developer's machine; under CI the same reason is a failure."""
    if IN_CI:
        pytest.fail(f"CI requires it: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def grade_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test's gradings write the learner's history (grader.state) into its own temporary home,
    never into the real one nor the kit: GRADE_HOME, and XDG_STATE_HOME for a child that drops it.
    Every `python -m grader` a test starts imports the grader of this checkout."""
    home = tmp_path / "grade-home"
    monkeypatch.setenv("GRADE_HOME", str(home))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    # `python -m grader` run from another folder (a kit copy) imports this checkout's grader, not
    # whichever checkout the venv installed in editable mode (a worktree would test another's code)
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(KIT_ROOT), os.environ.get("PYTHONPATH")]))
    )
    return home


@cache
def _docker() -> tuple[bool, str]:
    return docker_status()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Docker tests are skipped with a reason where no engine answers; under CI=true that is a failure."""
    if "docker" not in item.keywords:
        return
    ok, reason = _docker()
    if not ok:
        skip_or_fail(f"needs Docker: {reason}")


def runners() -> list[object]:
    """Both runners as test parameters; the docker one carries the docker marker."""
    return ["local", pytest.param("docker", marks=pytest.mark.docker)]
