"""What a lab's suite holds, without grading: its checks (for --list and --only) and the contract
rules they prove (for --rules)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from grader.errors import GraderError
from grader.labs import Lab
from grader.plugin import CheckMeta, GraderPlugin, GradingSession, run_suite
from grader.rules import Rule, load


def checks_of(lab: Lab, suites: Path | None = None) -> list[CheckMeta]:
    """Every check of the lab's hidden suite, in report order (collected, never run)."""
    session = GradingSession(
        manifest=lab.manifest, runner=None, submission=lab.folder, endpoints=[], base_env={}
    )
    run_suite(lab.suite(suites), GraderPlugin(session), collect_only=True)
    if session.collect_errors:
        raise GraderError(
            "The hidden suite could not be loaded: " + "; ".join(session.collect_errors[:3]) + ".",
            "This is a bug of the suite: please report it.",
        )
    return session.catalog


@dataclass(frozen=True)
class RuleCoverage:
    rule: Rule
    checks: list[CheckMeta]

    @property
    def points(self) -> float:
        return sum(check.points for check in self.checks)


def coverage(lab: Lab, suites: Path | None = None) -> list[RuleCoverage]:
    """Each rule of the lab's contract with the checks that prove it."""
    checks = checks_of(lab, suites)
    return [
        RuleCoverage(rule, [check for check in checks if rule.id in check.rules])
        for rule in load(lab.folder / "README.md")
    ]


def to_json(lab: Lab, suites: Path | None = None) -> str:
    """`grade labNN --list --json F`: the suite's checks and the contract's rules, for tools and tests."""
    checks = checks_of(lab, suites)
    return json.dumps(
        {
            "lab": lab.id,
            "rules": [asdict(rule) for rule in load(lab.folder / "README.md")],
            "checks": [
                {
                    "id": check.id,
                    "title": check.title,
                    "category": check.category,
                    "points": check.points,
                    "extra": check.extra,
                    "alone": check.alone,
                    "needs": list(check.needs),
                    "rules": list(check.rules),
                }
                for check in checks
            ],
        },
        indent=1,
    )
