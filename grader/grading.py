"""One grading run: lab manifest -> runner -> services -> suite -> result.

result = grade(lab, submission, runner="local")
result.exit_code  # 0 passed, 1 failed, 2 the grader could not grade
"""

from __future__ import annotations

import os
import platform
import re
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from grader import __version__
from grader.errors import GraderError
from grader.labs import Lab, submission_file
from grader.manifest import AppSection, ProcessSection, load_app_override, load_process_overrides
from grader.plugin import GraderPlugin, GradingSession, NullProgress, Progress, run_suite
from grader.results import AppInfo, CategoryScore, CheckResult, GradeResult, Versions, percent, total
from grader.runners.base import Endpoint, Runner, SubmissionError
from grader.state import last_result


def docker_status() -> tuple[bool, str]:
    """Whether a Docker engine answers here, and a short reason either way."""
    try:
        import docker
        from docker.errors import DockerException
    except ImportError:
        return False, "the docker Python package is not installed"
    try:
        client = docker.from_env(timeout=3)
        version = client.version().get("Version", "?")
        client.close()
        return True, f"Docker engine {version}"
    except DockerException as exc:
        if _permission_denied(exc):  # an engine is there; this user may not talk to it
            host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock").removeprefix("unix://")
            return False, (
                f"permission denied on {host}: add yourself to the docker group "
                "(sudo usermod -aG docker $USER, then log in again), or use --runner local"
            )
        reason = str(exc).split("(")[0].strip() or type(exc).__name__
        return False, f"no Docker engine answers ({reason})"


def _permission_denied(exc: BaseException) -> bool:
    """Whether a PermissionError is anywhere in the chain (requests and urllib3 wrap it twice)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, PermissionError) or "Permission denied" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def make_runner(name: str, lab: Lab, run_id: str) -> Runner:
    if name == "local":
        from grader.runners.local import LocalRunner

        return LocalRunner(lab.manifest, run_id=run_id, hide=(lab.root,))
    if name == "docker":
        from grader.runners.docker import DockerRunner

        return DockerRunner(lab.manifest, run_id=run_id)
    raise GraderError(f"There is no runner called {name!r}.", "Use --runner docker or --runner local.")


def choose_runner(requested: str) -> tuple[str, str | None]:
    """`auto` is docker where an engine answers, else local (with a one-line note saying why)."""
    if requested != "auto":
        if requested == "docker":
            ok, reason = docker_status()
            if not ok:
                raise GraderError(
                    f"--runner docker was asked for, but {reason}.",
                    "Start Docker, or grade with --runner local.",
                )
        return requested, None
    ok, reason = docker_status()
    if ok:
        return "docker", None
    return "local", f"Grading with the local runner: {reason}."


def app_section_for(lab: Lab, submission: Path) -> AppSection:
    """How to start the submission: its own lab.toml may change the command, port and probe (another
    framework starts differently); the contract (env, setup, limits, pass mark) always comes from the kit."""
    own = submission_file(submission, "lab.toml")
    override = load_app_override(own) if own is not None else None
    if override is None:
        return lab.manifest.app
    return lab.manifest.app.model_copy(
        update={"command": override.command, "port": override.port, "ready": override.ready}
    )


def processes_for(lab: Lab, submission: Path) -> dict[str, ProcessSection]:
    """The lab's [processes]: the submission's own lab.toml may change how each one starts (its command,
    port, probe, settle time), like the app's; never which processes run, nor their variables."""
    own = submission_file(submission, "lab.toml")
    overrides = load_process_overrides(own) if own is not None else {}
    processes = dict(lab.manifest.processes)
    for name, override in overrides.items():
        if name in processes:
            processes[name] = processes[name].model_copy(
                update=override.model_dump(include={"command", "port", "ready", "settle"})
            )
    return processes


def base_env(lab: Lab, endpoints: list[Endpoint]) -> dict[str, str]:
    env = dict(lab.manifest.app.env)
    for endpoint in endpoints:
        env[endpoint.variable] = endpoint.app_url
    return env


