"""Every lab's README ramps the learner in: a "Suggested order of work" that walks through every
category of the suite, one `grade labNN --only MODULE` per step, outside the contract (it adds no
rules), and every `--only` it names exists in the lab's suite; «Grade it» says what passing takes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.kit import LABS, catalog, lab_id

ORDER = "## Suggested order of work"
ONLY = re.compile(r"`grade (lab\d\d) --only ([^`\s]+)`")


def section(readme: str, heading: str) -> str:
    """The text under `heading` (a `## ` line), up to the next `## ` heading."""
    start = readme.index(heading + "\n") + len(heading) + 1
    following = readme.find("\n## ", start)
    return readme[start : following if following >= 0 else len(readme)]


@pytest.fixture(scope="module")
def catalogs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    tmp = tmp_path_factory.mktemp("catalogs")
    return {lab_id(folder): catalog(lab_id(folder), tmp) for folder in LABS}


@pytest.mark.parametrize("folder", LABS, ids=lambda f: f.name)
def test_every_readme_suggests_an_order_of_work_outside_the_contract(folder: Path) -> None:
    readme = (folder / "README.md").read_text()
    assert readme.count(f"\n{ORDER}\n") == 1, f"{folder.name}/README.md has no single «{ORDER}» section"
    at = readme.index(f"\n{ORDER}\n")
    assert readme.index("\n## The contract\n") < readme.index("\n## Grade it\n") < at, (
        "the order of work follows «Grade it»: after the contract, never inside it"
    )
    assert at < readme.index("\n## Going further\n")
    assert "**Passing** takes" in section(readme, "## Grade it"), (
        "«Grade it» says what passing takes: the pass mark and the categories' minimums"
    )
    order = section(readme, ORDER)
    assert not re.search(r"\[R\d+\.\d+\]", order), "the order of work adds no rules: no [Rn.m] tags in it"
    steps = re.findall(r"^\d+\. ", order, flags=re.MULTILINE)
    assert len(steps) >= 3, "the order of work is a numbered list of steps"


@pytest.mark.parametrize("folder", LABS, ids=lambda f: f.name)
def test_every_step_grades_a_category_of_the_suite_and_every_category_has_a_step(
    folder: Path, catalogs: dict[str, dict]
) -> None:
    lab = lab_id(folder)
    order = section((folder / "README.md").read_text(), ORDER)
    commands = ONLY.findall(order)
    assert commands, f"{folder.name}: no `grade {lab} --only MODULE` command in the order of work"
    checks = catalogs[lab]["checks"]
    modules = {check["id"].split("::")[0] for check in checks}
    ids = {check["id"] for check in checks}
    named: list[str] = []
    for which, selection in commands:
        assert which == lab, f"{folder.name}: `grade {which} --only {selection}` grades another lab"
        for name in selection.split(","):
            assert name in modules or name in ids, (
                f"{folder.name}: `--only {name}` names no module or check of the suite ({sorted(modules)})"
            )
            named.append(name.split("::")[0])
    in_suite_order = list(dict.fromkeys(check["id"].split("::")[0] for check in checks))
    missing = [module for module in in_suite_order if module not in named]
    assert not missing, f"{folder.name}: the order of work skips {missing}"
    assert len(named) == len(set(named)), f"{folder.name}: a category has two steps"
