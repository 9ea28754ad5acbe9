"""The pytest plugin that turns a hidden suite into checks with points, hints and reasons.

It validates every check's metadata at collection, gives the suite its fixtures (the app, clients,
services, extra instances), runs independent modules side by side (checks that declare `alone=True`
run by themselves afterwards), enforces per-check and whole-suite time budgets with deadlines and a
watchdog, skips a check whose prerequisites did not pass, and records one CheckResult per check in the
suite's order. Reporting happens elsewhere: reports are pure functions of the result model.
"""

from __future__ import annotations

import ast
import contextlib
import ctypes
import difflib
import itertools
import os
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
from _pytest.runner import SetupState, runtestprotocol

from grader import deadline
from grader.checks import CheckFailed, SetupFailed
from grader.http import Api, Recorder, ResponseTooLarge, as_curl, prior_requests, summarize
from grader.manifest import Manifest
from grader.pgproxy import PgProxy
from grader.results import CheckResult, Outcome
from grader.runners.base import (
    AppStartError,
    CommandResult,
    Endpoint,
    ProcessHandle,
    ProcessStartError,
    Runner,
    RunningApp,
)

META = pytest.StashKey["CheckMeta"]()
RUN = pytest.StashKey["CheckRun"]()
# Exceptions that mean the suite itself is broken, not the submission: reported as grader errors.
GRADER_BUGS = (NameError, ImportError, SyntaxError, NotImplementedError, RecursionError, pytest.UsageError)
GRACE = 3.0  # seconds a check may take to unwind after its budget before the watchdog gives up on it


def _serialise_ast_parse() -> None:
    """CPython before 3.12.5 keeps the AST converter's recursion depth in state shared by threads
    (gh-106905): two checks failing at once, whose tracebacks pytest and `traceback` format with
    `ast.parse`, could raise "SystemError: AST constructor recursion depth mismatch" and turn a
    learner's failed check into a grader error. One lock around `ast.parse` closes that."""
    if getattr(ast.parse, "_grader_locked", False):
        return
    lock = threading.RLock()
    parse = ast.parse

    def locked_parse(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return parse(*args, **kwargs)

    locked_parse._grader_locked = True  # type: ignore[attr-defined]
    ast.parse = locked_parse


_serialise_ast_parse()


class MainAppStartError(AppStartError):
    """The main instance did not start: every check that needs it is skipped (not an extra instance)."""


class CheckTimeout(BaseException):
    """Raised in a check's thread when it runs over its budget (BaseException: nothing swallows it)."""


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
    rules: tuple[str, ...] = ()
    alone: bool = False
    index: int = 0  # position in the suite's order: the report's order, whatever finished first

    @property
    def module(self) -> str:
        return self.id.split("::")[0]


@dataclass
class CheckRun:
    """One check while it runs: its own recorder, clock, log window and thread."""

    meta: CheckMeta
    recorder: Recorder = field(default_factory=Recorder)
    started_at: float = 0.0
    call_deadline: float | None = None  # while the check's own code runs: the watchdog's cue
    budget_end: float = float("inf")  # when its budget ends (kept after the call, for the report)
    log_mark: int = 0
    process_marks: dict[str, int] = field(default_factory=dict)  # the same, for each declared process
    app_was_up: bool = False
    overlapped: bool = False  # other checks ran at the same time (its app output may hold theirs)
    thread_id: int | None = None
    interrupted: bool = False
    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)  # the watchdog and the check's end


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


def default_jobs() -> int:
    """Checks mostly wait on the app: twice the cores, at least 2, at most 8."""
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


class Processes(dict[str, ProcessHandle]):
    """The manifest's [processes] by name; a name it does not declare is the suite's mistake."""

    def __missing__(self, name: str) -> ProcessHandle:
        raise pytest.UsageError(
            f"the manifest declares no process {name!r} (add [processes.{name}] to lab.toml)"
        )


