"""The pytest plugin that turns a hidden suite into checks with points, hints and reasons.

It validates every check's metadata at collection, gives the suite its fixtures (the app, clients,
services, extra instances), enforces per-check and whole-suite time budgets, skips a check whose
prerequisites did not pass, and records one CheckResult per check. Reporting happens elsewhere:
reports are pure functions of the result model.
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest

from grader.checks import CheckFailed
from grader.http import Api, Recorder, as_curl, summarize
from grader.manifest import Manifest
from grader.results import CheckResult
from grader.runners.base import AppStartError, CommandResult, Endpoint, Runner, RunningApp

META = pytest.StashKey["CheckMeta"]()
# Exceptions that mean the suite itself is broken, not the submission: reported as grader errors.
GRADER_BUGS = (NameError, ImportError, SyntaxError, NotImplementedError, RecursionError, pytest.UsageError)


class MainAppStartError(AppStartError):
    """The main instance did not start: every check that needs it is skipped (not an extra instance)."""


class CheckTimeout(BaseException):
    """Raised in the main thread when a check runs over its budget (BaseException: nothing swallows it)."""


@dataclass(frozen=True)
class CheckMeta:
    id: str
    title: str
    category: str
    points: float
    hint: str
    needs: tuple[str, ...]
    budget: float
    extra: bool


class Progress(Protocol):
    def stage(self, text: str) -> None: ...
    def checks_total(self, count: int) -> None: ...
    def check_started(self, meta: CheckMeta) -> None: ...
    def check_done(self, result: CheckResult) -> None: ...


class NullProgress:
    def stage(self, text: str) -> None: ...
    def checks_total(self, count: int) -> None: ...
    def check_started(self, meta: CheckMeta) -> None: ...
    def check_done(self, result: CheckResult) -> None: ...


@dataclass
class GradingSession:
    """Everything the suite may use, prepared by grading.py before pytest starts."""

    manifest: Manifest
    runner: Runner
    submission: Path
    endpoints: list[Endpoint]
    base_env: dict[str, str]
    progress: Progress = field(default_factory=NullProgress)
    start_problem: str | None = (
        None  # the submission could not be made runnable (e.g. its image did not build)
    )
    start_log: str = ""
    replay_base: str | None = None
    only: list[str] | None = None  # check ids or modules to run (with their prerequisites); None: all
    # filled in while the suite runs
    main_app: RunningApp | None = None
    app_problem: str | None = None
    app_log: str = ""
    results: list[CheckResult] = field(default_factory=list)
    collect_errors: list[str] = field(default_factory=list)
    extra_apps: list[RunningApp] = field(default_factory=list)
    app_seconds: float = 0.0  # setup commands and start-up of the main app
    stopped_during: str | None = None  # title of the check during which the main app stopped

    def endpoint(self, kind: str) -> Endpoint:
        for endpoint in self.endpoints:
            if endpoint.kind == kind:
                return endpoint
        raise pytest.UsageError(f"this lab declares no {kind} service (add it to `services` in lab.toml)")


def _module(item: pytest.Item) -> str:
    return Path(str(item.path)).stem.removeprefix("test_")


def _declared_order(config: pytest.Config) -> list[str]:
    """`ORDER = ["resources", "errors", ...]` in the suite's conftest.py: its modules, in report order."""
    conftest = config.rootpath / "conftest.py"
    for plugin in config.pluginmanager.get_plugins():
        if getattr(plugin, "__file__", None) and Path(plugin.__file__) == conftest:
            return list(getattr(plugin, "ORDER", []))
    return []


def _check_id(item: pytest.Item) -> str:
    module = _module(item)
    name = getattr(item, "originalname", item.name).removeprefix("test_")
    return f"{module}::{name}"


def _category(item: pytest.Item) -> str:
    module = getattr(item, "module", None)
    doc = (getattr(module, "__doc__", None) or "").strip()
    return (
        doc.splitlines()[0].strip()
        if doc
        else Path(str(item.path)).stem.removeprefix("test_").replace("_", " ").capitalize()
    )