def grade(
    lab: Lab,
    submission: Path,
    *,
    runner: str = "local",
    suites: Path | None = None,
    progress: Progress | None = None,
    notes: list[str] | None = None,
    only: list[str] | None = None,
    jobs: int | None = None,
) -> GradeResult:
    """Grade `submission` against the lab's hidden suite. GraderError when it cannot grade at all."""
    progress = progress or NullProgress()
    submission = submission.resolve()
    if not submission.is_dir():
        raise GraderError(
            f"{submission} is not a folder.", "Give the folder of a lab (the one with app/ in it)."
        )
    suite = lab.suite(suites)
    app_section = app_section_for(lab, submission)
    processes = processes_for(lab, submission)
    started_at = datetime.now(UTC)
    started = time.monotonic()
    run_id = os.environ.get("GRADE_RUN_ID") or secrets.token_hex(
        4
    )  # set by the kit's tests to find leftovers
    timings: dict[str, float] = {}
    active = make_runner(runner, lab, run_id)
    if isinstance(hide := getattr(active, "hide", None), list):
        hide.append(suite)  # a teacher's suites are as secret as the kit's
    try:
        start_problem, start_log = None, ""
        progress.stage("Preparing the submission" if runner == "local" else "Building the image")
        mark = time.monotonic()
        try:
            active.prepare(submission, app_section)
        except SubmissionError as exc:
            start_problem, start_log = exc.reason, exc.log_tail
        timings["prepare"] = time.monotonic() - mark
        for note in getattr(active, "notes", []):
            (notes if notes is not None else []).append(note)
        endpoints = []
        mark = time.monotonic()
        if lab.manifest.services and start_problem is None:
            progress.stage("Starting " + " and ".join(lab.manifest.services))
            endpoints = active.start_services(list(lab.manifest.services), f"{lab.id}_{run_id}")
        timings["services"] = time.monotonic() - mark
        session = GradingSession(
            manifest=lab.manifest.model_copy(update={"app": app_section, "processes": processes}),
            runner=active,
            submission=submission,
            endpoints=endpoints,
            base_env=base_env(lab, endpoints),
            progress=progress,
            start_problem=start_problem,
            start_log=start_log,
            replay_base=f"http://localhost:{app_section.port}",
            only=only,
        )
        if jobs is not None:
            session.jobs = jobs
        session.module_seconds = last_module_seconds(lab.manifest.id)
        plugin = GraderPlugin(session)
        mark = time.monotonic()
        code = run_suite(suite, plugin)
        timings["app"] = session.app_seconds
        timings["suite"] = time.monotonic() - mark - session.app_seconds
        progress.stage("Cleaning up")
    finally:
        mark = time.monotonic()
        active.close()
        timings["cleanup"] = time.monotonic() - mark
    if code == pytest.ExitCode.INTERRUPTED and not session.collect_errors:
        raise KeyboardInterrupt  # Ctrl-C during the suite: everything is cleaned up, nothing to report
    result = _result(lab, submission, runner, session, code, started_at, time.monotonic() - started)
    _map_back(result, _copy_root(active, submission), submission)
    result.timings = {name: round(seconds, 3) for name, seconds in timings.items()}
    result.only = only
    return result


def _copy_root(active: Runner, submission: Path) -> str | None:
    """Where the app ran from: the local runner's copy, or the image's last WORKDIR in the Dockerfile."""
    if (appdir := getattr(active, "appdir", None)) is not None:
        return str(appdir)
    path = submission / "Dockerfile"
    try:
        if path.is_symlink():  # a submission's link is never followed (it could lead anywhere as root)
            return None
        dockerfile = path.read_text(encoding="utf-8", errors="replace")[:100_000]
    except OSError:
        return None
    workdirs = re.findall(r"^\s*WORKDIR\s+(/\S+)\s*$", dockerfile, flags=re.MULTILINE | re.IGNORECASE)
    return workdirs[-1].rstrip("/") if workdirs else None


