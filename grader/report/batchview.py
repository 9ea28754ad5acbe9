"""What a teacher sees while a batch runs and when it ends: counts, the slowest running, a score table."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from grader.batch import Progress, Row

STATUS_STYLE = {"passed": "green", "failed": "red", "error": "yellow", "timeout": "yellow"}


class BatchProgress:
    """A live line on a terminal; elsewhere (CI, a log) one plain line per finished submission."""

    def __init__(self, console: Console, total: int) -> None:
        self.console = console
        self.total = total
        self.terminal = console.is_terminal
        self.live = Live(Text(""), console=console, transient=True, refresh_per_second=4)
        self._lock = threading.Lock()
        self._printed = 0

    def __enter__(self) -> BatchProgress:
        if self.terminal:
            self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.terminal:
            self.live.stop()

    def line(self, progress: Progress) -> str:
        counts = progress.counts
        text = (
            f"{progress.done}/{progress.total} done · passed {counts['passed']} · "
            f"failed {counts['failed']} · could not grade {counts['error'] + counts['timeout']}"
        )
        if progress.reused:
            text += f" · {progress.reused} already graded"
        slowest = progress.slowest()
        if slowest is not None:
            text += f" · slowest running: {slowest[0]} ({slowest[1]:.0f} s)"
        return text

    def update(self, progress: Progress) -> None:
        with self._lock:
            if self.terminal:
                self.live.update(Text(self.line(progress)))
            elif progress.done > self._printed:
                self._printed = progress.done
                self.console.print(self.line(progress), highlight=False, soft_wrap=True)


def render_batch(rows: list[Row], console: Console, *, limit: int = 40) -> None:
    """The lowest scores first (they need a look), at most `limit` rows; the gradebook has them all."""
    table = Table(title=f"{len(rows)} submissions", title_justify="left")
    for column in ("student", "status", "score", "percent", "seconds", "note"):
        table.add_column(column, justify="right" if column in ("score", "percent", "seconds") else "left")
    ordered = sorted(rows, key=lambda row: (row.graded, row.percent, row.student))
    for row in ordered[:limit]:
        style = STATUS_STYLE.get(row.status, "")
        note = (
            row.reason
            if not row.graded
            else (f"unstable: {', '.join(row.unstable[:3])}" if row.unstable else "")
        )
        table.add_row(
            escape(row.student),
            f"[{style}]{row.status}[/]",
            f"{row.score:g}/{row.max_score:g}" if row.graded else "–",
            f"{row.percent:g}%" if row.graded else "–",
            f"{row.duration:.0f}",
            escape(" ".join(note.split())[:80]),
        )
    console.print(table)
    if len(rows) > limit:
        console.print(f"[dim]… and {len(rows) - limit} more in the gradebook[/]")
