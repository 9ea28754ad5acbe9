"""Every normative sentence of a contract is a tagged rule, and every rule is proven by a check."""

from __future__ import annotations

import pytest

from grader.rules import Rule, parse, problems
from tests.kit import LABS, catalog, lab_id

README = """# Lab 99

## The contract

### 1. Things

- **[R1.1]** A thing answers `201` with its
  `Location`.
- **[R1.2]** A *deleted* thing answers 404. **[R1.3]** Two things never share a [name](https://x).

Not a rule.

## Run it

- **[R9.9]** outside the contract: ignored
"""


def test_rules_are_parsed_from_the_contract_only():
    assert parse(README) == [
        Rule("R1.1", "A thing answers 201 with its Location."),
        Rule("R1.2", "A deleted thing answers 404."),
        Rule("R1.3", "Two things never share a name."),
    ]


def test_a_rule_tagged_twice_is_an_error():
    with pytest.raises(ValueError, match=r"R1\.1"):
        parse("## The contract\n- **[R1.1]** a\n- **[R1.1]** b\n")


def test_problems_name_unproven_rules_and_unknown_or_missing_ids():
    rules = parse(README)
    found = problems(rules, {"a::one": ["R1.1"], "a::two": [], "a::three": ["R7.1", "bogus"]})
    assert "a::two names no rule of the contract" in found
    assert any("R7.1, which the contract does not tag" in line for line in found)
    assert any("'bogus', which is not a rule id" in line for line in found)
    assert [line.split()[0] for line in found if "has no check" in line] == ["R1.2", "R1.3"]


@pytest.mark.parametrize("folder", LABS, ids=lambda f: f.name)
def test_every_rule_has_a_check_and_every_check_proves_rules(folder, tmp_path):
    suite = catalog(lab_id(folder), tmp_path)
    rules = [Rule(rule["id"], rule["text"]) for rule in suite["rules"]]
    assert rules, f"{folder.name}/README.md tags no rules in its contract (**[R1.1]** ...)"
    found = problems(rules, {check["id"]: check["rules"] for check in suite["checks"]})
    assert not found, "\n".join(found)