@dataclass
class GradingSession:
    """Everything the suite may use, prepared by grading.py before pytest starts."""

    manifest: Manifest
    runner: Runner | None  # None while only listing the suite's checks
    submission: Path
    endpoints: list[Endpoint]
    base_env: dict[str, str]
    progress: Progress = field(default_factory=NullProgress)
    start_problem: str | None = None  # the submission could not be made runnable (its image did not build)
    start_log: str = ""
    replay_base: str | None = None
    only: list[str] | None = None  # check ids or modules to run (with their prerequisites); None: all
    jobs: int = field(default_factory=default_jobs)  # checks run side by side at most
    # seconds each module's checks took in this lab's last grade: the longest modules start first
    module_seconds: dict[str, float] = field(default_factory=dict)
    # filled in while the suite runs
    catalog: list[CheckMeta] = field(default_factory=list)
    main_app: RunningApp | None = None
    app_problem: str | None = None
    app_log: str = ""
    results: list[CheckResult] = field(default_factory=list)
    collect_errors: list[str] = field(default_factory=list)
    extra_apps: list[RunningApp] = field(default_factory=list)
    processes: Processes = field(default_factory=Processes)  # [processes.<name>], once started
    process_problems: list[str] = field(default_factory=list)  # processes that ended on their own
    app_seconds: float = 0.0  # setup commands and start-up of the main app
    stopped_during: str | None = None  # title of the check during which the main app stopped
    interrupted: bool = False

    def endpoint(self, kind: str) -> Endpoint:
        for endpoint in self.endpoints:
            if endpoint.kind == kind:
                return endpoint
        raise pytest.UsageError(f"this lab declares no {kind} service (add it to `services` in lab.toml)")

    def need_runner(self) -> Runner:
        if self.runner is None:
            raise pytest.UsageError("no runner: the suite is only being listed")
        return self.runner


def longest_first(units: list[list[pytest.Item]], seconds: dict[str, float]) -> list[list[pytest.Item]]:
    """Modules in the order they start side by side: the longest (as last time) first, so the last one
    to start is a short one and the run ends sooner; a module whose checks need another module's
    checks never starts before that module (it would hold a worker while it waits). Modules never timed
    keep the suite's order after the timed ones' places."""

    def module(unit: list[pytest.Item]) -> str:
        return str(unit[0].stash[META].module)

    names = {module(unit) for unit in units}
    owner = {item.stash[META].id: module(unit) for unit in units for item in unit}
    needs = {
        module(unit): {owner[need] for item in unit for need in item.stash[META].needs if need in owner}
        - {module(unit)}
        for unit in units
    }
    pending = sorted(units, key=lambda unit: -seconds.get(module(unit), 0.0))  # stable: ties keep order
    started: set[str] = set()
    order: list[list[pytest.Item]] = []
    while pending:
        ready = next(
            (unit for unit in pending if needs[module(unit)] & names <= started),
            pending[0],  # a cycle of needs (not expected): the suite's order decides
        )
        pending.remove(ready)
        started.add(module(ready))
        order.append(ready)
    return order


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


def _grader_error(exc: BaseException) -> str:
    return f"grader error ({type(exc).__name__}: {_first_line(str(exc), 200)}): please report it."


def _target(request: httpx.Request | None) -> str:
    if request is None:
        return "a request"
    return f"{request.method} {request.url.raw_path.decode('ascii', 'replace')}"


class _ThreadSetupState:
    """pytest's SetupState, one per thread: each worker walks its own module chain. Finalizers of the
    session node are kept for the end of the session, whichever thread registered them, so a worker
    finishing its module never tears down what other workers still use."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self.session_finalizers: list[Callable[[], object]] = []

    def _state(self) -> SetupState:
        state = getattr(self._local, "state", None)
        if state is None:
            state = self._local.state = SetupState()
        return state

    def __getattr__(self, name: str) -> Any:  # whatever else pytest asks of its SetupState
        return getattr(self._state(), name)

    def setup(self, item: pytest.Item) -> None:
        self._state().setup(item)

    def addfinalizer(self, finalizer: Callable[[], object], node: pytest.Item | Any) -> None:
        if isinstance(node, pytest.Session):
            with self._lock:
                self.session_finalizers.append(finalizer)
            return
        self._state().addfinalizer(finalizer, node)

    def teardown_exact(self, nextitem: pytest.Item | None) -> None:
        state = self._state()
        if nextitem is not None:
            state.teardown_exact(nextitem)
            return
        # the end of this worker's unit: tear down all but the session, which outlives every worker
        for node in reversed(list(state.stack)):
            finalizers, _ = state.stack.pop(node)
            if isinstance(node, pytest.Session):
                continue
            while finalizers:
                with contextlib.suppress(Exception):
                    finalizers.pop()()

    def forget_thread(self) -> None:
        self._local.state = None

    def finish_session(self) -> None:
        errors: list[BaseException] = []
        with self._lock:
            finalizers, self.session_finalizers = self.session_finalizers, []
        for finalizer in reversed(finalizers):
            try:
                finalizer()
            except Exception as exc:  # noqa: BLE001 - every finalizer runs; the first error is reported
                errors.append(exc)
        if errors:
            raise errors[0]


class _PerCheck:
    """A FixtureDef attribute that pytest keeps on the shared FixtureDef (the cached value, the
    finalizers) made per thread for function-scoped fixtures: two checks running side by side each
    get their own `api`, their own test data. Other scopes keep pytest's own storage."""

    def __init__(self, name: str, default: Callable[[], Any]) -> None:
        self.name = name
        self.default = default

    def _local(self, fixturedef: Any) -> threading.local | None:
        scope = fixturedef.__dict__.get("_scope")
        if getattr(scope, "value", scope) != "function":
            return None
        local: threading.local = fixturedef.__dict__.setdefault("_grader_local", threading.local())
        return local

    def __get__(self, fixturedef: Any, owner: type | None = None) -> Any:
        if fixturedef is None:
            return self
        local = self._local(fixturedef)
        if local is None:
            return fixturedef.__dict__.get(self.name, self.default())
        if not hasattr(local, self.name):
            setattr(local, self.name, self.default())
        return getattr(local, self.name)

    def __set__(self, fixturedef: Any, value: Any) -> None:
        local = self._local(fixturedef)
        if local is None:
            fixturedef.__dict__[self.name] = value
        else:
            setattr(local, self.name, value)


