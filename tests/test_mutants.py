"""Every mutant of every solution is caught by the checks it names, each failing on its own; every check
and every rule of each contract is shown to fail by some mutant; the blind mutants are all caught."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.kit import (
    LABS,
    ROOT,
    Graded,
    catalog,
    grade,
    graded_once,
    lab_id,
    mutants_of,
    mutate,
    results_summary,
    run_folder,
)

CASES = [(lab_id(folder), mutant) for folder in LABS for mutant in mutants_of(lab_id(folder))]
CAUGHT = {"failed", "timeout"}  # skipped is not caught: the named check never ran
MIN_BLIND = 10


def _folder(lab: str) -> Path:
    return next(f for f in LABS if lab_id(f) == lab)


def _control(lab: str, selection: list[str], shared: Path) -> dict[str, str]:
    """Outcomes of the unmodified solution graded with `--only selection`, once per selection for the
    whole test run (xdist workers share it)."""
    graded = graded_once(lab, ["--solution", "--only", ",".join(sorted(selection))], "local", shared)
    assert graded.result is not None, results_summary(graded)
    return {check.id: check.outcome for check in graded.result.checks}


@pytest.fixture(scope="session")
def controls(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_folder(tmp_path_factory)


@pytest.mark.slow
@pytest.mark.parametrize(("lab", "mutant"), CASES, ids=[f"{lab}-{m.name}" for lab, m in CASES])
def test_mutant_is_caught(lab, mutant, tmp_path, controls):
    assert mutant.catches, f"{mutant.name} names no check: a mutant must say what catches it"
    selection = list(mutant.catches)
    if os.environ.get("MUTANTS_FULL"):  # MUTANTS_FULL=1 grades the whole suite instead of the named checks
        only: list[str] = []
    else:
        only = ["--only", ",".join(selection)]
        control = _control(lab, selection, controls)
        broken = {
            check: control.get(check, "missing") for check in selection if control.get(check) != "passed"
        }
        assert not broken, f"the solution itself does not pass {broken} when graded with --only {selection}"
    submission = mutate(ROOT / "solutions" / _folder(lab).name, mutant, tmp_path / "submission")
    graded: Graded = grade(lab, "--path", str(submission), *only, tmp=tmp_path, env=mutant.env)
    assert graded.result is not None, results_summary(graded)
    assert graded.result.status != "error", results_summary(graded)
    escaped = {check: graded.outcome(check) for check in selection if graded.outcome(check) not in CAUGHT}
    assert not escaped, (
        f"{mutant.name} ({mutant.why}) was not caught by {escaped} (each named check must fail on its own)"
        f"\n{results_summary(graded)}"
    )
    assert graded.exit_code in (0, 1)


@pytest.mark.parametrize("folder", LABS, ids=lambda f: f.name)
def test_every_lab_has_mutants_that_name_their_checks(folder):
    mutants = mutants_of(lab_id(folder))
    assert mutants, f"{folder.name} has no mutants in tests/mutants/{lab_id(folder)}.py"
    assert all(m.catches for m in mutants), [m.name for m in mutants if not m.catches]
    names = [m.name for m in mutants]
    assert len(names) == len(set(names)), "two mutants share a name"


@pytest.mark.parametrize("folder", LABS, ids=lambda f: f.name)
def test_every_check_and_rule_is_caught_by_some_mutant(folder, tmp_path):
    lab = lab_id(folder)
    suite = catalog(lab, tmp_path)
    checks = {check["id"]: check for check in suite["checks"]}
    named = {check_id for mutant in mutants_of(lab) for check_id in mutant.catches}
    unknown = named - set(checks)
    assert not unknown, f"mutants name checks that do not exist: {sorted(unknown)}"
    uncaught = [check_id for check_id in checks if check_id not in named]
    assert not uncaught, f"no mutant shows these checks can fail: {uncaught}"
    covered = {rule for check_id in named for rule in checks[check_id]["rules"]}
    rules = [rule["id"] for rule in suite["rules"]]
    assert rules, f"{folder.name}/README.md tags no rules in its contract"
    unproven = [rule for rule in rules if rule not in covered]
    assert not unproven, f"no mutant is caught by a check of these rules: {unproven}"


@pytest.mark.parametrize("folder", LABS, ids=lambda f: f.name)
def test_blind_mutants_name_the_rules_they_break(folder, tmp_path):
    lab = lab_id(folder)
    blind = [m for m in mutants_of(lab) if m.blind]
    assert len(blind) >= MIN_BLIND, f"{folder.name} has {len(blind)} blind mutants; at least {MIN_BLIND}"
    rules = {rule["id"] for rule in catalog(lab, tmp_path)["rules"]}
    for mutant in blind:
        assert mutant.rules, f"blind mutant {mutant.name} names no rule it breaks"
        assert set(mutant.rules) <= rules, f"{mutant.name} names unknown rules {set(mutant.rules) - rules}"
