"""Reports are pure functions of one result: every outcome, awkward text, and each format's rules."""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from junitparser import JUnitXml, TestSuite
from rich.cells import cell_len
from rich.console import Console

from grader.checks import CheckFailed, expect_value
from grader.errors import GraderError
from grader.manifest import load_manifest
from grader.report import formats, safe, terminal
from grader.report.causes import root_causes
from grader.report.traceback import app_error
from grader.results import AppInfo, CategoryScore, CheckResult, GradeResult, Versions

ROOT = Path(__file__).resolve().parent.parent
STARTERS = Path(__file__).parent / "fixtures" / "starter-results"  # a first grade of each lab's starter


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
    assert "_Hint:_ Look at &lt;this&gt; &amp; that." in text  # shown as written, never as HTML


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


def held_back() -> GradeResult:
    """Issue 23: 90% overall at a pass mark of 80, but «Rate limiting» has 1 of its 5 points and needs
    half: the run fails, and every report says which category holds it back."""

    def one(module: str, category: str, name: str, outcome: str, points: float) -> CheckResult:
        return CheckResult(
            id=f"{module}::{name}",
            title=name.replace("_", " "),
            category=category,
            points=points if outcome == "passed" else 0,
            max_points=points,
            outcome=outcome,
            hint=f"hint for {name}",
            duration=0.1,
        )

    checks = [one("resources", "Resources", f"resource_{i}", "passed", 5) for i in range(8)] + [
        one("resources", "Resources", "resource_8", "failed", 5),
        one("rate_limit", "Rate limiting", "under_limit_served", "passed", 1),
        one("rate_limit", "Rate limiting", "over_limit_429", "failed", 4),
    ]
    return result(
        score=41,
        max_score=50,
        percent=82.0,
        checks=checks,
        categories=[
            CategoryScore(
                name="Resources", module="resources", score=40, max_score=45, percent=88.8, minimum=50
            ),
            CategoryScore(
                name="Rate limiting", module="rate_limit", score=1, max_score=5, percent=20.0, minimum=50
            ),
        ],
        held_back_by=["Rate limiting"],
    )


HELD = "Held back by «Rate limiting»: 20% of its points, 50% needed."


def test_a_category_below_its_minimum_is_named_by_every_report():
    graded = held_back()
    assert graded.held_back_reasons == [HELD]
    text = render(graded)
    lines = text.splitlines()
    assert lines[0] == "lab02 · Score 41/50 (82%) · pass mark 80% · NOT PASSED"
    assert lines[2] == HELD
    # the next step is the held-back category's failure, not the first failure of the suite
    assert text.rstrip().endswith("Next: make «over limit 429» pass, then run `grade lab02` again.")
    everything = io.StringIO()
    terminal.render(graded, Console(file=everything, width=120, color_system=None), verbose=True)
    assert HELD in everything.getvalue()
    assert "Next: over limit 429. hint for over_limit_429" in everything.getvalue()
    assert f'name="held_back_by" value="{HELD}"' in formats.to_junit(graded)
    assert f"> {HELD}" in formats.to_github_summary(graded)
    assert HELD in json.loads(formats.to_gradescope(graded))["output"]
    assert json.loads(formats.to_json(graded))["held_back_by"] == ["Rate limiting"]


def test_under_the_pass_mark_the_categories_below_their_minimum_take_one_line():
    """The score fails the run anyway: a starter's first screen names them in one line, not one each."""
    graded = held_back()
    categories = [
        category.model_copy(update={"name": f"Category {i}", "module": f"m{i}", "percent": 0.0})
        for i, category in enumerate(graded.categories * 3)
    ]
    graded = graded.model_copy(
        update={
            "percent": 40.0,
            "categories": categories,
            "held_back_by": [category.name for category in categories],
        }
    )
    text = render(graded)
    assert "Held back by" not in text
    assert "Below their minimum (50% of their points each): «Category 0», «Category 1» and 4 more." in text


def render(graded: GradeResult, width: int = 80, **options: object) -> str:
    buffer = io.StringIO()
    terminal.render(graded, Console(file=buffer, width=width, height=40, color_system=None), **options)
    return buffer.getvalue()


