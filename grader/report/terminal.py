"""What the learner sees: a live progress display while grading, then a table of checks and the score."""

from __future__ import annotations

from itertools import groupby

from rich.cells import cell_len, set_cell_size
from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from grader.plugin import CheckMeta
from grader.report.causes import Cause, replay_note, root_causes
from grader.report.safe import sanitized, terminal_text
from grader.report.traceback import app_error
from grader.results import CheckResult, GradeResult

MARKS = {
    "passed": ("✔", "green"),
    "failed": ("✘", "red"),
    "timeout": ("⏱", "red"),
    "skipped": ("○", "yellow"),
    "error": ("!", "magenta"),
}


class LiveProgress:
    """The grader's Progress: a spinner and a bar of checks on a terminal, plain lines elsewhere (CI)."""

    def __init__(self, console: Console, title: str) -> None:
        self.console = console
        self.live = console.is_terminal
        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failures]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task = self.bar.add_task(title, total=None, failures="")
        self.failures = 0

    def __enter__(self) -> LiveProgress:
        if self.live:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.bar.stop()

    def stage(self, text: str) -> None:
        if self.live:
            self.bar.update(self.task, description=text)
        else:
            self.console.print(f"· {text}", highlight=False)

    def checks_total(self, count: int) -> None:
        self.bar.update(self.task, total=count, completed=0)

    def check_started(self, meta: CheckMeta) -> None:
        if self.live:
            self.bar.update(self.task, description=meta.title[:60])

    def check_done(self, result: CheckResult) -> None:
        # counted on the bar, never printed one per line: the report that follows must fit the screen
        self.bar.advance(self.task)
        if result.outcome != "passed":
            self.failures += 1
            self.bar.update(self.task, failures=f"[red]{self.failures} not passed[/]")


def _detail(check: CheckResult, verbose: bool) -> Text:
    text = Text()
    text.append(check.title, style="bold" if check.outcome != "passed" else "")
    if check.outcome == "passed":
        return text
    if check.message:
        text.append("\n" + check.message, style="red" if check.outcome in ("failed", "timeout") else "yellow")
    if check.outcome == "skipped":
        return text
    if check.expected and check.expected not in (check.message or ""):
        text.append(f"\nexpected: {check.expected}", style="dim")
    if check.actual and check.actual not in (check.message or ""):
        text.append(f"\ngot:      {check.actual}", style="dim")
    if check.request and (note := replay_note(check)):
        text.append(f"\n{note}", style="dim")
        for command in check.replay_first:
            text.append(f"\nfirst:    {command}", style="cyan")
    if check.request:
        text.append(f"\nreplay:   {check.request}", style="cyan")
    if check.response:
        text.append(f"\nanswer:   {check.response}", style="dim")
    if check.app_output and verbose:
        text.append("\napp output:\n" + check.app_output, style="dim")
    text.append(f"\nhint: {check.hint}", style="italic")
    return text