_plain_execute = pytest.FixtureDef.execute


def _execute_once(self: pytest.FixtureDef[Any], request: Any) -> Any:
    """FixtureDef.execute, with session and module fixtures computed once even when two checks ask
    for them at the same moment (the cache check and the computation are one step under a lock)."""
    if self.scope == "function":
        return _plain_execute(self, request)
    lock = self.__dict__.setdefault("_grader_lock", threading.RLock())
    with lock:
        return _plain_execute(self, request)


def _thread_safe_fixtures() -> None:
    """Make pytest's fixtures safe for checks on several threads (pytest itself runs tests one by one).
    tests/test_plugin.py proves it on the pinned pytest: a change of its internals fails there."""
    if pytest.FixtureDef.execute is _execute_once:
        return
    pytest.FixtureDef.cached_result = _PerCheck("cached_result", lambda: None)  # type: ignore[assignment,misc]
    pytest.FixtureDef._finalizers = _PerCheck("_finalizers", list)  # type: ignore[assignment,misc]
    pytest.FixtureDef.execute = _execute_once  # type: ignore[method-assign]


def _raise_in(thread_id: int, exc_type: type[BaseException]) -> None:
    """Make `exc_type` appear in another thread at its next bytecode: how a check is stopped."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exc_type))


class GraderPlugin:
    """Registered with pytest.main(plugins=[...]) for one grading run."""

    def __init__(self, session: GradingSession) -> None:
        self.s = session
        self.passed: set[str] = set()
        self.outcomes: dict[str, str] = {}
        self.runs: dict[str, CheckRun] = {}
        self.deadline = 0.0
        self._lock = threading.RLock()
        self._active: set[str] = set()
        self._setup_state: _ThreadSetupState | None = None
        self._stopping = False  # interrupted, or out of time: workers take no new check

    # -- collection ------------------------------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line(
            "markers", "check(title, points, hint, needs, budget, extra, rules, alone): a graded check"
        )

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
        for index, item in enumerate(items):
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
                rules=tuple(kwargs.get("rules", ())),
                alone=bool(kwargs.get("alone", False)),
                index=index,
            )
        if self.s.collect_errors:
            items.clear()  # a broken suite grades nothing: grading.py reports a grader error
            return
        self.s.catalog = [item.stash[META] for item in items]
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
                    + (
                        f" (did you mean {close[0]}?)"
                        if close
                        else f" (modules: {', '.join(sorted(modules))})"
                    )
                )
        pending = list(wanted)
        while pending:  # prerequisites come along: a check runs only after what it needs
            for need in metas[pending.pop()].needs:
                if need not in wanted:
                    wanted.add(need)
                    pending.append(need)
        return [] if self.s.collect_errors else [item for item in items if item.stash[META].id in wanted]

    # -- scheduling ------------------------------------------------------------------------------
    def pytest_sessionstart(self) -> None:
        self.deadline = time.monotonic() + self.s.manifest.limits.total

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        """Run modules side by side on worker threads, then the checks that must run alone, one by one.

        A module's checks run in order on one thread (so module fixtures and `needs` within a module
        behave as in plain pytest); `needs` across modules wait for the check they name. The main
        thread is the watchdog: a check over its budget is interrupted, and one that does not unwind
        within GRACE seconds is given up (reported as a timeout; the rest of its module goes on)."""
        if session.config.option.collectonly or not session.items:
            return True
        for item in session.items:
            self.runs[item.stash[META].id] = CheckRun(item.stash[META])
        self._setup_state = _ThreadSetupState()
        session._setupstate = self._setup_state  # type: ignore[assignment]
        _thread_safe_fixtures()
        together, later = self._phases(session.items)
        try:
            self._run_side_by_side(longest_first(together, self.s.module_seconds))
            self._run_side_by_side([[item] for item in later], jobs=1)
        except KeyboardInterrupt:
            self.s.interrupted = self._stopping = True
            raise
        finally:
            self.s.results.sort(key=lambda result: self.runs[result.id].meta.index)
        return True

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        for handle in self.s.processes.values():  # ended after the last check that could see it
            if (report := handle.crash_report()) is not None:
                self.s.process_problems.append(
                    f"{handle.label} stopped after the last check (exit code {report[0]})"
                )
        if self._setup_state is not None:
            with contextlib.suppress(Exception):
                self._setup_state.finish_session()
            session._setupstate = SetupState()  # what pytest's own sessionfinish tears down: nothing left

    def _phases(self, items: list[pytest.Item]) -> tuple[list[list[pytest.Item]], list[pytest.Item]]:
        """Modules that run side by side, and the checks that run alone afterwards (with what needs them)."""
        late: set[str] = set()
        for item in items:
            meta = item.stash[META]
            if meta.alone or any(need in late for need in meta.needs):
                late.add(meta.id)
        units: dict[str, list[pytest.Item]] = {}
        later: list[pytest.Item] = []
        for item in items:
            meta = item.stash[META]
            if meta.id in late:
                later.append(item)
            else:
                units.setdefault(meta.module, []).append(item)
        return list(units.values()), later

    def _run_side_by_side(self, units: list[list[pytest.Item]], jobs: int | None = None) -> None:
        jobs = max(1, jobs or self.s.jobs)
        pending = list(units)
        workers: list[threading.Thread] = []
        names = itertools.count()
        while pending or workers:
            while pending and len(workers) < jobs and not self._stopping:
                thread = threading.Thread(
                    target=self._run_unit, args=(pending.pop(0),), name=f"check-{next(names)}", daemon=True
                )
                workers.append(thread)
                thread.start()
            workers = [thread for thread in workers if thread.is_alive()]
            self._watch()
            if self._stopping and not workers:
                break
            if time.monotonic() > self.deadline + GRACE:  # a check that ignores every bound: give up
                self._stopping = True
                self._give_up_all(f"not run: the suite used up its {self.s.manifest.limits.total:g} s")
                return
            time.sleep(0.02)

    def _watch(self) -> None:
        """Interrupt checks over their budget; report those that do not unwind as timeouts."""
        now = time.monotonic()
        with self._lock:
            running = [self.runs[check_id] for check_id in self._active]
        for run in running:
            with run.lock:
                if run.call_deadline is None or run.thread_id is None:
                    continue
                if not run.interrupted and now > run.call_deadline:
                    run.interrupted = True
                    _raise_in(run.thread_id, CheckTimeout)
                elif run.interrupted and now > run.call_deadline + GRACE:
                    message = f"the check did not finish within its {run.meta.budget:g} s"
                    self._record_unrun(run.meta, message + " (it was stopped)", outcome="timeout")

    def _give_up_all(self, message: str) -> None:
        for run in self.runs.values():
            if run.meta.id not in self.outcomes:
                self._record_unrun(run.meta, message)

    def _run_unit(self, unit: list[pytest.Item]) -> None:
        """One module's checks, in order, on this thread."""
        try:
            for position, item in enumerate(unit):
                nextitem = unit[position + 1] if position + 1 < len(unit) else None
                meta = item.stash[META]
                if self.s.interrupted or self._stopping:
                    return
                if time.monotonic() > self.deadline:
                    self._record_unrun(
                        meta, f"not run: the suite used up its {self.s.manifest.limits.total:g} s"
                    )
                    continue
                self._wait_for_needs(meta)
                try:
                    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
                    runtestprotocol(item, nextitem=nextitem, log=True)
                    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
                except CheckTimeout:  # landed outside the check's own code (in a teardown): go on
                    self._record_unrun(meta, "the check did not finish within its budget", outcome="timeout")
                    if self._setup_state is not None:
                        self._setup_state.forget_thread()
                except Exception as exc:  # noqa: BLE001 - the grader failed around the check: say so, go on
                    if self.runs[meta.id].interrupted:  # the watchdog's interrupt landed in library code
                        message = f"the check did not finish within its {meta.budget:g} s (it was stopped)"
                        self._record_unrun(meta, message, outcome="timeout")
                    else:
                        self._record_unrun(meta, _grader_error(exc), outcome="error")
                    if self._setup_state is not None:
                        self._setup_state.forget_thread()
        finally:
            if self._setup_state is not None:
                with contextlib.suppress(Exception):
                    self._setup_state.teardown_exact(None)
                self._setup_state.forget_thread()

    def _wait_for_needs(self, meta: CheckMeta) -> None:
        for need in meta.needs:
            run = self.runs.get(need)
            if run is not None:
                run.done.wait(timeout=max(0.0, self.deadline - time.monotonic()))

    def _record_unrun(self, meta: CheckMeta, message: str, outcome: Outcome = "skipped") -> None:
        result = CheckResult(
            id=meta.id,
            title=meta.title,
            category=meta.category,
            points=0.0,
            max_points=meta.points,
            extra=meta.extra,
            outcome=outcome,
            message=message,
            hint=meta.hint,
            rules=list(meta.rules),
            duration=0.0,
        )
        self._finish(meta, result)

    def _finish(self, meta: CheckMeta, result: CheckResult) -> None:
        with self._lock:
            if meta.id in self.outcomes:
                return
            self.outcomes[meta.id] = result.outcome
            if result.outcome == "passed":
                self.passed.add(meta.id)
            self.s.results.append(result)
            self._active.discard(meta.id)
        self.runs[meta.id].done.set()
        self.s.progress.check_done(result)

    # -- one check -------------------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        meta = item.stash[META]
        run = self.runs.get(meta.id) or self.runs.setdefault(meta.id, CheckRun(meta))
        item.stash[RUN] = run
        self.s.progress.check_started(meta)
        run.started_at = time.monotonic()
        run.thread_id = threading.get_ident()
        run.app_was_up = self.s.main_app is not None
        run.log_mark = self.s.main_app.logs.mark() if self.s.main_app else 0
        run.process_marks = {name: handle.logs.mark() for name, handle in self.s.processes.items()}
        with self._lock:
            if self._active:
                run.overlapped = True
                for other in self._active:
                    self.runs[other].overlapped = True
            self._active.add(meta.id)
        missing = [need for need in meta.needs if need not in self.passed]
        if missing:
            pytest.skip(f"not run: it needs «{self._title(missing[0])}», which did not pass")
        if time.monotonic() > self.deadline:
            pytest.skip(f"not run: the suite used up its {self.s.manifest.limits.total:g} s")
        if self.s.stopped_during is not None:
            pytest.skip(f"not run: the app stopped during «{self.s.stopped_during}»")

    def _title(self, check_id: str) -> str:
        run = self.runs.get(check_id)
        return run.meta.title if run else check_id

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        run = item.stash[RUN]
        budget = run.meta.budget
        with deadline.within(budget):
            if run.app_was_up is False and self.s.main_app is not None:
                run.app_was_up = True  # started by this check's fixtures: its start-up is not the check's
                run.started_at = time.monotonic()
            run.call_deadline = run.budget_end = time.monotonic() + budget
            try:
                return (yield)
            finally:
                with run.lock:  # after this, the watchdog can no longer interrupt the check
                    run.call_deadline = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        meta = item.stash[META]
        done = (call.when == "setup" and not report.passed) or call.when == "call"
        if done and meta.id not in self.outcomes:
            self._finish(meta, self._result(item.stash[RUN], call, report))
        return report

    # -- one CheckResult ---------------------------------------------------------------------------
    def _result(self, run: CheckRun, call: pytest.CallInfo[None], report: pytest.TestReport) -> CheckResult:
        meta = run.meta
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
            exc = call.excinfo.value if call.excinfo else None
            if run.interrupted and not isinstance(exc, CheckFailed):
                exc = CheckTimeout()
            outcome, fields = self._failure(run, exc, when=call.when)
        main = self.s.main_app
        if outcome in ("failed", "timeout", "error") and main is not None:
            output, cut = main.logs.since(run.log_mark)
            if output and not fields.get("app_output"):  # another instance's own output comes first
                fields["app_output"] = ("…\n" if cut else "") + output
                if run.overlapped:
                    fields["app_output"] = (
                        "(other checks ran at the same time: some of these lines may be theirs)\n"
                        + fields["app_output"]
                    )
            if not main.alive():
                with self._lock:
                    first = self.s.stopped_during is None
                    if first:
                        self.s.stopped_during = meta.title
                if first:
                    fields["message"] = (
                        fields.get("message") or ""
                    ) + f" The app stopped during this check (exit code {main.exit_code})."
        self._process_outputs(run, outcome, fields)
        earned = meta.points if outcome == "passed" else 0.0
        started = run.started_at or time.monotonic()
        return CheckResult(
            id=meta.id,
            title=meta.title,
            category=meta.category,
            points=earned,
            max_points=meta.points,
            extra=meta.extra,
            outcome=outcome,
            hint=fields.pop("hint", None) or meta.hint,  # SetupFailed gives its own hint
            rules=list(meta.rules),
            duration=round(time.monotonic() - started - (0 if run.app_was_up else self.s.app_seconds), 3),
            **fields,
        )

    def _process_outputs(self, run: CheckRun, outcome: str, fields: dict[str, Any]) -> None:
        """A declared process that ended on its own is reported once, by the check it ended in, with the
        last lines it printed (a failed check also shows what each process printed while it ran); the
        checks that fail while it stays down say so."""
        failed = outcome in ("failed", "timeout", "error")
        notes: list[str] = []
        outputs: list[str] = []
        for name, handle in self.s.processes.items():
            report = handle.crash_report()
            if report is not None:
                code, tail = report
                # side by side, the check that notices first is not always the one that made it stop
                beside = " or a check running beside it" if run.overlapped else ""
                with self._lock:
                    self.s.process_problems.append(
                        f"{handle.label} stopped during «{run.meta.title}»{beside} (exit code {code})"
                    )
                if failed:
                    notes.append(
                        f"{handle.label.capitalize()} stopped during this check{beside} (exit code {code})."
                    )
                    outputs.append(f"[{name}: its last lines]\n{tail}")
                continue
            if not failed:
                continue
            if handle.crashed():
                notes.append(f"{handle.label.capitalize()} is not running (it stopped on its own earlier).")
            output, cut = handle.logs.since(run.process_marks.get(name, 0))
            if output:
                outputs.append(f"[{name}]\n" + ("…\n" if cut else "") + output)
        if notes:
            message = (fields.get("message") or "").rstrip()
            if message and not message.endswith((".", "!", "?")):
                message += "."  # the notes are sentences of their own
            fields["message"] = " ".join([message, *notes]).strip()
        if outputs:
            app = fields.get("app_output")
            fields["app_output"] = "\n".join([f"[app]\n{app}" if app else "", *outputs]).strip()

    def _failure(self, run: CheckRun, exc: BaseException | None, *, when: str) -> tuple[str, dict[str, Any]]:
        fields: dict[str, Any] = {}
        response = getattr(exc, "response", None) if isinstance(exc, CheckFailed) else None
        exchange = run.recorder.last()
        request = response.request if response is not None else (exchange.request if exchange else None)
        if response is None and exchange is not None:
            response = exchange.response
        if request is not None:
            fields["request"] = as_curl(request, self.s.replay_base)
            prior, uses = prior_requests(run.recorder.snapshot(), request)
            if prior:
                fields["replay_first"] = [as_curl(earlier.request, self.s.replay_base) for earlier in prior]
                fields["replay_uses"] = uses
        if response is not None:
            fields["response"] = summarize(response)
        if isinstance(exc, MainAppStartError):
            self.s.app_problem = self.s.app_problem or exc.reason
            self.s.app_log = self.s.app_log or exc.log_tail
            return "skipped", {"message": "not run: the app did not start"}
        if isinstance(exc, ProcessStartError):  # started again by the check (after a kill): it failed
            fields["message"] = f"{exc.reason[:1].upper()}{exc.reason[1:]} when the check started it again."
            fields["app_output"] = exc.log_tail[-1500:] or None
            return "failed", fields
        if isinstance(exc, AppStartError):  # another instance a check started itself: that check failed
            fields["message"] = f"another instance of the app did not start: {exc.reason}."
            fields["app_output"] = exc.log_tail[-1500:] or None
            return "failed", fields
        if isinstance(exc, SetupFailed):
            fields.update(message=exc.message, expected=exc.expected, actual=exc.actual, cause=exc.cause)
            if exc.hint:
                fields["hint"] = exc.hint
            return "failed", fields
        if isinstance(exc, CheckFailed):
            fields.update(message=exc.message, expected=exc.expected, actual=exc.actual)
            return "failed", fields
        if isinstance(exc, CheckTimeout):
            fields["message"] = f"the check did not finish within its {run.meta.budget:g} s"
            if request is not None and (
                response is None or (exchange is not None and exchange.response is None)
            ):
                fields["message"] += f" (it was waiting for the answer to {_target(request)})"
            return "timeout", fields
        if isinstance(exc, httpx.TimeoutException | deadline.DeadlineExceeded):
            if time.monotonic() >= run.budget_end - 0.1:  # the check's budget ran out, not the request's
                fields["message"] = (
                    f"{_target(request)}: no answer before the check's {run.meta.budget:g} s were up."
                )
            else:
                fields["message"] = (
                    f"{_target(request)}: no answer within {self.s.manifest.limits.request:g} s."
                )
            return "timeout", fields
        if isinstance(exc, ResponseTooLarge):
            fields["message"] = f"{exc}."
            return "failed", fields
        if isinstance(exc, httpx.TransportError):
            reason = f"{type(exc).__name__}: {_first_line(str(exc), 120)}"
            fields["message"] = f"{_target(request)}: the connection failed ({reason})."
            return "failed", fields
        if isinstance(exc, AssertionError):
            fields["message"] = _first_line(str(exc)) or "an expectation of this check did not hold."
            return "failed", fields
        if exc is not None and isinstance(exc, GRADER_BUGS) and not run.interrupted:
            fields["message"] = _grader_error(exc)
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
        runner = self.s.need_runner()
        env = self._env(app_env)
        started = time.monotonic()
        for command in self.s.manifest.app.setup:
            self.s.progress.stage(f"Running {command}")
            result = runner.run(command, env, timeout=self.s.manifest.limits.startup * 3)
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
            app = runner.start(env, name="app")
        except AppStartError as exc:
            raise MainAppStartError(exc.reason, exit_code=exc.exit_code, log_tail=exc.log_tail) from None
        finally:
            self.s.app_seconds = time.monotonic() - started
        self.s.main_app = app
        self._start_processes(runner, env)
        self.s.progress.stage("Checking")
        return app

    def _start_processes(self, runner: Runner, env: Mapping[str, str | None]) -> None:
        """The manifest's [processes], after the app is ready and before the first check, each with the
        app's environment. One that does not start stops the grading like an app that does not."""
        started = time.monotonic()
        try:
            for name, section in self.s.manifest.processes.items():
                self.s.progress.stage(f"Starting the {name} process")
                handle = ProcessHandle(runner, name, section, env)
                try:
                    handle.start()
                except ProcessStartError as exc:
                    self.s.main_app = None  # the submission as a whole did not start
                    raise MainAppStartError(
                        exc.reason, exit_code=exc.exit_code, log_tail=exc.log_tail
                    ) from None
                self.s.processes[name] = handle
        finally:
            self.s.app_seconds += time.monotonic() - started

    @pytest.fixture(scope="session")
    def processes(self, app: RunningApp) -> Processes:
        """The [processes] of the manifest by name, running: `processes["worker"].kill()`, `.start()`."""
        return self.s.processes

    @pytest.fixture(autouse=True)
    def _app_is_running(self, app: RunningApp) -> None:
        """Every check grades a running app: its setup commands (migrations) ran, whatever --only picked."""

    @pytest.fixture(scope="session")
    def start_app(self, app_env: dict[str, str]) -> Callable[..., RunningApp]:
        started = itertools.count(2)  # failed starts use up their name too: their container may remain
        lock = threading.Lock()

        def start(env: Mapping[str, str | None] | None = None) -> RunningApp:
            with lock:
                name = f"app-{next(started)}"
            instance = self.s.need_runner().start(self._env(app_env, env or {}), name=name)
            with lock:
                self.s.extra_apps.append(instance)
            return instance

        return start

    @pytest.fixture(scope="session")
    def run_command(self, app_env: dict[str, str]) -> Callable[..., CommandResult]:
        def run(
            name: str, env: Mapping[str, str | None] | None = None, timeout: float | None = None
        ) -> CommandResult:
            command = self.s.manifest.commands.get(name, name)
            return self.s.need_runner().run(
                command, self._env(app_env, env or {}), timeout=timeout or self.s.manifest.limits.check
            )

        return run

    @pytest.fixture(scope="session")
    def expose(self) -> Callable[[int], str]:
        return self.s.need_runner().expose

    def _client(self, app: RunningApp, recorder: Recorder) -> Api:
        return Api(app.base_url, recorder=recorder, timeout=self.s.manifest.limits.request)

    @pytest.fixture
    def recorder(self, request: pytest.FixtureRequest) -> Recorder:
        """The running check's recorder: what its clients sent and got, for the replay line."""
        run: CheckRun = request.node.stash[RUN]
        return run.recorder

    @pytest.fixture
    def api(self, app: RunningApp, recorder: Recorder) -> Iterator[Api]:
        with self._client(app, recorder) as client:
            yield client

    @pytest.fixture
    def new_api(self, app: RunningApp, recorder: Recorder) -> Iterator[Callable[..., Api]]:
        clients: list[Api] = []

        def make(instance: RunningApp | None = None) -> Api:
            client = self._client(instance or app, recorder)
            clients.append(client)
            return client

        yield make
        for client in clients:
            client.close()

    @pytest.fixture(scope="session")
    def database_url(self) -> str:
        return self.s.endpoint("postgres").host_url

    @pytest.fixture(scope="session")
    def pgproxy(self, database_url: str) -> Iterator[PgProxy]:
        """A statement-counting proxy (grader.pgproxy) on 127.0.0.1 in front of the run's database."""
        with PgProxy.for_url(database_url) as proxy:
            yield proxy

    @pytest.fixture(scope="session")
    def pgproxy_env(
        self, pgproxy: PgProxy, database_url: str, expose: Callable[[int], str]
    ) -> dict[str, str]:
        """DATABASE_URL through `pgproxy`, as the app reaches it (same user, password and database): the
        `app_env` of a suite that counts the statements of the app's requests."""
        return {"DATABASE_URL": pgproxy.url(database_url, hostport=expose(pgproxy.port))}

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

    @pytest.fixture(scope="session")
    def expose_udp(self, expose: Callable[[int], str]) -> Callable[..., str]:
        """`expose_udp(port, tcp=True) -> "address:port"`: how the app reaches a UDP server the suite
        runs on 127.0.0.1:<port> (and, with tcp, the TCP server on the same port, at the same address)."""
        runner = self.s.need_runner()

        def expose_both(port: int, *, tcp: bool = True) -> str:
            if tcp:
                expose(port)
            return runner.expose_udp(port)

        return expose_both

    @pytest.fixture(scope="session")
    def amqp_url(self) -> str:
        return self.s.endpoint("rabbitmq").host_url

    @pytest.fixture
    def amqp(self, amqp_url: str) -> Iterator[Any]:
        from grader.amqp import Broker

        with Broker(amqp_url) as broker:
            yield broker

    @pytest.fixture(scope="session")
    def mongodb_url(self) -> str:
        return self.s.endpoint("mongodb").host_url

    @pytest.fixture
    def mongo(self, mongodb_url: str) -> Iterator[Any]:
        from grader.services.mongodb import mongo_client

        client = mongo_client(mongodb_url)
        try:
            yield client.get_default_database()
        finally:
            client.close()

    @pytest.fixture(scope="session")
    def service_proxy(self, expose: Callable[[int], str]) -> Iterator[Callable[[str], Any]]:
        """`service_proxy(kind) -> FaultProxy` between the app and a service of the run (one per kind);
        its `.app_url` is the URL to give the app (in the suite's `app_env`) so it goes through it."""
        from grader.faultproxy import FaultProxy

        default_ports = {"postgres": 5432, "redis": 6379, "rabbitmq": 5672, "mongodb": 27017}
        proxies: dict[str, FaultProxy] = {}
        lock = threading.Lock()

        def make(kind: str) -> FaultProxy:
            with lock:
                if kind not in proxies:
                    endpoint = self.s.endpoint(kind)
                    proxy = FaultProxy.for_url(endpoint.host_url, default_ports[kind]).start()
                    app_url = proxy.url(endpoint.app_url, hostport=expose(proxy.port))
                    if kind == "mongodb":  # or the driver follows the replica set's own address around it
                        app_url += ("&" if "?" in app_url else "?") + "directConnection=true"
                    proxy.app_url = app_url
                    proxies[kind] = proxy
                return proxies[kind]

        yield make
        for proxy in proxies.values():
            proxy.stop()

    @pytest.fixture(scope="session")
    def broker_proxy(self, service_proxy: Callable[[str], Any]) -> Any:
        """The FaultProxy between the app and the run's RabbitMQ: `with broker_proxy.outage(): ...`."""
        return service_proxy("rabbitmq")


def run_suite(suite: Path, plugin: GraderPlugin, *, collect_only: bool = False) -> int:
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
        "-p",
        "no:capture",  # checks run on several threads: pytest's capture swaps sys.stdout per test
        "-p",
        "no:faulthandler",
        "--disable-plugin-autoload",  # no installed plugin (randomly, xdist, anyio) reaches the suite
    ]
    if collect_only:
        args.append("--collect-only")
    sys.path.insert(0, str(suite))  # suite-local helper modules, importable by name
    quiet = not os.environ.get("GRADE_DEBUG")  # GRADE_DEBUG=1 shows what pytest says (kit developers)
    try:
        with (
            contextlib.redirect_stdout(_Discard()) if quiet else contextlib.nullcontext(),
            contextlib.redirect_stderr(_Discard()) if quiet else contextlib.nullcontext(),
        ):
            return int(pytest.main(args, plugins=[plugin]))
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(str(suite))


class _Discard:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None: ...
