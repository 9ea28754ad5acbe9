"""The one result model every report is made from. Versioned: `schema_version` changes on any
incompatible change; `grade schema` prints it as JSON Schema (docs/results.schema.json)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION: Final = "2.0"

Outcome = Literal["passed", "failed", "timeout", "skipped", "error"]
Status = Literal["passed", "failed", "error"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckResult(_Model):
    id: str = Field(description="stable id: <module>::<check>, e.g. resources::create_answers_201")
    title: str
    category: str
    points: float = Field(description="points earned")
    max_points: float
    extra: bool = Field(False, description="extra credit: reported apart, never part of the required score")
    outcome: Outcome = Field(
        description="passed; failed; timeout (over its time budget); skipped (a prerequisite did not "
        "pass, or the app had stopped); error (the grader itself failed: not the submission's fault)"
    )
    message: str | None = Field(None, description="what went wrong, in a line or two")
    expected: str | None = None
    actual: str | None = None
    request: str | None = Field(None, description="the last request of the check as a curl command")
    replay_first: list[str] = Field(
        default_factory=list,
        description="earlier requests of the check, as curl commands, whose answers created what the replay "
        "uses (a Location, an id): run them first",
    )
    replay_uses: str | None = Field(
        None, description="what the replay uses that those requests created (e.g. /v1/books/2)"
    )
    response: str | None = Field(None, description="what came back to that request, shortened")
    hint: str
    rules: list[str] = Field(default_factory=list, description="ids of the contract rules this check proves")
    cause: str | None = Field(
        None,
        description="when the check could not set up its scenario: the request that failed it, in a few "
        "words (checks with the same cause share one root cause)",
    )
    app_output: str | None = Field(None, description="what the app printed during the check (tail)")
    duration: float = Field(description="seconds")


class AppInfo(_Model):
    started: bool
    startup_seconds: float | None = None
    problem: str | None = Field(None, description="why the app could not be started or stopped early")
    output_tail: str = Field("", description="the last lines the app printed")
    output_truncated: bool = False


class CategoryScore(_Model):
    name: str = Field(description="the category's title (a module of the suite)")
    module: str
    score: float
    max_score: float
    percent: float
    minimum: float = Field(0, description="percent of the category's points needed to pass (0: none)")

    @property
    def holds_back(self) -> bool:
        return self.percent < self.minimum


class Versions(_Model):
    grader: str
    python: str
    pytest: str
    platform: str


class GradeResult(_Model):
    schema_version: Literal["2.0"] = SCHEMA_VERSION
    lab: str
    lab_title: str
    submission: str
    runner: str
    status: Status
    score: float = Field(description="required points earned (extra credit never counts here)")
    max_score: float = Field(description="required points available")
    percent: float = Field(
        description="score / max_score, rounded down: 100 only when every required check passed"
    )
    extra_score: float = Field(0, description="extra-credit points earned, reported apart")
    extra_max_score: float = 0
    pass_mark: float
    categories: list[CategoryScore] = Field(default_factory=list)
    held_back_by: list[str] = Field(
        default_factory=list,
        description="categories below their minimum: they fail the run whatever the score",
    )
    started_at: datetime
    duration: float
    timings: dict[str, float] = Field(
        default_factory=dict,
        description="seconds spent in each phase: prepare (copy or image build), services, app (setup and "
        "start-up), suite (the checks), cleanup",
    )
    app: AppInfo
    only: list[str] | None = Field(
        None, description="the checks or modules asked for with --only (a partial run)"
    )
    checks: list[CheckResult]
    error: str | None = Field(None, description="why the grader could not grade (status error)")
    versions: Versions

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def held_back_reasons(self) -> list[str]:
        """One sentence per category below its minimum: why a run can fail at or above the pass mark."""
        reasons = []
        for name in self.held_back_by:
            category = next((c for c in self.categories if c.name == name), None)
            reasons.append(
                f"Held back by «{name}»: {category.percent:g}% of its points, {category.minimum:g}% needed."
                if category is not None
                else f"Held back by «{name}»: below its minimum."
            )
        return reasons

    def by_outcome(self, outcome: Outcome) -> list[CheckResult]:
        return [check for check in self.checks if check.outcome == outcome]

    @property
    def exit_code(self) -> int:
        return {"passed": 0, "failed": 1, "error": 2}[self.status]


def total(checks: list[CheckResult], *, extra: bool = False) -> tuple[float, float]:
    """(score, max_score) of the required checks, or of the extra-credit ones with extra=True."""
    chosen = [check for check in checks if check.extra == extra]
    return round(sum(c.points for c in chosen), 2), round(sum(c.max_points for c in chosen), 2)


def percent(score: float, maximum: float) -> float:
    """Rounded down to a tenth, so 999 of 1000 points never shows as 100%."""
    if not maximum:
        return 0.0
    return math.floor(1000.0 * score / maximum + 1e-9) / 10.0
