"""The one result model every report is made from. Versioned: `schema_version` changes on any
incompatible change; `grade schema` prints it as JSON Schema (docs/results.schema.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"

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
    extra: bool = Field(False, description="extra credit: counted on top of the maximum")
    outcome: Outcome = Field(
        description="passed; failed; timeout (over its time budget); skipped (a prerequisite did not "
        "pass, or the app had stopped); error (the grader itself failed: not the submission's fault)"
    )
    message: str | None = Field(None, description="what went wrong, in a line or two")
    expected: str | None = None
    actual: str | None = None
    request: str | None = Field(None, description="the last request of the check as a curl command")
    response: str | None = Field(None, description="what came back to that request, shortened")
    hint: str
    app_output: str | None = Field(None, description="what the app printed during the check (tail)")
    duration: float = Field(description="seconds")


class AppInfo(_Model):
    started: bool
    startup_seconds: float | None = None
    problem: str | None = Field(None, description="why the app could not be started or stopped early")
    output_tail: str = Field("", description="the last lines the app printed")
    output_truncated: bool = False


class Versions(_Model):
    grader: str
    python: str
    pytest: str
    platform: str


class GradeResult(_Model):
    schema_version: Literal["1.0"] = SCHEMA_VERSION
    lab: str
    lab_title: str
    submission: str
    runner: str
    status: Status
    score: float
    max_score: float
    percent: float
    pass_mark: float
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

    def by_outcome(self, outcome: Outcome) -> list[CheckResult]:
        return [check for check in self.checks if check.outcome == outcome]

    @property
    def exit_code(self) -> int:
        return {"passed": 0, "failed": 1, "error": 2}[self.status]


def total(checks: list[CheckResult]) -> tuple[float, float]:
    """(score, max_score): extra-credit checks add to the score but not to the maximum."""
    score = sum(check.points for check in checks)
    maximum = sum(check.max_points for check in checks if not check.extra)
    return round(score, 2), round(maximum, 2)


def percent(score: float, maximum: float) -> float:
    return round(min(100.0, 100.0 * score / maximum), 1) if maximum else 0.0
