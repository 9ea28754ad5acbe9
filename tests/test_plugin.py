"""The grader's core, proven on tiny fixture suites: scheduling (modules side by side, --jobs, alone
checks, needs across modules, suite order), fixtures on threads (per-check values, session values
computed once), budgets (per check, the watchdog, the suite's total), outcomes (timeout, skipped,
grader error), collection rules (ORDER, needs, duplicate ids) and scoring (extra credit, category
minimums, rounding).

Each suite is graded by tests/harness.py in a fresh process, through grading.grade with a fake runner
whose app is a StubServer: no app to build or start, about a second a run. Suites share what their
checks observe through a `shared` module (SHARED below) that the harness reports back.

No assertion here bounds a duration under a second; concurrency is proven with barriers (checks that
can only pass when they run at the same time) and with what the checks saw, not with stopwatches.
"""

from __future__ import annotations

import io
import json
import random
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from grader import grading
from grader.labs import Lab
from grader.manifest import Manifest
from grader.plugin import GradingSession
from grader.report import terminal
from grader.results import CheckResult, GradeResult, percent
from tests.kit import ROOT

SHARED = '''
"""What checks running side by side saw (reported back by tests/harness.py)."""
import contextlib
import threading
import time

lock = threading.Lock()
observed = {"peak": 0, "events": [], "counts": {}, "values": {}}
_active = set()


@contextlib.contextmanager
def running(name):
    with lock:
        _active.add(name)
        observed["peak"] = max(observed["peak"], len(_active))
        observed["events"].append(["start", name, time.monotonic()])
    try:
        yield
    finally:
        with lock:
            _active.discard(name)
            observed["events"].append(["end", name, time.monotonic()])


def others(name):
    with lock:
        return sorted(_active - {name})


def count(key):
    with lock:
        observed["counts"][key] = observed["counts"].get(key, 0) + 1
        return observed["counts"][key]


def note(key, value):
    with lock:
        observed["values"].setdefault(key, []).append(value)


barriers = {}


def barrier(name, parties):
    with lock:
        return barriers.setdefault(name, threading.Barrier(parties))
'''

HEADER = '"""{title}"""\nimport threading, time\nimport shared\nfrom grader.checks import *\n'


@dataclass
class Run:
    result: GradeResult
    observed: dict[str, Any]
    stderr: str

    def check(self, check_id: str) -> CheckResult:
        for check in self.result.checks:
            if check.id == check_id:
                return check
        raise AssertionError(f"no {check_id} in {[c.id for c in self.result.checks]}")

    def outcomes(self) -> dict[str, str]:
        return {check.id: check.outcome for check in self.result.checks}