def _map_back(result: GradeResult, copy: str | None, submission: Path) -> None:
    """Tracebacks name the learner's own files, not the temporary copy (or the image) the app ran from."""
    if not copy or copy == "/":
        return
    pattern = re.compile(r'(File ")' + re.escape(copy.rstrip("/")) + "/")
    target = str(submission) + "/"

    def mapped(text: str | None) -> str | None:
        return pattern.sub(lambda found: found.group(1) + target, text) if text else text

    result.app.output_tail = mapped(result.app.output_tail) or ""
    for check in result.checks:
        check.app_output = mapped(check.app_output)


def categories_of(lab: Lab, checks: list[CheckResult]) -> list[CategoryScore]:
    """Required points per category (suite module), in report order, with the manifest's minimums."""
    modules: dict[str, list[CheckResult]] = {}
    for check in checks:
        modules.setdefault(check.id.split("::")[0], []).append(check)
    categories = []
    for module, members in modules.items():
        score, maximum = total(members)
        if not maximum:
            continue  # only extra credit: no minimum can apply
        categories.append(
            CategoryScore(
                name=members[0].category,
                module=module,
                score=score,
                max_score=maximum,
                percent=percent(score, maximum),
                minimum=lab.manifest.minimum_for(module),
            )
        )
    return categories


def _result(
    lab: Lab,
    submission: Path,
    runner: str,
    session: GradingSession,
    code: int,
    started_at: datetime,
    duration: float,
) -> GradeResult:
    checks: list[CheckResult] = session.results
    score, maximum = total(checks)
    extra_score, extra_max = total(checks, extra=True)
    categories = categories_of(lab, checks)
    held_back = [category.name for category in categories if category.holds_back]
    error = None
    if session.collect_errors:
        error = "The hidden suite could not be loaded: " + "; ".join(session.collect_errors[:3])
        if session.only is not None and all(e.startswith("--only ") for e in session.collect_errors):
            error = "; ".join(session.collect_errors[:3]) + "."
    elif code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERRUPTED):
        error = f"pytest stopped with exit code {int(code)} while running the suite."
    elif not checks:
        error = "The hidden suite has no checks."
    elif any(check.outcome == "error" for check in checks):
        error = "The grader failed on some checks (marked error): their verdict is not the submission's."
    ratio = percent(score, maximum)
    if error:
        status = "error"
    else:
        passed = bool(maximum) and ratio >= lab.manifest.pass_mark and not held_back
        status = "passed" if passed else "failed"
    main = session.main_app
    if main is not None:
        tail, cut = main.logs.tail(40)
        app = AppInfo(
            started=True,
            startup_seconds=round(main.startup_seconds, 3),
            output_tail=tail,
            output_truncated=cut,
            problem="; ".join(
                [f"the app stopped during «{session.stopped_during}»"] * bool(session.stopped_during)
                + session.process_problems
            )
            or None,
        )
    else:
        problem = session.start_problem or session.app_problem
        app = AppInfo(started=False, problem=problem, output_tail=session.start_log or session.app_log)
    return GradeResult(
        lab=lab.id,
        lab_title=lab.manifest.title,
        submission=str(submission),
        runner=runner,
        status=status,
        score=score,
        max_score=maximum,
        percent=ratio,
        extra_score=extra_score,
        extra_max_score=extra_max,
        pass_mark=lab.manifest.pass_mark,
        categories=categories,
        held_back_by=held_back,
        started_at=started_at,
        duration=round(duration, 3),
        app=app,
        checks=checks,
        error=error,
        versions=Versions(
            grader=__version__,
            python=platform.python_version(),
            pytest=pytest.__version__,
            platform=platform.platform(terse=True),
        ),
    )


def last_module_seconds(lab_id: str) -> dict[str, float]:
    """Seconds each module's checks took in the lab's last grade on this machine (none: empty)."""
    previous = last_result(lab_id)
    seconds: dict[str, float] = {}
    for result in previous.checks if previous else []:
        module = result.id.split("::")[0]
        seconds[module] = seconds.get(module, 0.0) + result.duration
    return seconds
