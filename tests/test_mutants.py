"""Every mutant of every solution is caught by the checks it names, and every check is caught by one."""

from __future__ import annotations

import os

import pytest

from tests.kit import LABS, ROOT, grade, lab_id, mutants_of, mutate, results_summary

CASES = [(lab_id(folder), mutant) for folder in LABS for mutant in mutants_of(lab_id(folder))]


@pytest.mark.slow
@pytest.mark.parametrize(("lab", "mutant"), CASES, ids=[f"{lab}-{m.name}" for lab, m in CASES])
def test_mutant_is_caught(lab, mutant, tmp_path):
    folder = next(f for f in LABS if lab_id(f) == lab)
    submission = mutate(ROOT / "solutions" / folder.name, mutant, tmp_path / "submission")
    # Only the checks the mutant names, with what they need: fast, and as strict (checks are independent).
    # MUTANTS_FULL=1 grades the whole suite instead.
    only = [] if os.environ.get("MUTANTS_FULL") else ["--only", ",".join(mutant.catches)]
    graded = grade(lab, "--path", str(submission), *only, tmp=tmp_path, env=mutant.env)
    assert graded.result is not None, results_summary(graded)
    assert graded.result.status != "error", results_summary(graded)
    escaped = [check_id for check_id in mutant.catches if graded.outcome(check_id) == "passed"]
    assert not escaped, f"{mutant.name} ({mutant.why}) was not caught by {escaped}\n{results_summary(graded)}"
    assert graded.exit_code in (0, 1)


@pytest.mark.parametrize("folder", [f for f in LABS if mutants_of(lab_id(f))], ids=lambda f: f.name)
def test_every_check_is_caught_by_some_mutant(folder, tmp_path):
    lab = lab_id(folder)
    graded = grade(lab, "--solution", tmp=tmp_path)
    assert graded.result is not None, results_summary(graded)
    caught = {check_id for mutant in mutants_of(lab) for check_id in mutant.catches}
    unknown = caught - {check.id for check in graded.result.checks}
    assert not unknown, f"mutants name checks that do not exist: {sorted(unknown)}"
    uncaught = [check.id for check in graded.result.checks if check.id not in caught]
    assert not uncaught, f"no mutant shows these checks can fail: {uncaught}"
