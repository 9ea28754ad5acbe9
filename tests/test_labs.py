"""Every lab is complete and consistent, its solution scores 100% under both runners, its starter starts
and fails, its alternative implementations score 100%, and its visible smoke tests mean something."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from grader.labs import SUITES_DIR
from grader.manifest import load_manifest
from grader.services import local_service
from tests.conftest import runners
from tests.kit import LABS, ROOT, grade, lab_id, results_summary

SECTIONS = [
    "## What you will learn",
    "## Background",
    "## The contract",
    "## Run it",
    "## Grade it",
    "## Going further",
]
SHAPE = [
    "README.md",
    "lab.toml",
    "Dockerfile",
    ".dockerignore",
    "requirements.txt",
    "app/__init__.py",
    "app/main.py",
    "tests/test_smoke.py",
]
ALTERNATIVES = sorted(p for p in (ROOT / "tests" / "alternatives").glob("lab[0-9][0-9]-*") if p.is_dir())
LAB_IDS = [lab_id(folder) for folder in LABS]


def folder_of(lab: str) -> Path:
    return next(folder for folder in LABS if lab_id(folder) == lab)


def pins(requirements: Path) -> dict[str, str]:
    found = {}
    for line in requirements.read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s;]+)", line)
        assert match, f"{requirements}: {line!r} is not pinned with =="
        found[match.group(1).lower().replace("_", "-")] = match.group(3)
    return found


def test_there_are_labs():
    assert LAB_IDS, "no lab found under labs/"


def _keys(table: dict, prefix: str = "") -> set[str]:
    keys = set()
    for key, value in table.items():
        if isinstance(value, dict) and key not in ("env", "commands"):
            keys |= _keys(value, f"{prefix}{key}.")
        else:
            keys.add(prefix + key)
    return keys


def test_every_manifest_spells_out_the_same_keys():
    """The same manifest keys in every lab: a reader compares labs line by line."""
    shapes = {folder.name: _keys(tomllib.loads((folder / "lab.toml").read_text())) for folder in LABS}
    expected = {
        "id",
        "slug",
        "title",
        "stage",
        "services",
        "pass_mark",
        "app.command",
        "app.port",
        "app.ready",
        "app.setup",
        "app.env",
        "commands",
        "limits.startup",
        "limits.check",
        "limits.request",
        "limits.total",
    }
    for name, keys in shapes.items():
        assert keys == expected, f"{name}: missing {sorted(expected - keys)}, extra {sorted(keys - expected)}"


@pytest.mark.parametrize("folder", LABS, ids=lambda f: f.name)
def test_every_lab_has_the_same_shape(folder):
    for part in SHAPE:
        assert (folder / part).exists(), f"{folder.name} has no {part}"
        assert (ROOT / "solutions" / folder.name / part).exists(), f"solutions/{folder.name} has no {part}"
    manifest = load_manifest(folder / "lab.toml")
    assert folder.name == manifest.folder_name
    assert load_manifest(ROOT / "solutions" / folder.name / "lab.toml") == manifest, (
        "the solution's lab.toml differs"
    )
    assert (SUITES_DIR / manifest.id).is_dir(), f"no hidden suite in grader/suites/{manifest.id}"
    readme = (folder / "README.md").read_text()
    assert readme.startswith(f"# Lab {manifest.id[3:]}: "), "README starts with '# Lab NN: Title'"
    positions = [readme.find(section + "\n") for section in SECTIONS]
    missing = [section for section, at in zip(SECTIONS, positions, strict=True) if at < 0]
    assert not missing, f"README lacks {missing}"
    assert positions == sorted(positions), "README sections are out of order"
    assert (folder / "Dockerfile").read_text().startswith("FROM python:3.13-slim")


@pytest.mark.parametrize("folder", LABS, ids=lambda f: f.name)
def test_requirements_are_pinned_like_the_kit(folder):
    """The local runner uses the kit's Python: what a lab pins must be what pyproject.toml installs."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    kit = {}
    for spec in project["dependencies"] + project["optional-dependencies"]["dev"]:
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==(\S+)", spec)
        if match:
            kit[match.group(1).lower().replace("_", "-")] = match.group(3)
    for where in (folder, ROOT / "solutions" / folder.name):
        for name, version in pins(where / "requirements.txt").items():
            if name in kit:
                assert kit[name] == version, f"{where.name}: {name}=={version}, the kit pins {kit[name]}"


@pytest.mark.slow
@pytest.mark.parametrize("runner", runners())
@pytest.mark.parametrize("lab", LAB_IDS)
def test_the_solution_scores_100(lab, runner, tmp_path):
    graded = grade(lab, "--solution", runner=runner, tmp=tmp_path)
    assert graded.exit_code == 0, results_summary(graded)
    assert graded.result is not None
    assert graded.result.percent == 100.0, results_summary(graded)
    assert all(check.outcome == "passed" for check in graded.result.checks), results_summary(graded)


@pytest.mark.slow
@pytest.mark.parametrize("lab", LAB_IDS)
def test_the_starter_starts_and_fails(lab, tmp_path):
    graded = grade(lab, "--path", str(folder_of(lab)), tmp=tmp_path)
    assert graded.exit_code == 1, results_summary(graded)
    assert graded.result is not None
    assert graded.result.app.started, f"the starter must run: {graded.result.app.problem}"
    assert graded.result.percent < graded.result.pass_mark


@pytest.mark.slow
@pytest.mark.parametrize("folder", ALTERNATIVES, ids=lambda f: f.name)
def test_an_alternative_implementation_scores_100(folder, tmp_path):
    lab = folder.name.split("-")[0]
    graded = grade(lab, "--path", str(folder), tmp=tmp_path)
    assert graded.exit_code == 0, results_summary(graded)
    assert graded.result is not None
    assert graded.result.percent == 100.0, results_summary(graded)


def _smoke(folder: Path, lab: str) -> subprocess.CompletedProcess[str]:
    """The lab's visible tests, run as a learner runs them, with services of their own when declared."""
    manifest = load_manifest(folder / "lab.toml")
    services = [local_service(kind, f"smoke_{lab}") for kind in manifest.services]
    try:
        env = {**os.environ, **manifest.app.env}
        for service in services:
            endpoint = service.start()
            env[endpoint.variable] = endpoint.app_url
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
    finally:
        for service in services:
            service.stop()


@pytest.mark.slow
@pytest.mark.parametrize("folder", LABS, ids=lambda f: f.name)
def test_the_visible_smoke_tests_pass_on_the_solution_and_fail_on_the_starter(folder):
    lab = lab_id(folder)
    solved = _smoke(ROOT / "solutions" / folder.name, lab)
    assert solved.returncode == 0, solved.stdout[-3000:]
    assert " skipped" not in solved.stdout.splitlines()[-1], "with services given, no smoke test may skip"
    started = _smoke(folder, lab)
    assert started.returncode == 1, f"the smoke tests should fail on the starter:\n{started.stdout[-2000:]}"
