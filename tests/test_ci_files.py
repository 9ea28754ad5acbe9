"""The files CI and teachers depend on stay valid and in step with each other."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from grader.runners import docker as docker_runner
from grader.services import containers
from tests.kit import LABS, ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def test_the_classroom_workflow_is_valid():
    assert WORKFLOWS, "no workflow in .github/workflows"
    schema = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *WORKFLOWS],
        capture_output=True,
        text=True,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr
    audit = subprocess.run(
        [BIN / "zizmor", "--offline", "--no-progress", *WORKFLOWS], capture_output=True, text=True
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_the_workflow_grades_with_the_base_commits_grader():
    """The pull-request check installs the grader from the base commit and runs the base commit's
    script over the pull request's checkout (tests/test_classroom.py tests that script)."""
    text = (ROOT / ".github" / "workflows" / "classroom.yml").read_text()
    assert "pull_request" in text
    assert "pull_request_target" not in text  # the pull request's code never gets the base's secrets
    assert "github.event.pull_request.base.sha" in text
    assert "kit/scripts/classroom_grade.sh install kit" in text
    assert "kit/scripts/classroom_grade.sh all kit submission reports" in text
    assert "pip install -e ." not in text  # nothing of the pull request is installed
    script = (ROOT / "scripts" / "classroom_grade.sh").read_text()
    assert '-I -m grader "$lab" --path' in script
    assert "--json" in script
    assert "--junit" in script


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- test-command -->\n```bash\n(.+?)\n```", readme, re.S)
    assert block, "README.md marks its test command with <!-- test-command -->"
    command = block.group(1).strip()
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.strip()]
    assert lines[-1] == command, f".ci/run ends with {lines[-1]!r}, the README says {command!r}"


def test_ci_provisions_every_image_the_kit_names():
    script = (ROOT / ".ci" / "standins.sh").read_text()
    provided = set(re.findall(r"^ensure (\S+) build_\w+$", script, re.M))
    named = {docker_runner.GATEWAY_IMAGE, containers.POSTGRES_IMAGE, containers.REDIS_IMAGE}
    for folder in [
        *LABS,
        *(ROOT / "solutions").glob("lab*"),
        *(ROOT / "tests" / "alternatives").glob("lab*"),
    ]:
        dockerfile = folder / "Dockerfile"
        if dockerfile.exists():
            named.update(re.findall(r"^FROM\s+(\S+)", dockerfile.read_text(), re.M))
    assert named <= provided, f"not provisioned by .ci/standins.sh: {sorted(named - provided)}"
    compose = set(re.findall(r"image:\s*(\S+)", (ROOT / "docker-compose.yml").read_text()))
    assert compose == {containers.POSTGRES_IMAGE, containers.REDIS_IMAGE}


def test_no_private_range_address_appears_in_code():
    """The network rule: suites and tests reach loopback and the run's own containers, nothing else."""
    pattern = re.compile(
        r"(?<![\d.])(10\.\d{1,3}\.\d{1,3}\.\d{1,3}|169\.254\.\d{1,3}\.\d{1,3}|192\.168\.\d{1,3}\.\d{1,3}"
        r"|172\.(1[6-9]|2\d|3[01])\.\d{1,3}\.\d{1,3})(?![\d.])"
    )
    tracked = subprocess.run(
        ["git", "ls-files", "*.py", "*.toml", "*.yml", "*.sh", ".ci/*"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    hits = [
        f"{name}: {match.group(0)}"
        for name in tracked
        if (ROOT / name).is_file()
        for match in pattern.finditer((ROOT / name).read_text(errors="replace"))
    ]
    assert not hits, hits


def test_ci_run_is_strict_and_executable():
    run = ROOT / ".ci" / "run"
    assert run.stat().st_mode & 0o111
    assert "set -euo pipefail" in run.read_text()


def test_an_installed_grader_has_every_file_it_reads():
    """A non-editable install (the kit's image, `pip install .`) ships only .py files and the package
    data pyproject.toml names: every other file under grader/ must be named (suite.ini was not, and
    every grade in the image stopped with pytest's usage error)."""
    import fnmatch
    import tomllib

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "grader"
    ]
    tracked = subprocess.run(
        ["git", "ls-files", "grader"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    data = [Path(name).relative_to("grader").as_posix() for name in tracked if not name.endswith(".py")]
    missing = [name for name in data if not any(fnmatch.fnmatch(name, pattern) for pattern in patterns)]
    assert not missing, f"not in [tool.setuptools.package-data] grader: {missing}"