def render_all(result: GradeResult, console: Console, *, verbose: bool = False) -> None:
    """Every check of the run with its details (`grade labNN --all`)."""
    result = sanitized(result, terminal_text)  # the app's text never drives the terminal
    head = f"[bold]{escape(result.lab)} · {escape(result.lab_title)}[/]"
    head += f"  [dim]{result.runner} runner · {result.duration:.1f} s[/]"
    console.print(head)
    if result.only is not None:
        console.print(
            Text(f"Partial run: only {', '.join(result.only)} (and what they need).", style="yellow")
        )
    if not result.app.started and result.app.problem:
        body = [Text(f"The app did not start: {result.app.problem}.", style="bold red")]
        if result.app.output_tail:
            body.append(Text("Last lines it printed:", style="dim"))
            body.append(Text(result.app.output_tail))
        console.print(Panel(Group(*body), border_style="red", title="app", title_align="left"))
    elif result.app.problem:
        console.print(Text(f"Note: {result.app.problem}.", style="yellow"))
    for category, checks in groupby(result.checks, key=lambda check: check.category):
        table = Table(
            title=Text(category),
            title_justify="left",
            title_style="bold",
            show_header=False,
            expand=True,
            box=None,
            padding=(0, 1),
        )
        table.add_column(width=2, no_wrap=True)
        table.add_column(ratio=1, overflow="fold")
        table.add_column(justify="right", no_wrap=True, width=7)
        for check in checks:
            mark, style = MARKS[check.outcome]
            points = f"{check.points:g}/{check.max_points:g}" + ("+" if check.extra else "")
            table.add_row(Text(mark, style=style), _detail(check, verbose), Text(points, style=style))
        console.print(table)
    if verbose and result.app.started and result.app.output_tail:
        console.print(
            Panel(Text(result.app.output_tail), title="app output (last lines)", border_style="dim")
        )
    if result.error:
        console.print(Text(f"Grader error: {result.error}", style="bold magenta"))
    verdict = {
        "passed": ("PASSED", "bold green"),
        "failed": ("NOT PASSED", "bold red"),
        "error": ("NOT GRADED", "bold magenta"),
    }[result.status]
    line = Text()
    line.append(f"Score {result.score:g}/{result.max_score:g} ({result.percent:g}%)", style="bold")
    if result.extra_max_score:
        line.append(f" +{result.extra_score:g}/{result.extra_max_score:g} extra")
    line.append(f" · pass mark {result.pass_mark:g}% · ")
    line.append(verdict[0] + (" (for these checks)" if result.only is not None else ""), style=verdict[1])
    counts = {o: len(result.by_outcome(o)) for o in MARKS if result.by_outcome(o)}  # type: ignore[arg-type]
    line.append("  (" + ", ".join(f"{n} {o}" for o, n in counts.items()) + ")", style="dim")
    console.print(line)
    for reason in result.held_back_reasons:
        console.print(Text(reason, style="bold red"))
    failing = [c for c in result.checks if c.outcome in ("failed", "timeout")]
    first = next(iter(sorted(failing, key=lambda check: not _holds_back(result, check))), None)
    if first is not None and result.status != "passed":
        console.print(Text(f"Next: {first.title}. {first.hint}", style="italic"))


def _holds_back(result: GradeResult, check: CheckResult) -> bool:
    """Whether `check` is what stands between a score over the pass mark and a pass: it belongs to a
    category below its minimum. Under the pass mark every failure counts, in the suite's order."""
    return result.percent >= result.pass_mark and check.category in result.held_back_by


SCREEN_ROWS = 40  # the first grade of a starter must fit a 40-row terminal
VERDICTS = {
    "passed": ("PASSED", "bold green"),
    "failed": ("NOT PASSED", "bold red"),
    "error": ("NOT GRADED", "bold magenta"),
}


