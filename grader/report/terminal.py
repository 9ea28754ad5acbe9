"""What the learner sees: a live progress display while grading, then a table of checks and the score."""

from __future__ import annotations

from itertools import groupby

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
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task = self.bar.add_task(title, total=None)
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
        self.bar.advance(self.task)
        if self.live and result.outcome != "passed":
            mark, style = MARKS[result.outcome]
            self.bar.console.print(f"[{style}]{mark}[/] {escape(result.title)}", highlight=False)


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
    if check.request:
        text.append(f"\nreplay:   {check.request}", style="cyan")
    if check.response:
        text.append(f"\nanswer:   {check.response}", style="dim")
    if check.app_output and verbose:
        text.append("\napp output:\n" + check.app_output, style="dim")
    text.append(f"\nhint: {check.hint}", style="italic")
    return text


def render(result: GradeResult, console: Console, *, verbose: bool = False) -> None:
    """Print the report of one grading run."""
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
    line.append(f" · pass mark {result.pass_mark:g}% · ")
    line.append(verdict[0] + (" (for these checks)" if result.only is not None else ""), style=verdict[1])
    counts = {o: len(result.by_outcome(o)) for o in MARKS if result.by_outcome(o)}  # type: ignore[arg-type]
    line.append("  (" + ", ".join(f"{n} {o}" for o, n in counts.items()) + ")", style="dim")
    console.print(line)
    first = next((c for c in result.checks if c.outcome in ("failed", "timeout")), None)
    if first is not None and result.status != "passed":
        console.print(Text(f"Next: {first.title}. {first.hint}", style="italic"))