def screen_rows(text: str, width: int) -> int:
    """Rows the text takes on a terminal `width` columns wide (long lines wrap there, not in the text)."""
    return sum(max(1, -(-cell_len(line) // width)) for line in text.rstrip("\n").split("\n"))


def test_the_report_leads_with_the_score_then_categories_then_the_failures():
    text = render(result())
    lines = text.splitlines()
    assert lines[0] == "lab02 · Score 3/8 (37.5%) · pass mark 80% · NOT PASSED"
    assert "2 passed, 1 failed, 1 timeout, 1 skipped" in lines[1]
    assert lines[2].startswith(" ✘ Category [x]")
    assert " ".join(lines[2].split()) == "✘ Category [x] 2/5 passed 2/8 pts"
    assert lines[3] == "Failures: 3 checks, 2 root causes"
    assert "passes" not in text.replace("passed", "")  # passed checks collapse to the category's count
    assert "It holds up 1 check that needs it: «skipped»." in text
    assert "curl -i http://localhost:8000/x\n" in text  # alone on its row: pasted, it is the command
    assert text.rstrip().endswith(
        "Next: make «fails | with pipe» pass (it holds up 1 more check), then run `grade lab02` again."
    )


def test_failures_with_the_same_answer_are_shown_once_with_what_they_hold_up():
    same = [
        check(
            "failed",
            0,
            f"needs an author {n}",
            message="could not create test data: POST /v1/authors answered 404",
            request=f"curl -i -X POST http://localhost:8000/v1/authors --data-binary '{{\"n\":{n}}}'",
            response='404 Not Found  content-type: application/json  {"detail":"Not Found"}',
        )
        for n in range(5)
    ]
    other = check(
        "failed",
        0,
        "lists authors",
        message="GET /v1/authors: expected 200, got 404.",
        request="curl -i http://localhost:8000/v1/authors",
        response="404 Not Found",
    )
    causes, loose = root_causes([*same, other])
    assert [cause.first.title for cause in causes] == ["needs an author 0", "lists authors"]
    assert [c.title for c in causes[0].same] == [f"needs an author {n}" for n in range(1, 5)]
    assert loose == []
    text = render(result(checks=[*same, other]))
    assert text.count("could not create test data") == 1
    assert "The same answer fails 4 more: «needs an author 1», «needs an author 2» and 2 more." in text
    assert "✘ lists authors" in text


def test_a_skip_chain_belongs_to_the_failure_at_its_end():
    first = check("failed", 0, "registers", message="POST /register: expected 201, got 404.")
    second = check("skipped", 0, "logs in", message="not run: it needs «registers», which did not pass")
    third = check("skipped", 0, "refreshes", message="not run: it needs «logs in», which did not pass")
    late = check("skipped", 0, "late", message="not run: the suite used up its 60 s")
    causes, loose = root_causes([first, second, third, late])
    assert len(causes) == 1
    assert causes[0].held == [second, third]
    assert loose == [late]


def test_all_shows_every_check_as_before():
    text = render(result(), verbose=True)
    assert " ✔   passes" in text
    assert "replay:   curl -i http://localhost:8000/x" in text


def with_policy(graded: GradeResult) -> GradeResult:
    """The result as the lab's manifest grades it today (the fixtures predate the category minimums)."""
    manifest = load_manifest(next((ROOT / "labs").glob(f"{graded.lab}-*")) / "lab.toml")
    categories = [c.model_copy(update={"minimum": manifest.minimum_for(c.module)}) for c in graded.categories]
    held = [category.name for category in categories if category.holds_back]
    return graded.model_copy(update={"categories": categories, "held_back_by": held})


@pytest.mark.parametrize("lab", sorted(p.stem for p in STARTERS.glob("lab*.json")))
@pytest.mark.parametrize("width", [80, 120])
def test_the_first_grade_of_every_starter_fits_one_screen(lab, width):
    """Real first grades of each lab's starter (the runs the note counts): the score, the pass mark, every
    category and the first failure with its replay and hint, in 40 rows with a row left for the prompt."""
    graded = with_policy(GradeResult.model_validate_json((STARTERS / f"{lab}.json").read_text()))
    text = render(graded, width)
    assert screen_rows(text, width) <= 39, text
    lines = text.splitlines()
    assert lines[0].startswith(f"{lab} · Score {graded.score:g}/{graded.max_score:g}")
    assert f"pass mark {graded.pass_mark:g}%" in lines[0]
    for category in dict.fromkeys(c.category for c in graded.checks):
        assert category[:20] in text, category
    first = next(c for c in graded.checks if c.outcome in ("failed", "timeout"))
    assert first.title in text
    assert first.hint in text
    if first.request:
        assert f"\n{first.request}\n" in text
    assert lines[-1].startswith("Next: ")
    assert graded.held_back_by
    assert "Below their minimum" in text


CRASH = """INFO:     Started server process [1]
Traceback (most recent call last):
  File "/venv/lib/python3.13/site-packages/uvicorn/importer.py", line 19, in import_from_string
    module = importlib.import_module(module_str)
  File "<frozen importlib._bootstrap>", line 1206, in _gcd_import
  File "/home/me/kit/labs/lab02-rest-api/app/main.py", line 3, in <module>
    from app.settings import SETTINGS
  File "/home/me/kit/labs/lab02-rest-api/app/settings.py", line 9, in <module>
    SETTINGS = load()
KeyError: 'DATABASE_URL'
"""


def test_a_start_failure_leads_with_the_error_in_the_learners_files():
    error = app_error(CRASH, "/home/me/kit/labs/lab02-rest-api")
    assert error is not None
    assert error.exception == "KeyError: 'DATABASE_URL'"
    assert error.where == ("app/settings.py", 9)
    assert error.hidden == 2
    assert [frame[0].split('"')[1] for frame in error.frames] == [
        "/home/me/kit/labs/lab02-rest-api/app/main.py",
        "/home/me/kit/labs/lab02-rest-api/app/settings.py",
    ]
    assert app_error("missing configuration: GREETING_FILE\n", "/x") is None
    crashed = result(
        submission="/home/me/kit/labs/lab02-rest-api",
        app=AppInfo(
            started=False, problem="the app exited with code 1 before it was ready", output_tail=CRASH
        ),
        checks=[check("skipped", 0, "a", message="not run: the app did not start")] * 3,
    )
    lines = render(crashed).splitlines()
    assert lines[2] == "The app did not start: KeyError: 'DATABASE_URL' (app/settings.py, line 9)"
    assert "site-packages" not in "\n".join(lines)
    assert "(2 frames of the framework hidden: `grade lab02 --all` shows everything the app printed)" in lines
    assert "3 checks could not run: they need the app." in lines
    assert lines[-1] == "Next: fix the error above, then run `grade lab02` again."


HOSTILE = (  # a fake verdict after clearing the screen, HTML, a link, and bytes XML cannot hold
    "\x1b[2J\x1b[H\x1b[32m144/144 PASSED\x1b[0m\x07\x00\x0b "
    "<script>alert(1)</script> [x](http://127.0.0.1/) |"
)


def hostile_result() -> GradeResult:
    bad = check("failed", 0, "hostile", message=HOSTILE, actual=HOSTILE, response=HOSTILE, app_output=HOSTILE)
    return result(checks=[bad], app=AppInfo(started=True, output_tail=HOSTILE))


@pytest.mark.parametrize("verbose", [False, True])
def test_app_text_cannot_drive_the_terminal(verbose):
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, force_terminal=True, color_system="standard")
    terminal.render(hostile_result(), console, verbose=verbose)
    shown = buffer.getvalue()
    assert "\x1b[2J" not in shown
    assert "\x1b[H" not in shown
    assert "\x07" not in shown
    assert "\x00" not in shown
    assert "[2J[H[32m144/144 PASSED" in shown  # what is left is text, plainly shown


def test_app_text_cannot_break_the_junit_xml_or_the_step_summary():
    xml = formats.to_junit(hostile_result())
    parsed = JUnitXml.fromstring(xml)  # XML-invalid characters are dropped, the rest escaped
    case = next(iter(parsed if isinstance(parsed, TestSuite) else next(iter(parsed))))
    assert "<script>alert(1)</script>" in case.result[0].message
    summary = formats.to_github_summary(hostile_result())
    assert "<script>" not in summary
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in summary
    assert "\\[x\\]\\(http://127.0.0.1/\\)" in summary  # no link
    assert "\x1b" not in summary


def test_a_report_replaces_its_file_and_refuses_links_fifos_and_devices(tmp_path):
    target = tmp_path / "precious"
    target.write_text("keep me")
    report = tmp_path / "out" / "r.json"
    safe.write_report(report, "one")
    safe.write_report(report, "two")
    assert report.read_text() == "two"
    link = tmp_path / "link.json"
    link.symlink_to(target)
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    for path, what in ((link, "a symbolic link"), (fifo, "a FIFO"), (Path("/dev/null"), "a device")):
        for write in (safe.write_report, safe.append_report):
            with pytest.raises(GraderError) as refused:
                write(path, "x")
            assert str(refused.value).startswith(
                f"{path} is {what}: a report is only written to a regular file."
            )
    assert target.read_text() == "keep me"
    assert link.is_symlink()
    summary = tmp_path / "summary.md"
    safe.append_report(summary, "a\n")
    safe.append_report(summary, "b\n")
    assert summary.read_text() == "a\nb\n"


def test_a_wrong_json_type_is_named_in_the_message():
    with pytest.raises(CheckFailed) as failed:
        expect_value("year", "1979", 1979, where="GET /v1/books/1")
    assert failed.value.args[0] == 'GET /v1/books/1: year is the string "1979"; expected the number 1979.'
    with pytest.raises(CheckFailed) as failed:
        expect_value("available", 1, True)
    assert failed.value.args[0] == "available is the number 1; expected the boolean true."
    with pytest.raises(CheckFailed) as failed:
        expect_value("tags", None, [])
    assert failed.value.args[0] == "tags is null; expected an array of 0."
    expect_value("year", 1979, 1979)
