"""Reports are pure functions of one result: every outcome, awkward text, and each format's rules."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from junitparser import JUnitXml, TestSuite
from rich.console import Console

from grader.report import formats, terminal
from grader.results import AppInfo, CheckResult, GradeResult, Versions


def check(outcome: str, points: float, title: str = "a check", **fields: object) -> CheckResult:
    return CheckResult(
        id=f"cat::{title.replace(' ', '_')}",
        title=title,
        category="Category [x]",
        points=points,
        max_points=2,
        outcome=outcome,
        hint="Look at <this> & that.",
        duration=0.1,
        **fields,
    )


def result(**changes: object) -> GradeResult:
    base = GradeResult(
        lab="lab02",
        lab_title="REST APIs",
        submission="/tmp/sub",
        runner="local",
        status="failed",
        score=3,
        max_score=8,
        percent=37.5,
        pass_mark=80,
        started_at=datetime(2026, 11, 25, tzinfo=UTC),
        duration=1.5,
        app=AppInfo(started=True, startup_seconds=0.3, output_tail="INFO ready"),
        checks=[
            check("passed", 2, "passes"),
            check(
                "failed",
                0,
                "fails | with pipe",
                message="GET /x: expected status 200, got 500.",
                expected="200",
                actual="500",
                request="curl -i http://localhost:8000/x",
                response="500 Internal Server Error",
                app_output="Traceback <boom>\n[bold]not markup[/]",
            ),
            check("timeout", 0, "times out", message="GET /slow: no answer within 5 s."),
            check(
                "skipped", 0, "skipped", message="not run: it needs «fails | with pipe», which did not pass"
            ),
            CheckResult(
                id="cat::extra",
                title="extra credit",
                category="Category [x]",
                points=1,
                max_points=1,
                extra=True,
                outcome="passed",
                hint="-",
                duration=0.1,
            ),
        ],
        versions=Versions(grader="0", python="3", pytest="9", platform="linux"),
    )
    return base.model_copy(update=changes)


def test_json_round_trips():
    original = result()
    assert GradeResult.model_validate_json(formats.to_json(original)) == original


def test_junit_counts_each_outcome_and_keeps_the_details():
    xml = JUnitXml.fromstring(formats.to_junit(result()))
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (5, 2, 0, 1)
    cases = {case.name: case for suite in suites for case in suite}
    failure = cases["fails | with pipe [cat::fails_|_with_pipe]"].result[0]
    assert failure.message == "GET /x: expected status 200, got 500."
    assert "Traceback <boom>" in failure.text
    assert "hint: Look at <this> & that." in failure.text


def test_junit_of_an_app_that_did_not_start_says_why():
    text = formats.to_junit(result(app=AppInfo(started=False, problem="it exited with code 1")))
    assert 'name="app_problem" value="it exited with code 1"' in text


def test_gradescope_has_one_test_per_check_and_extra_credit_adds_no_maximum():
    data = json.loads(formats.to_gradescope(result()))
    assert data["score"] == 3
    assert data["max_score"] == 8
    assert [test["status"] for test in data["tests"]] == ["passed", "failed", "failed", "failed", "passed"]
    assert data["tests"][-1]["max_score"] == 0
    assert "extra credit" in data["tests"][-1]["tags"]
    assert data["tests"][0]["output"] == ""
    assert "Look at <this> & that." in data["tests"][1]["output"]


def test_github_summary_is_valid_markdown_for_any_title():
    text = formats.to_github_summary(result())
    assert text.startswith("### lab02 · REST APIs: 37.5% (3/8), not passed ❌")
    assert "| ❌ | fails \\| with pipe | 0/2 |" in text
    assert "| ⏭️ | skipped | 0/2 |" in text
    assert "_Hint:_ Look at <this> & that." in text


def test_terminal_report_prints_text_literally_and_ends_with_the_verdict():
    buffer = io.StringIO()
    terminal.render(result(), Console(file=buffer, width=120, color_system=None), verbose=True)
    text = buffer.getvalue()
    assert "[bold]not markup[/]" in text  # the app's output is never read as rich markup
    assert "Category [x]" in text
    assert "replay:   curl -i http://localhost:8000/x" in text
    assert "Score 3/8 (37.5%) · pass mark 80% · NOT PASSED" in text
    assert text.rstrip().endswith("Next: fails | with pipe. Look at <this> & that.")


def test_terminal_report_of_an_app_that_did_not_start_shows_its_output():
    buffer = io.StringIO()
    crashed = result(
        app=AppInfo(
            started=False,
            problem="the app exited with code 1 before it was ready",
            output_tail="ModuleNotFoundError: No module named 'yaml'",
        ),
        checks=[],
    )
    terminal.render(crashed, Console(file=buffer, width=120, color_system=None))
    assert "The app did not start: the app exited with code 1 before it was ready." in buffer.getvalue()
    assert "No module named 'yaml'" in buffer.getvalue()