def _rows(text: Text, width: int) -> int:
    """Terminal rows a soft-wrapped line takes (the terminal wraps; rich inserts no newline)."""
    return sum(max(1, -(-cell_len(line) // width)) for line in text.plain.split("\n"))


def _fit(text: str, width: int) -> str:
    """One row: cut with an ellipsis where it would wrap."""
    text = " ".join(text.split())
    return text if cell_len(text) <= width else set_cell_size(text, width - 1) + "…"


def _points(check: CheckResult) -> str:
    return f"{check.points:g}/{check.max_points:g}" + ("+" if check.extra else "")


def _score_lines(result: GradeResult, command: str) -> list[Text]:
    line = Text()
    line.append(f"{result.lab} · ", style="bold")
    line.append(f"Score {result.score:g}/{result.max_score:g} ({result.percent:g}%)", style="bold")
    if result.extra_max_score:
        line.append(f" +{result.extra_score:g}/{result.extra_max_score:g} extra")
    line.append(f" · pass mark {result.pass_mark:g}% · ")
    line.append(
        VERDICTS[result.status][0] + (" (for these checks)" if result.only is not None else ""),
        style=VERDICTS[result.status][1],
    )
    counts = {o: len(result.by_outcome(o)) for o in MARKS if result.by_outcome(o)}  # type: ignore[arg-type]
    second = Text(
        f"{result.lab_title} · " + ", ".join(f"{n} {o}" for o, n in counts.items()) + f" · {result.runner} "
        f"runner · {result.duration:.1f} s",
        style="dim",
    )
    lines = [line, second]
    if result.only is not None:
        lines.append(
            Text(f"Partial run: only {', '.join(result.only)} (and what they need).", style="yellow")
        )
    lines += _held_back_lines(result)
    if result.error:
        lines.append(Text(f"Grader error: {result.error}", style="bold magenta"))
    return lines


def _held_back_lines(result: GradeResult) -> list[Text]:
    """At or over the pass mark, each category below its minimum is why the run fails: one line each.
    Under it, the score fails the run anyway: one line names them (a starter's screen stays short)."""
    if result.percent >= result.pass_mark or len(result.held_back_by) == 1:
        return [Text(reason, style="bold red") for reason in result.held_back_reasons]
    if not result.held_back_by:
        return []
    held = [c for c in result.categories if c.name in result.held_back_by]
    minimums = {c.minimum for c in held}
    needed = f" ({minimums.pop():g}% of their points each)" if len(minimums) == 1 else ""
    names = ", ".join(f"«{name}»" for name in result.held_back_by[:2])
    more = len(result.held_back_by) - 2
    return [
        Text(
            f"Below their minimum{needed}: {names}" + (f" and {more} more" if more > 0 else "") + ".",
            style="red",
        )
    ]


def _category_lines(result: GradeResult, width: int) -> list[Text]:
    """One row per category: a mark, its name, checks passed of total, points."""
    lines = []
    for category, members in groupby(result.checks, key=lambda check: check.category):
        checks = list(members)
        passed = sum(check.outcome == "passed" for check in checks)
        required = [check for check in checks if not check.extra]
        points = (
            f"{sum(c.points for c in required):g}/{sum(c.max_points for c in required):g} pts"
            if required
            else f"+{sum(c.points for c in checks):g}/{sum(c.max_points for c in checks):g} extra"
        )
        mark, style = MARKS["passed"] if passed == len(checks) else MARKS["failed"]
        tail = f" {f'{passed}/{len(checks)}':>7} passed {points:>14}"
        room = min(width, 100) - 3 - len(tail)  # wider terminals: the numbers stay near the names
        name = set_cell_size(_fit(category, room), room)
        line = Text(" ")
        line.append(mark, style=style)
        line.append(f" {name}{tail}")
        lines.append(line)
    return lines


def _count(number: int, noun: str = "check") -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _titles(checks: list[CheckResult], shown: int = 2) -> str:
    names = ", ".join(f"«{check.title}»" for check in checks[:shown])
    return names + (f" and {len(checks) - shown} more" if len(checks) > shown else "")


def _cause_full(cause: Cause, width: int) -> list[Text]:
    """The first root cause in full: what was sent, what came back, what to do, what else it holds up."""
    check = cause.first
    mark, style = MARKS[check.outcome]
    head = Text()
    head.append(mark + " ", style=style)
    head.append(check.title, style="bold")
    head.append(f"  {_points(check)}", style=style)
    lines = [head]
    if check.message:
        lines.append(Text("  " + check.message, style="red"))
    if check.expected and check.expected not in (check.message or ""):
        lines.append(Text(f"  expected: {_fit(check.expected, 3 * width)}", style="dim"))
    if check.actual and check.actual not in (check.message or ""):
        lines.append(Text(f"  got:      {_fit(check.actual, 3 * width)}", style="dim"))
    if check.request and (note := replay_note(check)):
        lines.append(Text("  " + note, style="dim"))
        lines += [Text(command, style="cyan") for command in check.replay_first]
    if check.request:  # alone on its row: copied, it is one command (the terminal wraps it, not rich)
        lines.append(Text(check.request, style="cyan"))
    if check.response:
        lines.append(Text("  answer: " + _fit(check.response, 2 * width - 12), style="dim"))
    lines.append(Text(f"  hint: {check.hint}", style="italic"))
    if cause.same:
        lines.append(
            Text(f"  The same answer fails {len(cause.same)} more: {_titles(cause.same)}.", style="yellow")
        )
    if cause.held:
        lines.append(
            Text(
                f"  It holds up {_count(len(cause.held))} that need"
                + ("s" if len(cause.held) == 1 else "")
                + f" it: {_titles(cause.held)}.",
                "yellow",
            )
        )
    return lines


def _cause_short(cause: Cause, width: int) -> list[Text]:
    """Two rows: the check and its points; what went wrong and how many checks share it."""
    check = cause.first
    mark, style = MARKS[check.outcome]
    points = _points(check)
    head = Text()
    head.append(mark + " ", style=style)
    head.append(set_cell_size(_fit(check.title, width - 3 - len(points)), width - 3 - len(points)))
    head.append(" " + points, style=style)
    more = len(cause.same) + len(cause.held)
    detail = (check.message or check.outcome) + (f" (+{_count(more)})" if more else "")
    return [head, Text("  " + _fit(detail, width - 2), style="dim")]


def _app_problem(result: GradeResult, command: str) -> list[Text]:
    """The app did not start: the error first, in the learner's own file, then how many checks it cost."""
    if result.app.started or not result.app.problem:
        return [Text(f"Note: {result.app.problem}.", style="yellow")] if result.app.problem else []
    error = app_error(result.app.output_tail, result.submission)
    lines = []
    if error is not None:
        head = f"The app did not start: {error.exception.splitlines()[-1]}"
        if error.where:
            head += f" ({error.where[0]}, line {error.where[1]})"
        lines.append(Text(head, style="bold red"))
        lines.append(Text(f"  {result.app.problem}.", style="dim"))
        lines += [Text(line) for line in error.lines()]
        if error.hidden:
            lines.append(
                Text(
                    f"({_count(error.hidden, 'frame')} of the framework hidden: `{command} --all` shows "
                    "everything the app printed)",
                    style="dim",
                )
            )
    else:
        lines.append(Text(f"The app did not start: {result.app.problem}.", style="bold red"))
        tail = result.app.output_tail.splitlines()[-15:]
        lines.append(Text("Last lines it printed:" if tail else "It printed nothing.", style="dim"))
        lines += [Text(line) for line in tail]
    not_run = [check for check in result.checks if check.outcome == "skipped"]
    if not_run:
        lines.append(Text(f"{_count(len(not_run))} could not run: they need the app.", style="yellow"))
    return lines


def render(
    result: GradeResult,
    console: Console,
    *,
    verbose: bool = False,
    rows: int = SCREEN_ROWS,
    command: str | None = None,
) -> None:
    """The report of one run: score and pass mark, one row per category, then the failures by root cause,
    within `rows` rows of the terminal; `verbose` (--all) prints every check instead."""
    command = command or f"grade {result.lab}"
    result = sanitized(result, terminal_text)  # the app's text never drives the terminal
    if verbose:
        render_all(result, console, verbose=True)
        return
    width = console.width
    if not result.app.started and result.app.problem:  # nothing ran: the error is all there is to read
        lines = _score_lines(result, command) + _app_problem(result, command)
        lines.append(Text(f"Next: fix the error above, then run `{command}` again.", style="italic"))
        for line in lines:
            console.print(line, soft_wrap=True, highlight=False)
        return
    head = _score_lines(result, command) + _app_problem(result, command) + _category_lines(result, width)
    causes, _ = root_causes(result.checks)
    causes.sort(key=lambda cause: not _holds_back(result, cause.first))  # stable: the suite's order
    tail: list[Text] = []
    if causes and result.status != "passed":
        first = causes[0].first
        held = len(causes[0].checks) - 1
        tail.append(
            Text(
                f"Next: make «{first.title}» pass"
                + (f" (it holds up {held} more {'check' if held == 1 else 'checks'})" if held else "")
                + f", then run `{command}` again.",
                style="italic",
            )
        )
    body: list[Text] = []
    if causes:
        budget = rows - sum(_rows(line, width) for line in head + tail) - 2  # the prompt, a "more" line
        failing = sum(len(cause.checks) for cause in causes)
        title = Text(
            f"Failures: {failing} checks, {len(causes)} root cause{'s' if len(causes) > 1 else ''}"
            if failing > len(causes)
            else "Failures",
            style="bold",
        )
        body.append(title)
        budget -= 1
        full = _cause_full(causes[0], width)
        if sum(_rows(line, width) for line in full) > budget:  # too tall: the short form still leads
            full = _cause_short(causes[0], width)
        body += full
        budget -= sum(_rows(line, width) for line in full)
        shown = 1
        for cause in causes[1:]:
            lines = _cause_short(cause, width)
            if budget < len(lines):
                break
            body += lines
            budget -= len(lines)
            shown += 1
        if shown < len(causes):
            rest = sum(len(cause.checks) for cause in causes[shown:])
            body.append(Text(f"… {rest} more checks fail: `{command} --all` shows every check.", style="dim"))
    elif result.checks and all(check.outcome == "passed" for check in result.checks):
        body.append(Text(f"All {len(result.checks)} checks passed.", style="green"))
    for line in head + body + tail:
        console.print(line, soft_wrap=True, highlight=False)
