"""The machine-readable reports, each a pure function from a GradeResult to text."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from grader.report.causes import replay_note
from grader.report.safe import markdown_text, sanitized, xml_text
from grader.results import CheckResult, GradeResult

OUTPUT_LIMIT = 2000


def _details(check: CheckResult) -> str:
    lines = [check.message or ""]
    for label, value in (
        ("expected", check.expected),
        ("got", check.actual),
        ("before the request", replay_note(check)),
        *(("first", command) for command in check.replay_first),
        ("request", check.request),
        ("response", check.response),
        ("hint", check.hint),
    ):
        if value:
            lines.append(f"{label}: {value}")
    if check.app_output:
        lines.append("app output:\n" + check.app_output)
    text = "\n".join(line for line in lines if line)
    if len(text) > OUTPUT_LIMIT:
        text = text[:OUTPUT_LIMIT] + f"\n… ({len(text) - OUTPUT_LIMIT} more characters cut)"
    return text


def to_json(result: GradeResult) -> str:
    return result.model_dump_json(indent=2) + "\n"


def to_junit(result: GradeResult) -> str:
    """JUnit XML: one testsuite per lab, one testcase per check (classname = category)."""
    result = sanitized(result, xml_text)  # characters XML cannot hold are dropped, not written
    counts = {
        outcome: len(result.by_outcome(outcome)) for outcome in ("failed", "timeout", "skipped", "error")
    }
    suite = ET.Element(
        "testsuite",
        {
            "name": f"{result.lab} {result.lab_title}",
            "tests": str(len(result.checks)),
            "failures": str(counts["failed"] + counts["timeout"]),
            "errors": str(counts["error"]),
            "skipped": str(counts["skipped"]),
            "time": f"{result.duration:.3f}",
            "timestamp": result.started_at.isoformat(),
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("score", result.score),
        ("max_score", result.max_score),
        ("percent", result.percent),
        ("pass_mark", result.pass_mark),
        ("status", result.status),
        ("runner", result.runner),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": str(value)})
    if not result.app.started:
        ET.SubElement(properties, "property", {"name": "app_problem", "value": result.app.problem or ""})
    if result.held_back_by:
        value = " ".join(result.held_back_reasons)
        ET.SubElement(properties, "property", {"name": "held_back_by", "value": value})
    for check in result.checks:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": f"{result.lab}.{check.category}",
                "name": f"{check.title} [{check.id}]",
                "time": f"{check.duration:.3f}",
            },
        )
        if check.outcome in ("failed", "timeout"):
            node = ET.SubElement(
                case, "failure", {"message": check.message or check.outcome, "type": check.outcome}
            )
            node.text = _details(check)
        elif check.outcome == "error":
            node = ET.SubElement(case, "error", {"message": check.message or "grader error"})
            node.text = _details(check)
        elif check.outcome == "skipped":
            ET.SubElement(case, "skipped", {"message": check.message or "skipped"})
    if result.error:
        ET.SubElement(suite, "system-err").text = result.error
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


MARKS = {"passed": "✅", "failed": "❌", "timeout": "⏱️", "skipped": "⏭️", "error": "⚠️"}


def _cell(text: str) -> str:
    """One table cell: on one line (the text is already escaped, pipes included)."""
    return " ".join(text.split())


def to_github_summary(result: GradeResult) -> str:
    """Markdown for $GITHUB_STEP_SUMMARY: the score first, then every check, failures with their hints."""
    result = sanitized(result, markdown_text)  # no HTML, links or table breaks from the app's text
    verdict = {"passed": "passed ✅", "failed": "not passed ❌", "error": "could not be graded ⚠️"}[
        result.status
    ]
    lines = [
        f"### {result.lab} · {result.lab_title}: "
        f"{result.percent:g}% ({result.score:g}/{result.max_score:g}), {verdict}",
        "",
        f"Pass mark {result.pass_mark:g}% · {result.runner} runner · {result.duration:.1f} s",
        "",
    ]
    if result.error:
        lines += [f"> {result.error}", ""]
    if not result.app.started and result.app.problem:
        lines += [f"> The app did not start: {result.app.problem}", ""]
    for reason in result.held_back_reasons:
        lines += [f"> {reason}", ""]
    lines += ["| | Check | Points |", "|---|---|---|"]
    for check in result.checks:
        lines.append(
            f"| {MARKS[check.outcome]} | {_cell(check.title)} | {check.points:g}/{check.max_points:g} |"
        )
    failed = [check for check in result.checks if check.outcome in ("failed", "timeout", "error")]
    if failed:
        lines += ["", "<details><summary>What to look at</summary>", ""]
        for check in failed:
            lines.append(f"- **{_cell(check.title)}**: {_cell(check.message or check.outcome)}  ")
            lines.append(f"  _Hint:_ {_cell(check.hint)}")
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n\n"


def to_gradescope(result: GradeResult) -> str:
    """results.json in the Gradescope autograder format (one test per check)."""
    tests = []
    for number, check in enumerate(result.checks, start=1):
        output = "" if check.outcome == "passed" else _details(check)
        tests.append(
            {
                "name": check.title,
                "number": str(number),
                "score": check.points,
                "max_score": 0 if check.extra else check.max_points,
                "status": "passed" if check.outcome == "passed" else "failed",
                "output": output,
                "output_format": "text",
                "tags": [check.category, check.id] + (["extra credit"] if check.extra else []),
                "visibility": "visible",
            }
        )
    summary = (
        f"{result.lab} · {result.lab_title}: {result.score:g}/{result.max_score:g} ({result.percent:g}%)"
    )
    if result.held_back_by:
        summary += f", pass mark {result.pass_mark:g}%: not passed\n\n" + "\n".join(result.held_back_reasons)
    if result.error:
        summary += f"\n\n{result.error}"
    if not result.app.started and result.app.problem:
        summary += f"\n\nThe app did not start: {result.app.problem}\n\n{result.app.output_tail}"
    data = {
        "score": result.score,
        "max_score": result.max_score,
        "execution_time": round(result.duration),
        "output": summary,
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
