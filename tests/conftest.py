"""Shared fixtures for the kit's own tests."""

from __future__ import annotations

import os
from functools import cache

import pytest

from grader.grading import docker_status

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@cache
def _docker() -> tuple[bool, str]:
    return docker_status()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Docker tests are skipped with a reason where no engine answers; under CI=true that is a failure."""
    if "docker" not in item.keywords:
        return
    ok, reason = _docker()
    if not ok:
        if IN_CI:
            pytest.fail(f"CI=true requires Docker, but {reason}", pytrace=False)
        pytest.skip(f"needs Docker: {reason}")


def runners() -> list:
    """Both runners as test parameters; the docker one carries the docker marker."""
    return ["local", pytest.param("docker", marks=pytest.mark.docker)]
