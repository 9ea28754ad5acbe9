"""Every lab is complete and consistent, pins what it needs as the kit does, its solution scores 100%
under both runners (and --only any one module scores 100% of it), its starter starts and fails, its
alternative implementations score 100% under both runners, the two runners agree check by check on
every solution and alternative, and its visible smoke tests mean something."""

from __future__ import annotations

import importlib.metadata
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
from tests.kit import (
    LABS,
    ROOT,
    catalog,
    grade,
    graded_once,
    lab_id,
    mutants_of,
    mutate,
    results_summary,
    run_folder,
)

SECTIONS = [
    "## What you will learn",
    "## Background",
    "## The contract",
    "## Run it",
    "## Grade it",
    "## Suggested order of work",
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
        if isinstance(value, dict) and key not in ("env", "commands", "category_minimums"):
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
        "category_minimum",
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
    optional = {"category_minimums"}  # the categories that need more (or less) than category_minimum
    for name, keys in shapes.items():
        keys -= optional
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


REQUIREMENTS = sorted(
    [
        *(folder / "requirements.txt" for folder in LABS),
        *(ROOT / "solutions" / folder.name / "requirements.txt" for folder in LABS),
        *(folder / "requirements.txt" for folder in ALTERNATIVES),
        *(ROOT / "tests" / "fixtures" / "kit").glob("labs/*/requirements.txt"),
    ]
)


def kit_pins() -> dict[str, str]:
    """What pyproject.toml pins with == (dependencies and the dev extra), by normalised name."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = {}
    for spec in project["dependencies"] + project["optional-dependencies"]["dev"]:
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==(\S+)", spec)
        if match:
            pinned[match.group(1).lower().replace("_", "-")] = match.group(3)
    return pinned


def suite_modules(lab: str) -> set[str]:
    """The suite's modules: the categories of the report, the names `--only` takes."""
    return {path.stem.removeprefix("test_") for path in (SUITES_DIR / lab).glob("test_*.py")}


@pytest.mark.parametrize("folder", LABS, ids=lambda f: f.name)
def test_every_lab_needs_every_category(folder):
    """Issue 23: the pass mark is not enough on its own. A lab passes only when every category has at
    least `category_minimum` percent of its points, so its headline topic cannot be skipped; a minimum
    named in `[category_minimums]` must name a module of the suite (a misspelt one would guard nothing)
    and may raise a category's minimum, never waive it."""
    manifest = load_manifest(folder / "lab.toml")
    assert manifest.category_minimum >= 50, f"{folder.name}: every category needs at least half its points"
    unknown = set(manifest.category_minimums) - suite_modules(manifest.id)
    assert not unknown, f"{folder.name}: [category_minimums] names no module of the suite: {sorted(unknown)}"
    lowered = {m: v for m, v in manifest.category_minimums.items() if v < manifest.category_minimum}
    assert not lowered, f"{folder.name}: [category_minimums] lowers {lowered} below category_minimum"


@pytest.mark.slow
def test_a_lab_over_its_pass_mark_without_its_headline_topic_fails_and_says_why(tmp_path):
    """Issue 23, end to end: lab02's solution without its idempotency middleware (the mutant
    idempotency-not-installed) scores well over the pass mark, and fails on «Idempotent POST» alone."""
    mutant = next(m for m in mutants_of("lab02") if m.name == "idempotency-not-installed")
    submission = mutate(ROOT / "solutions" / folder_of("lab02").name, mutant, tmp_path / "submission")
    graded = grade("lab02", "--path", str(submission), tmp=tmp_path)
    assert graded.result is not None, results_summary(graded)
    result = graded.result
    assert result.percent >= result.pass_mark, results_summary(graded)
    assert (graded.exit_code, result.status, result.held_back_by) == (1, "failed", ["Idempotent POST"])
    category = next(c for c in result.categories if c.module == "idempotency")
    assert category.percent < category.minimum
    assert f"Held back by «Idempotent POST»: {category.percent:g}% of its points" in graded.stdout


@pytest.mark.parametrize("requirements", REQUIREMENTS, ids=lambda p: str(p.parent.relative_to(ROOT)))
def test_requirements_are_pinned_like_the_kit(requirements):
    """The local runner runs every app with the kit's Python: each package a lab, a solution, an
    alternative or a fixture app requires is pinned with == there, pinned to the same version in
    pyproject.toml, and installed at that version. No package is left out of the comparison."""
    kit = kit_pins()
    required = pins(requirements)
    assert required, f"{requirements} pins nothing"
    for name, version in required.items():
        assert name in kit, (
            f"{requirements.relative_to(ROOT)} needs {name}=={version}, which pyproject.toml does not pin"
            " (the local runner would run whatever version happens to be installed)"
        )
        assert kit[name] == version, (
            f"{requirements.relative_to(ROOT)}: {name}=={version}, the kit pins {kit[name]}"
        )
        installed = importlib.metadata.version(name)
        assert installed == version, (
            f"{name} {installed} is installed, {requirements.relative_to(ROOT)} pins {version}:"
            " pip install -e '.[dev]'"
        )


@pytest.fixture(scope="session")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_folder(tmp_path_factory)


@pytest.mark.slow
@pytest.mark.parametrize("runner", runners())
@pytest.mark.parametrize("lab", LAB_IDS)
def test_the_solution_scores_100(lab, runner, shared):
    graded = graded_once(lab, ["--solution"], runner, shared)
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


def _args(folder: Path) -> list[str]:
    return ["--solution"] if folder.parent.name == "solutions" else ["--path", str(folder)]


@pytest.mark.slow
@pytest.mark.parametrize("runner", runners())
@pytest.mark.parametrize("folder", ALTERNATIVES, ids=lambda f: f.name)
def test_an_alternative_implementation_scores_100(folder, runner, shared):
    lab = folder.name.split("-")[0]
    graded = graded_once(lab, _args(folder), runner, shared)
    assert graded.exit_code == 0, results_summary(graded)
    assert graded.result is not None
    assert graded.result.percent == 100.0, results_summary(graded)


SUBMISSIONS = [ROOT / "solutions" / folder.name for folder in LABS] + ALTERNATIVES


@pytest.mark.slow
@pytest.mark.docker
@pytest.mark.parametrize("folder", SUBMISSIONS, ids=lambda f: f"{f.parent.name}-{f.name}")
def test_the_runners_agree_check_by_check(folder, shared):
    """Issue 12: the same submission gets the same outcome for every check under the local and the
    docker runner (each grade is shared with the tests above: computed once per test run)."""
    lab = folder.name.split("-")[0]
    local = graded_once(lab, _args(folder), "local", shared)
    docker = graded_once(lab, _args(folder), "docker", shared)
    assert local.result is not None, results_summary(local)
    assert docker.result is not None, results_summary(docker)
    outcomes = {
        runner: {check.id: check.outcome for check in graded.result.checks}
        for runner, graded in (("local", local), ("docker", docker))
        if graded.result is not None
    }
    differ = {
        check_id: (outcomes["local"].get(check_id, "missing"), outcomes["docker"].get(check_id, "missing"))
        for check_id in dict.fromkeys([*outcomes["local"], *outcomes["docker"]])
        if outcomes["local"].get(check_id) != outcomes["docker"].get(check_id)
    }
    assert not differ, f"(local, docker) outcomes differ: {differ}"
    assert (local.result.status, local.result.percent) == (docker.result.status, docker.result.percent)


@pytest.fixture(scope="session")
def catalogs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("catalogs")
    return {lab: catalog(lab, folder) for lab in LAB_IDS}


@pytest.mark.slow
@pytest.mark.parametrize("lab", LAB_IDS)
def test_only_a_module_grades_all_of_it_on_the_solution(lab, catalogs, tmp_path):
    """`grade LAB --solution --only MODULE` runs what the selection needs (fixtures, setup commands,
    prerequisites in other modules) and scores 100% of it, for every module of every lab."""
    modules = list(dict.fromkeys(check["id"].split("::")[0] for check in catalogs[lab]["checks"]))
    assert modules, f"{lab}: the catalog lists no checks"
    broken = {}
    for module in modules:
        graded = grade(lab, "--solution", "--only", module, tmp=tmp_path)
        result = graded.result
        if result is None or graded.exit_code != 0 or result.percent != 100.0:
            broken[module] = results_summary(graded)
            continue
        ran = {check.id.split("::")[0] for check in result.checks}
        if module not in ran or any(check.outcome != "passed" for check in result.checks):
            broken[module] = results_summary(graded)
    assert not broken, "\n".join(f"--only {module}: {summary}" for module, summary in broken.items())


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