def _first_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.strip().split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class GraderPlugin:
    """Registered with pytest.main(plugins=[...]) for one grading run."""

    def __init__(self, session: GradingSession) -> None:
        self.s = session
        self.recorder = Recorder()
        self.passed: set[str] = set()
        self.outcomes: dict[str, str] = {}
        self.deadline = 0.0
        self.log_mark = 0
        self.started_at = 0.0
        self.app_was_up = (
            False  # whether the app had started before this check (its start-up is not the check's)
        )

    # -- collection ------------------------------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "check(title, points, hint, needs, budget, extra): a graded check")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.s.collect_errors.append(
                f"{report.nodeid or 'suite'}: {_first_line(str(report.longrepr), 500)}"
            )

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        order = _declared_order(config)
        if order:  # the report follows the contract, not the alphabet; checks keep their order in a module
            items.sort(key=lambda item: order.index(_module(item)) if _module(item) in order else len(order))
        seen: set[str] = set()
        for item in items:
            marker = item.get_closest_marker("check")
            if marker is None:
                self.s.collect_errors.append(f"{item.nodeid}: a test without @check (title, points, hint)")
                continue
            kwargs = marker.kwargs
            check_id = _check_id(item)
            module = check_id.split("::")[0]
            needs = tuple(
                need if "::" in need else f"{module}::{need.removeprefix('test_')}"
                for need in kwargs["needs"]
            )
            for need in needs:
                if need not in seen:
                    self.s.collect_errors.append(f"{check_id} needs {need}, which is not an earlier check")
            if check_id in seen:
                self.s.collect_errors.append(f"{check_id}: two checks with the same id")
            seen.add(check_id)
            item.stash[META] = CheckMeta(
                id=check_id,
                title=kwargs["title"],
                category=_category(item),
                points=float(kwargs["points"]),
                hint=kwargs["hint"],
                needs=needs,
                budget=float(kwargs["budget"] or self.s.manifest.limits.check),
                extra=bool(kwargs["extra"]),
            )
        if self.s.collect_errors:
            items.clear()  # a broken suite grades nothing: grading.py reports a grader error
            return
        if self.s.only is not None:
            kept = self._select(items)
            config.hook.pytest_deselected(items=[item for item in items if item not in kept])
            items[:] = kept
        self.s.progress.checks_total(len(items))

    def _select(self, items: list[pytest.Item]) -> list[pytest.Item]:
        """The checks --only names (an id, or a module for all its checks) and what they need, in order."""
        metas = {item.stash[META].id: item.stash[META] for item in items}
        modules = {check_id.split("::")[0] for check_id in metas}
        wanted: set[str] = set()
        for name in self.s.only or []:
            if name in metas:
                wanted.add(name)
            elif name in modules:
                wanted.update(check_id for check_id in metas if check_id.startswith(name + "::"))
            else:
                close = difflib.get_close_matches(name, [*metas, *modules], n=1)
                self.s.collect_errors.append(
                    f"--only {name}: no such check or module"
                    + (f" (did you mean {close[0]}?)" if close else "")
                )
        pending = list(wanted)
        while pending:  # prerequisites come along: a check runs only after what it needs
            for need in metas[pending.pop()].needs:
                if need not in wanted:
                    wanted.add(need)
                    pending.append(need)
        return [] if self.s.collect_errors else [item for item in items if item.stash[META].id in wanted]

    # -- running ---------------------------------------------------------------------------------
    def pytest_sessionstart(self) -> None:
        self.deadline = time.monotonic() + self.s.manifest.limits.total

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        meta = item.stash[META]
        self.s.progress.check_started(meta)
        self.recorder.clear()
        self.started_at = time.monotonic()
        self.app_was_up = self.s.main_app is not None
        self.log_mark = self.s.main_app.logs.mark() if self.s.main_app else 0
        missing = [need for need in meta.needs if need not in self.passed]
        if missing:
            pytest.skip(f"not run: it needs «{self._title(missing[0])}», which did not pass")
        if time.monotonic() > self.deadline:
            pytest.skip(f"not run: the suite used up its {self.s.manifest.limits.total:g} s")
        if self.s.stopped_during is not None:
            pytest.skip(f"not run: the app stopped during «{self.s.stopped_during}»")

    def _title(self, check_id: str) -> str:
        for result in self.s.results:
            if result.id == check_id:
                return result.title
        return check_id

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        budget = item.stash[META].budget
        armed = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
        if armed:

            def on_alarm(signum: int, frame: object) -> None:
                raise CheckTimeout(f"the check did not finish within its {budget:g} s")

            previous = signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, budget)
        try:
            return (yield)
        finally:
            if armed:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Iterator[pytest.TestReport]:
        report: pytest.TestReport = yield
        meta = item.stash[META]
        done = (call.when == "setup" and not report.passed) or call.when == "call"
        if done and meta.id not in self.outcomes:
            result = self._result(meta, call, report)
            self.outcomes[meta.id] = result.outcome
            if result.outcome == "passed":
                self.passed.add(meta.id)
            self.s.results.append(result)
            self.s.progress.check_done(result)
        return report

    # -- one CheckResult ---------------------------------------------------------------------------
    def _result(self, meta: CheckMeta, call: pytest.CallInfo[None], report: pytest.TestReport) -> CheckResult:
        fields: dict[str, Any] = {}
        if report.passed:
            outcome = "passed"
        elif report.skipped:
            outcome = "skipped"
            fields["message"] = _first_line(
                str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
            )
            fields["message"] = fields["message"].removeprefix("Skipped: ")
        else:
            outcome, fields = self._failure(call.excinfo.value if call.excinfo else None, when=call.when)
        main = self.s.main_app
        if outcome in ("failed", "timeout", "error") and main is not None:
            output, cut = main.logs.since(self.log_mark)
            if output:
                fields["app_output"] = ("…\n" if cut else "") + output
            if not main.alive() and self.s.stopped_during is None:
                self.s.stopped_during = meta.title
                fields["message"] = (
                    fields.get("message") or ""
                ) + f" The app stopped during this check (exit code {main.exit_code})."
        earned = meta.points if outcome == "passed" else 0.0
        return CheckResult(
            id=meta.id,
            title=meta.title,
            category=meta.category,
            points=earned,
            max_points=meta.points,
            extra=meta.extra,
            outcome=outcome,  # type: ignore[arg-type]
            hint=meta.hint,
            duration=round(
                time.monotonic() - self.started_at - (0 if self.app_was_up else self.s.app_seconds), 3
            ),
            **fields,
        )

    def _failure(self, exc: BaseException | None, *, when: str) -> tuple[str, dict[str, Any]]:
        fields: dict[str, Any] = {}
        response = getattr(exc, "response", None) if isinstance(exc, CheckFailed) else None
        exchange = self.recorder.last()
        request = response.request if response is not None else (exchange.request if exchange else None)
        if response is None and exchange is not None:
            response = exchange.response
        if request is not None:
            fields["request"] = as_curl(request, self.s.replay_base)
        if response is not None:
            fields["response"] = summarize(response)
        if isinstance(exc, MainAppStartError):
            self.s.app_problem = self.s.app_problem or exc.reason
            self.s.app_log = self.s.app_log or exc.log_tail
            return "skipped", {"message": "not run: the app did not start"}
        if isinstance(exc, AppStartError):  # another instance a check started itself: that check failed
            fields["message"] = f"another instance of the app did not start: {exc.reason}."
            fields["app_output"] = exc.log_tail[-1500:] or None
            return "failed", fields
        if isinstance(exc, CheckFailed):
            fields.update(message=exc.message, expected=exc.expected, actual=exc.actual)
            return "failed", fields
        if isinstance(exc, CheckTimeout):
            fields["message"] = str(exc)
            return "timeout", fields
        if isinstance(exc, httpx.TimeoutException):
            target = (
                f"{request.method} {request.url.raw_path.decode('ascii', 'replace')}"
                if request
                else "a request"
            )
            fields["message"] = f"{target}: no answer within {self.s.manifest.limits.request:g} s."
            return "timeout", fields
        if isinstance(exc, httpx.TransportError):
            target = (
                f"{request.method} {request.url.raw_path.decode('ascii', 'replace')}"
                if request
                else "a request"
            )
            fields["message"] = (
                f"{target}: the connection failed ({type(exc).__name__}: {_first_line(str(exc), 120)})."
            )
            return "failed", fields
        if isinstance(exc, AssertionError):
            fields["message"] = _first_line(str(exc)) or "an expectation of this check did not hold."
            return "failed", fields
        if exc is not None and isinstance(exc, GRADER_BUGS):
            fields["message"] = (
                f"grader error ({type(exc).__name__}: {_first_line(str(exc), 200)}): please report it."
            )
            return "error", fields
        name = type(exc).__name__ if exc is not None else "unknown failure"
        detail = _first_line(str(exc), 200) if exc is not None else ""
        where = " while preparing the check" if when == "setup" else ""
        fields["message"] = f"unexpected answer{where}: {name}: {detail}".rstrip(": ")
        return "failed", fields

    # -- fixtures ------------------------------------------------------------------------------------
    @pytest.fixture(scope="session")
    def lab(self) -> Manifest:
        return self.s.manifest

    @pytest.fixture(scope="session")
    def submission(self) -> Path:
        return self.s.submission

    @pytest.fixture(scope="session")
    def app_env(self) -> dict[str, str]:
        """Extra variables for the app; a suite's conftest.py overrides this fixture."""
        return {}

    def _env(self, *layers: Mapping[str, str | None]) -> dict[str, str | None]:
        env: dict[str, str | None] = dict(self.s.base_env)
        for layer in layers:
            env.update(layer)
        return env

    @pytest.fixture(scope="session")
    def app(self, app_env: dict[str, str]) -> RunningApp:
        if self.s.start_problem:
            raise MainAppStartError(self.s.start_problem, log_tail=self.s.start_log)
        env = self._env(app_env)
        started = time.monotonic()
        for command in self.s.manifest.app.setup:
            self.s.progress.stage(f"Running {command}")
            result = self.s.runner.run(command, env, timeout=self.s.manifest.limits.startup * 3)
            if not result.ok:
                how = (
                    "ran too long"
                    if result.exit_code is None
                    else f"failed with exit code {result.exit_code}"
                )
                self.s.app_seconds = time.monotonic() - started
                raise MainAppStartError(
                    f"the setup command `{command}` {how}", exit_code=result.exit_code, log_tail=result.output
                )
        self.s.progress.stage("Starting the app")
        try:
            app = self.s.runner.start(env, name="app")
        except AppStartError as exc:
            raise MainAppStartError(exc.reason, exit_code=exc.exit_code, log_tail=exc.log_tail) from None
        finally:
            self.s.app_seconds = time.monotonic() - started
        self.s.main_app = app
        self.log_mark = app.logs.mark()
        self.s.progress.stage("Checking")
        return app

    @pytest.fixture(scope="session")
    def start_app(self, app_env: dict[str, str]) -> Callable[..., RunningApp]:
        started = itertools.count(2)  # failed starts use up their name too: their container may remain

        def start(env: Mapping[str, str | None] | None = None) -> RunningApp:
            instance = self.s.runner.start(self._env(app_env, env or {}), name=f"app-{next(started)}")
            self.s.extra_apps.append(instance)
            return instance

        return start

    @pytest.fixture(scope="session")
    def run_command(self, app_env: dict[str, str]) -> Callable[..., CommandResult]:
        def run(
            name: str, env: Mapping[str, str | None] | None = None, timeout: float | None = None
        ) -> CommandResult:
            command = self.s.manifest.commands.get(name, name)
            return self.s.runner.run(
                command, self._env(app_env, env or {}), timeout=timeout or self.s.manifest.limits.check
            )

        return run

    @pytest.fixture(scope="session")
    def expose(self) -> Callable[[int], str]:
        return self.s.runner.expose

    def _client(self, app: RunningApp) -> Api:
        return Api(app.base_url, recorder=self.recorder, timeout=self.s.manifest.limits.request)

    @pytest.fixture
    def api(self, app: RunningApp) -> Iterator[Api]:
        with self._client(app) as client:
            yield client

    @pytest.fixture
    def new_api(self, app: RunningApp) -> Iterator[Callable[..., Api]]:
        clients: list[Api] = []

        def make(instance: RunningApp | None = None) -> Api:
            client = self._client(instance or app)
            clients.append(client)
            return client

        yield make
        for client in clients:
            client.close()

    @pytest.fixture(scope="session")
    def database_url(self) -> str:
        return self.s.endpoint("postgres").host_url

    @pytest.fixture
    def db(self, database_url: str) -> Iterator[Any]:
        import psycopg

        with psycopg.connect(database_url, autocommit=True, connect_timeout=5) as conn:
            yield conn

    @pytest.fixture(scope="session")
    def redis_url(self) -> str:
        return self.s.endpoint("redis").host_url

    @pytest.fixture
    def redis(self, redis_url: str) -> Iterator[Any]:
        import redis as redis_lib

        client = redis_lib.Redis.from_url(redis_url, decode_responses=True, socket_timeout=5)
        try:
            yield client
        finally:
            client.close()


def run_suite(suite: Path, plugin: GraderPlugin) -> int:
    """Run the hidden suite in this process, silently: what the learner sees comes from the results."""
    args = [
        str(suite),
        "-c",
        str(Path(__file__).with_name("suite.ini")),
        "--rootdir",
        str(suite),
        "--confcutdir",
        str(suite),
        "--import-mode=importlib",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:terminal",
        "-p",
        "no:logging",
        "-p",
        "no:warnings",
        "-p",
        "no:stepwise",
        "--capture=sys",  # fd capture would swallow the live progress display
    ]
    sys.path.insert(0, str(suite))  # suite-local helper modules, importable by name
    try:
        with contextlib.redirect_stdout(_Discard()), contextlib.redirect_stderr(_Discard()):
            return int(pytest.main(args, plugins=[plugin]))
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(str(suite))


class _Discard:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None: ...