def grade_suite(
    tmp_path: Path,
    modules: dict[str, str],
    *,
    manifest: dict[str, Any] | None = None,
    jobs: int | None = None,
    only: list[str] | None = None,
    timeout: float = 120,
) -> Run:
    """Grade a suite made of `modules` ({"a": source} becomes test_a.py; "conftest" is conftest.py)."""
    suite = tmp_path / "suite"
    suite.mkdir(parents=True)
    (suite / "shared.py").write_text(SHARED)
    for name, source in modules.items():
        filename = "conftest.py" if name == "conftest" else f"test_{name}.py"
        body = textwrap.dedent(source)
        if name != "conftest":
            body = HEADER.format(title=name.capitalize()) + body
        (suite / filename).write_text(body)
    out = tmp_path / "result.json"
    spec = {
        "suite": str(suite),
        "out": str(out),
        "manifest": {"limits": {"check": 10, "request": 5, "total": 120}, **(manifest or {})},
        "jobs": jobs,
        "only": only,
    }
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    done = subprocess.run(
        [sys.executable, "-m", "tests.harness", str(tmp_path / "spec.json")],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    assert out.exists(), f"the harness wrote no result (exit {done.returncode}):\n{done.stderr[-3000:]}"
    data = json.loads(out.read_text())
    observed = data.pop("observed")
    return Run(GradeResult.model_validate(data), observed, done.stderr)


# -- scheduling -------------------------------------------------------------------------------------


def waiting_module(name: str, parties: int, seconds: float = 2.0) -> str:
    return f"""
    @check("{name} waits", points=1, hint="-")
    def test_wait():
        with shared.running("{name}"):
            shared.barrier("all", {parties}).wait(timeout=8)  # breaks unless all {parties} run at once
            time.sleep({seconds})
    """


def test_modules_run_side_by_side(tmp_path):
    """Three modules whose checks can only pass together (a barrier of three), each then waiting 2 s:
    the run takes about the longest module, not the sum (6 s)."""
    run = grade_suite(tmp_path, {name: waiting_module(name, 3) for name in ("a", "b", "c")}, jobs=3)
    assert set(run.outcomes().values()) == {"passed"}, run.result.checks
    assert run.observed["peak"] == 3
    assert run.result.timings["suite"] < 5.0, run.result.timings


def test_jobs_1_runs_one_check_at_a_time(tmp_path):
    modules = {
        name: f"""
        @check("{name} one", points=1, hint="-")
        def test_one():
            with shared.running("{name}::one"):
                time.sleep(0.3)

        @check("{name} two", points=1, hint="-")
        def test_two():
            with shared.running("{name}::two"):
                time.sleep(0.3)
        """
        for name in ("a", "b", "c")
    }
    run = grade_suite(tmp_path, modules, jobs=1)
    assert set(run.outcomes().values()) == {"passed"}
    assert run.observed["peak"] == 1
    starts = [name for kind, name, _ in run.observed["events"] if kind == "start"]
    assert starts == ["a::one", "a::two", "b::one", "b::two", "c::one", "c::two"]


def test_alone_checks_run_by_themselves_after_the_others(tmp_path):
    """An alone=True check starts only when every other check has ended, and nothing starts while it
    runs, although its module would otherwise start first, beside the others."""
    modules = {
        "a": """
        @check("restarts the world", points=1, hint="-", alone=True)
        def test_solo():
            with shared.running("a::solo"):
                seen = set()
                for _ in range(10):
                    seen.update(shared.others("a::solo"))
                    time.sleep(0.1)
            expect(not seen, "ran beside other checks", actual=sorted(seen))

        @check("after the solo check", points=1, hint="-", needs="solo")
        def test_after_solo():
            pass
        """,
        "b": waiting_module("b", 2, 1.5),
        "c": waiting_module("c", 2, 1.5),
    }
    run = grade_suite(tmp_path, modules, jobs=4)
    assert run.outcomes() == {
        "a::solo": "passed",
        "a::after_solo": "passed",
        "b::wait": "passed",
        "c::wait": "passed",
    }
    events = run.observed["events"]
    solo_start = next(at for kind, name, at in events if (kind, name) == ("start", "a::solo"))
    ends = [at for kind, name, at in events if kind == "end" and name != "a::solo"]
    assert all(end <= solo_start for end in ends), events


def test_needs_across_modules_wait_for_the_check_they_name(tmp_path):
    """b's checks need checks of module a, which run at the same time on another thread: each waits
    for its prerequisite's outcome, runs when it passed and is skipped (saying why) when it failed."""
    modules = {
        "a": """
        @check("slow but fine", points=1, hint="-")
        def test_slow_ok():
            time.sleep(1.5)
            shared.note("done", "a::slow_ok")

        @check("slow and broken", points=1, hint="-")
        def test_slow_broken():
            time.sleep(0.5)
            fail("broken on purpose")
        """,
        "b": """
        @check("after a::slow_ok", points=1, hint="-", needs="a::slow_ok")
        def test_after_ok():
            expect(shared.observed["values"].get("done") == ["a::slow_ok"], "ran before its prerequisite")

        @check("after a::slow_broken", points=1, hint="-", needs="a::slow_broken")
        def test_after_broken():
            pass
        """,
    }
    run = grade_suite(tmp_path, modules, jobs=2)
    assert run.outcomes() == {
        "a::slow_ok": "passed",
        "a::slow_broken": "failed",
        "b::after_ok": "passed",
        "b::after_broken": "skipped",
    }
    assert run.check("b::after_broken").message == "not run: it needs «slow and broken», which did not pass"


def test_results_come_in_suite_order_whatever_finished_first(tmp_path):
    modules = {
        "a": """
        @check("first, slowest", points=1, hint="-")
        def test_slowest():
            time.sleep(1.5)
        """,
        "b": """
        @check("second, quick", points=1, hint="-")
        def test_quick():
            pass

        @check("third, quick", points=1, hint="-")
        def test_quicker():
            pass
        """,
        "c": """
        @check("fourth, quick", points=1, hint="-")
        def test_quickest():
            pass
        """,
    }
    run = grade_suite(tmp_path, modules, jobs=3)
    assert [check.id for check in run.result.checks] == [
        "a::slowest",
        "b::quick",
        "b::quicker",
        "c::quickest",
    ]


def test_the_suites_order_comes_from_ORDER_in_its_conftest(tmp_path):
    """ORDER puts "zeta" first: alpha's check may then need zeta's, and the report follows ORDER.
    (Alphabetically, alpha::late would need a later check: a broken suite.)"""
    modules = {
        "conftest": 'ORDER = ["zeta", "alpha"]\n',
        "alpha": """
        @check("needs zeta", points=1, hint="-", needs="zeta::early")
        def test_late():
            pass
        """,
        "zeta": """
        @check("comes first", points=1, hint="-")
        def test_early():
            pass
        """,
    }
    run = grade_suite(tmp_path, modules)
    assert run.result.error is None, run.result.error
    assert [check.id for check in run.result.checks] == ["zeta::early", "alpha::late"]
    assert [category.module for category in run.result.categories] == ["zeta", "alpha"]


def test_the_hidden_suite_loads_no_installed_pytest_plugin(tmp_path):
    """Plugins installed beside the grader (xdist and anyio here; pytest-randomly on a learner's
    machine would reorder the checks) never reach a hidden suite, and do not slow every grade."""
    modules = {
        "a": """
        @check("no installed plugin is loaded", points=1, hint="-")
        def test_none(request):
            loaded = request.config.pluginmanager.hasplugin
            names = [name for name in ("xdist", "anyio", "randomly") if loaded(name)]
            expect(not names, "installed pytest plugins reached the suite", actual=names)
        """
    }
    run = grade_suite(tmp_path, modules)
    assert run.check("a::none").outcome == "passed", run.check("a::none").actual


# -- fixtures on threads ------------------------------------------------------------------------------


def test_function_fixtures_belong_to_one_check_even_side_by_side(tmp_path):
    """Two checks hold their own `mine` (and their own `api` client) at the same moment: neither sees
    the other's value, and each value is torn down once."""
    fixture = """
    import pytest
    import shared


    @pytest.fixture
    def mine(request):
        value = {"owner": request.node.name}
        yield value
        shared.note("torn down", value["owner"])
    """
    check_module = """
    @check("{name} holds its own fixture", points=1, hint="-")
    def test_{name}(mine, api):
        shared.barrier("both", 2).wait(timeout=8)  # both fixtures are set up before either ends
        shared.note("clients", id(api))
        expect(mine["owner"] == "test_{name}", "got another check's fixture value", actual=mine)
    """
    run = grade_suite(
        tmp_path,
        {
            "conftest": fixture,
            "a": check_module.format(name="a"),
            "b": check_module.format(name="b"),
        },
        jobs=2,
    )
    assert run.outcomes() == {"a::a": "passed", "b::b": "passed"}, run.result.checks
    assert sorted(run.observed["values"]["torn down"]) == ["test_a", "test_b"]
    assert len(set(run.observed["values"]["clients"])) == 2


def test_session_fixtures_are_computed_once_for_checks_side_by_side(tmp_path):
    """Four modules ask for a session fixture at the same moment. It is computed once: a second,
    concurrent computation would find the first one waiting (the fixture's barrier of two)."""
    fixture = """
    import threading
    import pytest
    import shared

    second = threading.Barrier(2)


    @pytest.fixture(scope="session")
    def expensive():
        shared.count("expensive")
        try:
            second.wait(timeout=1.5)  # only another computation of this fixture could meet it here
        except threading.BrokenBarrierError:
            pass
        return object()
    """
    check_module = """
    @check("{name} uses the session fixture", points=1, hint="-")
    def test_{name}(expensive):
        shared.note("values", id(expensive))
    """
    modules: dict[str, str] = {"conftest": fixture}
    modules.update({name: check_module.format(name=name) for name in "abcd"})
    run = grade_suite(tmp_path, modules, jobs=4)
    assert set(run.outcomes().values()) == {"passed"}
    assert run.observed["counts"] == {"expensive": 1}
    assert len(set(run.observed["values"]["values"])) == 1


def test_app_output_is_marked_when_other_checks_ran_at_the_same_time(tmp_path):
    module = """
    @check("{name} fails after the app printed", points=1, hint="-")
    def test_{name}(api):
        api.get("/say/{name}-was-here")
        shared.barrier("both", 2).wait(timeout=8)
        fail("failed on purpose")
    """
    together = grade_suite(
        tmp_path / "together", {"a": module.format(name="a"), "b": module.format(name="b")}, jobs=2
    )
    output = together.check("a::a").app_output or ""
    assert output.startswith("(other checks ran at the same time: some of these lines may be theirs)")
    assert "a-was-here" in output
    alone = grade_suite(tmp_path / "alone", {"a": module.format(name="a").replace("shared.barrier", "#")})
    assert alone.check("a::a").app_output == "a-was-here"


# -- budgets -----------------------------------------------------------------------------------------


def test_a_checks_budget_ends_its_requests_before_their_own_timeout(tmp_path):
    """The request timeout is 5 s, the check's budget 1.5 s: a request that never gets an answer is
    cut at the budget (the deadline reaches the socket) and reported as the budget's timeout."""
    modules = {
        "a": """
        @check("waits on a slow app", points=1, hint="-", budget=1.5)
        def test_slow(api):
            api.get("/slow/30")

        @check("runs after it", points=1, hint="-")
        def test_next(api):
            expect_status(api.get("/health"), 200)
        """
    }
    run = grade_suite(tmp_path, modules)
    slow = run.check("a::slow")
    assert slow.outcome == "timeout"
    # the deadline at the socket or, on a loaded machine, the watchdog a moment later: both the budget's
    assert slow.message in (
        "GET /slow/30: no answer before the check's 1.5 s were up.",
        "the check did not finish within its 1.5 s (it was waiting for the answer to GET /slow/30)",
    )
    assert slow.duration < 5.0  # the request's own timeout was never reached
    assert run.check("a::next").outcome == "passed"


def test_the_manifests_check_limit_is_every_checks_budget_not_the_request_timeout(tmp_path):
    """[limits] check = 2 with request = 30 and no budget of its own: a request that never gets an answer
    is cut at the check's 2 s (reported as the check's limit), long before the request's 30 s."""
    modules = {
        "a": """
        @check("waits on a slow app", points=1, hint="-")
        def test_slow(api):
            api.get("/slow/60")

        @check("runs after it", points=1, hint="-")
        def test_next(api):
            expect_status(api.get("/health"), 200)
        """
    }
    run = grade_suite(tmp_path, modules, manifest={"limits": {"check": 2, "request": 30, "total": 120}})
    slow = run.check("a::slow")
    assert slow.outcome == "timeout"
    assert slow.message in (  # the deadline at the socket, or the watchdog on a loaded machine
        "GET /slow/60: no answer before the check's 2 s were up.",
        "the check did not finish within its 2 s (it was waiting for the answer to GET /slow/60)",
    )
    assert slow.duration < 30.0  # the request's own timeout was never reached
    assert run.check("a::next").outcome == "passed"


def test_the_watchdog_stops_a_check_that_loops_without_making_requests(tmp_path):
    modules = {
        "a": """
        @check("spins forever", points=1, hint="-", budget=1.5)
        def test_spin():
            shared.note("thread", threading.current_thread().name)
            n = 0
            while True:
                n += 1

        @check("runs after it", points=1, hint="-")
        def test_next():
            pass
        """
    }
    run = grade_suite(tmp_path, modules, manifest={"limits": {"check": 10, "request": 5, "total": 30}})
    spin = run.check("a::spin")
    assert spin.outcome == "timeout"
    assert spin.message == "the check did not finish within its 1.5 s"
    assert run.check("a::next").outcome == "passed"
    assert run.observed["values"]["thread"] != ["MainThread"]  # where SIGALRM could never reach it


def test_the_core_has_no_sigalrm():
    """Checks run on worker threads, where SIGALRM never arrives: budgets are deadlines and a watchdog."""
    for path in sorted((ROOT / "grader").glob("*.py")):
        text = path.read_text()
        assert not re.search(r"SIGALRM|signal\.alarm|setitimer", text), f"{path.name} uses SIGALRM"


def test_the_suites_total_deadline_skips_what_did_not_run(tmp_path):
    modules = {
        "a": "".join(
            f"""
        @check("step {i}", points=1, hint="-")
        def test_step_{i}():
            time.sleep(1)
        """
            for i in range(8)
        )
    }
    run = grade_suite(tmp_path, modules, manifest={"limits": {"check": 5, "request": 5, "total": 3}})
    outcomes = list(run.outcomes().values())
    assert outcomes[0] == "passed"
    assert outcomes[-1] == "skipped"
    assert outcomes == sorted(outcomes, key=lambda outcome: outcome != "passed")  # passed, then skipped
    skipped = [check for check in run.result.checks if check.outcome == "skipped"]
    assert {check.message for check in skipped} == {"not run: the suite used up its 3 s"}
    assert run.result.timings["suite"] < 8


# -- outcomes and collection ---------------------------------------------------------------------------


def test_a_bug_of_the_suite_is_a_grader_error_not_a_failure(tmp_path):
    modules = {
        "a": """
        @check("has a typo", points=1, hint="-")
        def test_typo():
            undefined_helper()

        @check("fine", points=1, hint="-")
        def test_fine():
            pass
        """
    }
    run = grade_suite(tmp_path, modules)
    typo = run.check("a::typo")
    assert typo.outcome == "error"
    assert typo.message.startswith("grader error (NameError: name 'undefined_helper' is not defined)")
    assert run.result.status == "error"
    assert run.result.exit_code == 2
    assert run.result.error == (
        "The grader failed on some checks (marked error): their verdict is not the submission's."
    )


def test_a_check_the_grader_fails_around_is_an_error_not_a_gap(tmp_path):
    """A hook of the suite raises between a check's setup and its call: that check is reported as a
    grader error (never left out of the report, which would shrink the maximum), the rest goes on."""
    modules = {
        "conftest": """
        def pytest_runtest_logreport(report):
            if report.when == "setup" and "boom" in report.nodeid:
                raise RuntimeError("a hook of the suite failed")
        """,
        "a": """
        @check("boom", points=1, hint="-")
        def test_boom():
            pass

        @check("fine", points=1, hint="-")
        def test_fine():
            pass
        """,
    }
    run = grade_suite(tmp_path, modules)
    assert run.outcomes() == {"a::boom": "error", "a::fine": "passed"}
    assert run.check("a::boom").message == (
        "grader error (RuntimeError: a hook of the suite failed): please report it."
    )
    assert (run.result.max_score, run.result.status) == (2.0, "error")


@pytest.mark.parametrize(
    ("needs", "problem"),
    [
        ("nowhere", "a::first needs a::nowhere, which is not an earlier check"),
        ("second", "a::first needs a::second, which is not an earlier check"),
        ("b::other", "a::first needs b::other, which is not an earlier check"),
    ],
    ids=["unknown", "later-in-module", "later-module"],
)
def test_needs_must_name_an_earlier_check(tmp_path, needs, problem):
    modules = {
        "a": f"""
        @check("first", points=1, hint="-", needs="{needs}")
        def test_first():
            pass

        @check("second", points=1, hint="-")
        def test_second():
            pass
        """,
        "b": """
        @check("other", points=1, hint="-")
        def test_other():
            pass
        """,
    }
    run = grade_suite(tmp_path, modules)
    assert run.result.status == "error"
    assert run.result.error == f"The hidden suite could not be loaded: {problem}"
    assert run.result.checks == []


def test_two_checks_with_one_id_are_a_broken_suite(tmp_path):
    modules = {
        "a": """
        import pytest

        @check("twice", points=1, hint="-")
        @pytest.mark.parametrize("n", [1, 2])
        def test_twice(n):
            pass
        """
    }
    run = grade_suite(tmp_path, modules)
    assert run.result.status == "error"
    assert "a::twice: two checks with the same id" in (run.result.error or "")


def test_setup_failed_blames_the_setup_request_with_its_cause(tmp_path):
    """require_status on the request that prepared the scenario: the result blames that request (its
    replay line and answer, even after later requests), names the cause and gives its own hint."""
    modules = {
        "a": """
        @check("the rule under test", points=1, hint="the hint about the rule")
        def test_rule(api):
            created = api.get("/status/500")
            api.get("/health")  # a later request: the report still shows the one that failed
            require_status(created, 201, purpose="create an item")
        """
    }
    run = grade_suite(tmp_path, modules)
    rule = run.check("a::rule")
    assert rule.outcome == "failed"
    assert rule.message == "could not create an item: GET /status/500 answered 500, not 201."
    assert rule.cause == "GET /status/{id} answered 500"
    assert rule.hint.startswith("This check needs GET /status/{id} to answer 201 first")
    assert rule.request == "curl -i http://localhost:8000/status/500"
    assert (rule.response or "").startswith("500 Internal Server Error")
    assert rule.expected == "201"


def test_a_failing_setup_command_skips_every_check_and_says_which(tmp_path):
    modules = {
        "a": """
        @check("needs the app", points=1, hint="-")
        def test_one(api):
            pass
        """
    }
    manifest = {
        "app": {
            "command": "python -m app",
            "setup": ["python -c \"print('migrating'); raise SystemExit(3)\""],
        }
    }
    run = grade_suite(tmp_path, modules, manifest=manifest)
    assert run.result.status == "failed"
    assert not run.result.app.started
    assert run.result.app.problem == (
        "the setup command `python -c \"print('migrating'); raise SystemExit(3)\"` failed with exit code 3"
    )
    assert "migrating" in run.result.app.output_tail
    assert run.check("a::one").outcome == "skipped"
    assert run.check("a::one").message == "not run: the app did not start"


# -- scoring ----------------------------------------------------------------------------------------


def test_extra_credit_never_passes_a_failed_required_check(tmp_path):
    """Issue 12: one required check fails, five points of extra credit pass. The required score stays
    1/2 (50%), the extra points are reported apart, and the run fails at a pass mark of 100."""
    modules = {
        "a": """
        @check("required, passes", points=1, hint="-")
        def test_ok():
            pass

        @check("required, fails", points=1, hint="-")
        def test_broken():
            fail("no")

        @check("extra, passes", points=5, hint="-", extra=True)
        def test_bonus():
            pass
        """
    }
    run = grade_suite(tmp_path, modules, manifest={"pass_mark": 100})
    result = run.result
    assert (result.score, result.max_score, result.percent) == (1.0, 2.0, 50.0)
    assert (result.extra_score, result.extra_max_score) == (5.0, 5.0)
    assert result.status == "failed"


def test_a_category_below_its_minimum_fails_the_run_and_says_why(tmp_path):
    """Issue 23: 90% overall (pass mark 80), but «Security» has 50% of its points and needs 60%."""
    modules = {
        "api": "".join(
            f"""
        @check("api {i}", points=1, hint="-")
        def test_api_{i}():
            pass
        """
            for i in range(8)
        ),
        "security": """
        @check("security ok", points=1, hint="-")
        def test_ok():
            pass

        @check("security broken", points=1, hint="-")
        def test_broken():
            fail("no")
        """,
    }
    run = grade_suite(tmp_path, modules, manifest={"pass_mark": 80, "category_minimums": {"security": 60}})
    result = run.result
    assert result.percent == 90.0
    assert result.status == "failed"
    assert result.held_back_by == ["Security"]
    buffer = io.StringIO()
    terminal.render(result, Console(file=buffer, width=120, color_system=None))
    text = " ".join(buffer.getvalue().split())
    assert "Held back by «Security»: 50% of its points, 60% needed." in text


def test_percent_rounds_down_so_only_every_point_is_100():
    assert percent(999, 1000) == 99.9
    assert percent(19_999, 20_000) == 99.9  # rounding to the nearest would show 100.0
    assert percent(1, 3) == 33.3
    assert percent(2, 3) == 66.6
    assert percent(7, 7) == 100.0
    assert percent(0, 0) == 0.0


def _lab(pass_mark: float, **minimums: Any) -> Lab:
    manifest = Manifest.model_validate(
        {
            "id": "lab98",
            "slug": "plugin",
            "title": "plugin fixtures",
            "stage": "Testing",
            "pass_mark": pass_mark,
            "app": {"command": "python -m app"},
            **minimums,
        }
    )
    return Lab(manifest=manifest, folder=ROOT, root=ROOT)


def _scored(lab: Lab, checks: list[CheckResult]) -> GradeResult:
    session = GradingSession(manifest=lab.manifest, runner=None, submission=ROOT, endpoints=[], base_env={})
    session.results = checks
    return grading._result(lab, ROOT, "fake", session, 0, datetime.now(UTC), 0.0)


def _checks(rng: random.Random) -> list[CheckResult]:
    made = []
    for i in range(rng.randint(1, 12)):
        points = rng.choice([0.5, 1, 2, 3, 5, 10])
        outcome = rng.choice(["passed", "passed", "passed", "failed", "timeout", "skipped"])
        made.append(
            CheckResult(
                id=f"{rng.choice('ab')}::c{i}",
                title=f"c{i}",
                category="A",
                points=points if outcome == "passed" else 0,
                max_points=points,
                extra=rng.random() < 0.4,
                outcome=outcome,
                hint="-",
                duration=0,
            )
        )
    return made


def test_extra_credit_changes_neither_score_percent_nor_verdict():
    """Issue 12, for many random suites: 100% and a pass at a pass mark of 100 happen exactly when every
    required check passed, and passing or failing every extra-credit check changes nothing required."""
    rng = random.Random(12)
    lab = _lab(100)
    for _ in range(500):
        checks = _checks(rng)
        if not any(not check.extra for check in checks):
            continue
        result = _scored(lab, checks)
        all_required = all(check.outcome == "passed" for check in checks if not check.extra)
        assert (result.percent == 100.0) == all_required, checks
        assert (result.status == "passed") == all_required, checks
        for extra_outcome in ("passed", "failed"):
            flipped = [
                check.model_copy(
                    update={
                        "outcome": extra_outcome,
                        "points": check.max_points if extra_outcome == "passed" else 0,
                    }
                )
                if check.extra
                else check
                for check in checks
            ]
            again = _scored(lab, flipped)
            assert (again.score, again.max_score, again.percent, again.status) == (
                result.score,
                result.max_score,
                result.percent,
                result.status,
            )


def test_category_minimums_apply_to_required_points_only():
    checks = [
        CheckResult(
            id=f"{module}::{name}",
            title=name,
            category=module.capitalize(),
            points=points if outcome == "passed" else 0,
            max_points=points,
            extra=extra,
            outcome=outcome,
            hint="-",
            duration=0,
        )
        for module, name, points, outcome, extra in [
            ("api", "one", 9, "passed", False),
            ("security", "ok", 1, "passed", False),
            ("security", "broken", 1, "failed", False),
            ("security", "bonus", 5, "passed", True),  # extra credit cannot lift a category
            ("bonus", "only", 1, "failed", True),  # a category of extra credit only has no minimum
        ]
    ]
    held = _scored(_lab(80, category_minimum=60), checks)
    assert held.percent == 90.9
    assert (held.status, held.held_back_by) == ("failed", ["Security"])
    assert [category.module for category in held.categories] == ["api", "security"]
    overridden = _scored(_lab(80, category_minimum=60, category_minimums={"security": 50}), checks)
    assert (overridden.status, overridden.held_back_by) == ("passed", [])


def test_ast_parse_is_serialised_for_checks_failing_side_by_side():
    """gh-106905: before CPython 3.12.5, two threads converting ASTs at once could raise SystemError
    ("AST constructor recursion depth mismatch") while pytest formatted two failures: a learner's failed
    check became a grader error and the run NOT GRADED (seen in CI on 3.11.2). The plugin wraps
    ast.parse in a lock; many threads formatting tracebacks at once then all succeed."""
    import ast
    import threading
    import traceback

    import grader.plugin  # noqa: F401 - importing the plugin installs the lock

    assert getattr(ast.parse, "_grader_locked", False)
    source = Path(traceback.__file__).read_text()
    errors: list[BaseException] = []

    def parse_many() -> None:
        for _ in range(20):
            try:
                ast.parse(source)
            except SystemError as exc:  # pragma: no cover - the bug this guards against
                errors.append(exc)

    threads = [threading.Thread(target=parse_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors


def test_the_longest_modules_start_first_and_never_before_what_they_need():
    """With 8 modules and 4 workers, the module that starts last should be a short one: the run ends
    sooner. Timings come from the last grade; a module that needs another's check still waits for it."""
    from grader.plugin import META, CheckMeta, longest_first

    class Item:
        def __init__(self, check_id: str, needs: tuple[str, ...] = ()) -> None:
            meta = CheckMeta(id=check_id, title=check_id, category="c", points=1, hint="h", needs=needs,
                             budget=5, extra=False)  # fmt: skip
            self.stash = {META: meta}

    units = [
        [Item("api::a")],
        [Item("quick::b")],
        [Item("slow::c"), Item("slow::d", needs=("api::a",))],
        [Item("slower::e", needs=("quick::b",))],
        [Item("fresh::f")],
    ]

    def order(seconds: dict[str, float]) -> list[str]:
        return [unit[0].stash[META].module for unit in longest_first(units, seconds)]  # type: ignore[arg-type,index]

    assert order({}) == ["api", "quick", "slow", "slower", "fresh"]  # never timed: the suite's order
    timed = order({"api": 1.0, "quick": 0.5, "slow": 9.0, "slower": 12.0})
    assert timed == ["api", "slow", "quick", "slower", "fresh"]
    assert order({"api": 1.0, "quick": 0.5, "slow": 9.0, "slower": 12.0, "fresh": 20.0})[0] == "fresh"


def test_a_grade_records_how_long_each_module_took_for_the_next(tmp_path, monkeypatch):
    from grader import grading
    from grader.results import GradeResult

    monkeypatch.setenv("GRADE_HOME", str(tmp_path))
    assert grading.last_module_seconds("lab02") == {}
    source = next((ROOT / "tests" / "fixtures" / "starter-results").glob("lab02*.json"))
    result = GradeResult.model_validate_json(source.read_text())
    result.checks[0].duration, result.checks[1].duration = 1.25, 0.5
    path = tmp_path / "last" / "lab02.json"
    path.parent.mkdir(parents=True)
    path.write_text(result.model_dump_json())
    seconds = grading.last_module_seconds("lab02")
    first = result.checks[0].id.split("::")[0]
    assert seconds[first] == sum(c.duration for c in result.checks if c.id.startswith(first + "::"))
    assert set(seconds) == {c.id.split("::")[0] for c in result.checks}
