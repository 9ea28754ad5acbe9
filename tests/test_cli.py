"""The `grade` command as a learner and a teacher use it: exit codes, messages, reports, state."""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from junitparser import JUnitXml, TestSuite

from grader.polling import eventually
from grader.results import GradeResult
from tests.kit import ROOT, grade

FIXTURE_KIT = ROOT / "tests" / "fixtures" / "kit"


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    """A private copy of the fixture kit (labs lab90, lab91 and their suites) to break at will."""
    copy = tmp_path / "kit"
    shutil.copytree(FIXTURE_KIT, copy, ignore=shutil.ignore_patterns("__pycache__", ".grade"))
    return copy


def run_cli(*args: str, root: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
        env={**__import__("os").environ, "GRADE_ROOT": str(root), **(env or {})},
    )


def variant(kit: Path, name: str, main_py: str) -> Path:
    """lab90's app with another main.py: how the CLI tests make broken submissions."""
    folder = kit / "variants" / name
    shutil.copytree(kit / "labs" / "lab90-echo", folder)
    (folder / "app" / "main.py").write_text(main_py)
    return folder


ECHO = (FIXTURE_KIT / "labs" / "lab90-echo" / "app" / "main.py").read_text()


def test_a_misspelled_lab_id_gets_a_suggestion(kit):
    done = run_cli("lab9O", root=kit)
    assert done.returncode == 2
    assert "There is no lab called 'lab9O'." in done.stderr
    assert "Did you mean lab90?" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.parametrize("name", ["lab90", "lab90-echo", "echo", "90", "LAB90"])
def test_a_lab_has_many_names(kit, tmp_path, name):
    graded = grade(name, "--suites", str(kit / "suites"), tmp=tmp_path, root=kit)
    assert graded.exit_code == 0, graded.stderr
    assert graded.result is not None
    assert graded.result.lab == "lab90"


def test_a_missing_submission_folder_is_one_sentence(kit):
    done = run_cli("lab90", "--path", str(kit / "nowhere"), root=kit)
    assert done.returncode == 2
    assert f"{kit / 'nowhere'} does not exist." in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("command = ", "comand = "), "unknown key `app.comand`. Did you mean `app.command`?"),
        (("pass_mark = 90", 'pass_mark = "high"'), "`pass_mark`"),
        (('slug = "echo"', ""), "the key `slug` is missing"),
        (("[limits]", "[limits"), "is not valid TOML"),
        (('command = "python', 'command = "uvicorn'), "commands start with `python`"),
    ],
    ids=["misspelled-key", "wrong-type", "missing-key", "bad-toml", "not-python"],
)
def test_a_broken_manifest_names_the_bad_key(kit, change, expected):
    manifest = kit / "labs" / "lab90-echo" / "lab.toml"
    manifest.write_text(manifest.read_text().replace(*change, 1))
    done = run_cli("lab90", root=kit)
    assert done.returncode == 2
    assert expected in " ".join(done.stderr.split()), done.stderr
    assert "lab.toml" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_app_that_never_starts_fails_with_the_reason(kit, tmp_path):
    folder = variant(kit, "sleepy", "import time\ntime.sleep(60)\n" + ECHO)
    manifest = kit / "labs" / "lab90-echo" / "lab.toml"
    manifest.write_text(manifest.read_text().replace("startup = 10", "startup = 2"))
    graded = grade("lab90", "--path", str(folder), "--suites", str(kit / "suites"), tmp=tmp_path, root=kit)
    assert graded.exit_code == 1
    result = graded.result
    assert result is not None
    assert not result.app.started
    assert "did not answer 200 on GET /health within 2 s" in (result.app.problem or "")
    assert {c.outcome for c in result.checks if c.id != "basics::command"} == {"skipped"}
    assert (
        next(c for c in result.checks if c.id == "basics::health").message == "not run: the app did not start"
    )
    assert "The app did not start" in graded.stdout
    assert result.duration < 15


def test_an_app_that_crashes_at_import_shows_its_output(kit, tmp_path):
    folder = variant(kit, "crash", "raise SystemExit('missing configuration: GREETING_FILE')\n")
    graded = grade("lab90", "--path", str(folder), "--suites", str(kit / "suites"), tmp=tmp_path, root=kit)
    assert graded.exit_code == 1
    assert graded.result is not None
    assert "exited with code 1 before it was ready" in (graded.result.app.problem or "")
    assert "missing configuration: GREETING_FILE" in graded.result.app.output_tail
    assert "missing configuration: GREETING_FILE" in graded.stdout


def test_an_app_that_crashes_mid_suite_stops_the_rest(kit, tmp_path):
    crashing = ECHO.replace('    return {"greeting": os.environ["GREETING"]}', "    os._exit(3)")
    folder = variant(kit, "midway", crashing)
    graded = grade("lab90", "--path", str(folder), "--suites", str(kit / "suites"), tmp=tmp_path, root=kit)
    assert graded.exit_code == 1
    assert graded.outcome("basics::health") == "passed"
    assert graded.outcome("basics::greeting") == "failed"
    assert graded.outcome("basics::echo") == "skipped"
    result = graded.result
    assert result is not None
    greeting = next(c for c in result.checks if c.id == "basics::greeting")
    assert "The app stopped during this check (exit code 3)" in (greeting.message or "")
    echo = next(c for c in result.checks if c.id == "basics::echo")
    assert echo.message == "not run: the app stopped during «GET /greeting returns the GREETING variable»"


def test_failures_say_what_was_sent_expected_and_got(kit, tmp_path):
    folder = variant(kit, "wrong-status", ECHO.replace("status_code=201", "status_code=200"))
    graded = grade("lab90", "--path", str(folder), "--suites", str(kit / "suites"), tmp=tmp_path, root=kit)
    assert graded.exit_code == 1
    echo = next(c for c in graded.result.checks if c.id == "basics::echo")
    assert echo.outcome == "failed"
    assert echo.message == "POST /echo: expected status 201, got 200."
    replay = "curl -i -X POST http://localhost:8000/echo -H 'content-type: application/json'"
    assert echo.request == replay + " --data-binary '{\"a\":1}'"
    assert echo.response.startswith("200 OK")
    assert echo.hint == "Echo what you get."
    assert "replay:" in graded.stdout
    assert "hint: Echo what you get." in graded.stdout


def test_a_slow_answer_is_a_timeout_and_a_dependent_check_is_skipped(kit, tmp_path):
    slow = ECHO.replace("def health() -> dict[str, str]:\n", "def health() -> dict[str, str]:\n    pass\n")
    slow = slow.replace(
        '    return {"greeting": os.environ["GREETING"]}', "    import time\n    time.sleep(30)"
    )
    folder = variant(kit, "slow", slow)
    graded = grade("lab90", "--path", str(folder), "--suites", str(kit / "suites"), tmp=tmp_path, root=kit)
    assert graded.outcome("basics::greeting") == "timeout"
    greeting = next(c for c in graded.result.checks if c.id == "basics::greeting")
    assert greeting.message == "GET /greeting: no answer within 2 s."
    assert graded.result.duration < 20


def test_a_check_whose_prerequisite_failed_is_skipped_and_says_why(kit, tmp_path):
    broken = ECHO.replace('@app.get("/health")', '@app.get("/healthz")')
    folder = variant(kit, "no-health", broken)
    (folder / "lab.toml").write_text(
        (folder / "lab.toml").read_text().replace('ready = "/health"', 'ready = "/healthz"')
    )
    graded = grade("lab90", "--path", str(folder), "--suites", str(kit / "suites"), tmp=tmp_path, root=kit)
    assert graded.outcome("basics::health") == "failed"
    assert graded.outcome("basics::greeting") == "skipped"
    greeting = next(c for c in graded.result.checks if c.id == "basics::greeting")
    assert greeting.message == "not run: it needs «GET /health answers 200», which did not pass"


def test_a_broken_suite_is_a_grader_error(kit, tmp_path):
    (kit / "suites" / "lab90" / "test_broken.py").write_text("import nothing_of_that_name\n")
    graded = grade("lab90", "--suites", str(kit / "suites"), tmp=tmp_path, root=kit)
    assert graded.exit_code == 2
    assert graded.result is not None
    assert graded.result.status == "error"
    assert "The hidden suite could not be loaded" in (graded.result.error or "")


def test_a_test_without_check_metadata_is_a_grader_error(kit, tmp_path):
    (kit / "suites" / "lab90" / "test_plain.py").write_text("def test_plain():\n    assert True\n")
    graded = grade("lab90", "--suites", str(kit / "suites"), tmp=tmp_path, root=kit)
    assert graded.exit_code == 2
    assert "a test without @check" in (graded.result.error or "")


def test_reports_for_ci_and_gradescope(kit, tmp_path):
    folder = variant(kit, "wrong-status", ECHO.replace("status_code=201", "status_code=200"))
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    junit, gradescope, result_json = tmp_path / "junit.xml", tmp_path / "results.json", tmp_path / "r.json"
    done = run_cli(
        "lab90",
        "--path",
        str(folder),
        "--suites",
        str(kit / "suites"),
        "--runner",
        "local",
        "--json",
        str(result_json),
        "--junit",
        str(junit),
        "--gradescope",
        str(gradescope),
        root=kit,
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert done.returncode == 1, done.stderr
    result = GradeResult.model_validate_json(result_json.read_text())
    assert (result.score, result.max_score, result.status) == (4.0, 5.0, "failed")

    xml = JUnitXml.fromfile(str(junit))
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (4, 1, 0, 0)
    cases = [case for suite in ([xml] if isinstance(xml, TestSuite) else xml) for case in suite]
    failed = [case for case in cases if case.result]
    assert failed[0].result[0].message == "POST /echo: expected status 201, got 200."

    data = json.loads(gradescope.read_text())
    assert (data["score"], data["max_score"]) == (4.0, 5.0)
    assert [t["status"] for t in data["tests"]] == ["passed", "passed", "failed", "passed"]
    assert "Echo what you get." in data["tests"][2]["output"]

    text = summary.read_text()
    assert text.startswith("earlier step\n### lab90")
    assert "80% (4/5), not passed ❌" in text
    assert "| ❌ | POST /echo answers 201 with the body | 0/1 |" in text


def test_list_shows_last_and_best_scores(kit, tmp_path):
    before = run_cli("list", root=kit)
    assert before.returncode == 0
    assert "lab90-echo" in before.stdout
    good = run_cli("lab90", "--suites", str(kit / "suites"), "--runner", "local", root=kit)
    assert good.returncode == 0
    source = kit / "labs" / "lab90-echo" / "app" / "main.py"
    source.write_text(source.read_text().replace("status_code=201", "status_code=200"))
    worse = run_cli("lab90", "--suites", str(kit / "suites"), "--runner", "local", root=kit)
    assert worse.returncode == 1
    state = json.loads((kit / ".grade" / "state.json").read_text())
    assert state["labs"]["lab90"]["last"]["percent"] == 80.0
    assert state["labs"]["lab90"]["best"]["percent"] == 100.0
    after = run_cli("list", root=kit)
    assert "80%" in after.stdout
    assert "100%" in after.stdout


def test_grading_the_solution_or_another_path_leaves_the_learners_history_alone(kit):
    done = run_cli(
        "lab90",
        "--path",
        str(kit / "labs" / "lab90-echo"),
        "--suites",
        str(kit / "suites"),
        "--runner",
        "local",
        root=kit,
    )
    assert done.returncode == 0
    assert not (kit / ".grade" / "state.json").exists()


def test_doctor_says_what_is_available(kit):
    done = run_cli("doctor", root=kit)
    assert done.returncode == 0
    assert "docker runner:" in done.stdout
    assert "local runner:" in done.stdout
    assert "postgres:" in done.stdout
    assert "redis:" in done.stdout


def test_schema_is_the_documented_one():
    done = run_cli("schema", root=ROOT)
    assert done.returncode == 0
    documented = json.loads((ROOT / "docs" / "results.schema.json").read_text())
    assert json.loads(done.stdout) == documented == GradeResult.model_json_schema()


def test_version_and_help(kit):
    assert run_cli("--version", root=kit).stdout.startswith("grade ")
    helped = run_cli("--help", root=kit)
    assert helped.returncode == 0
    assert "grade lab02" in helped.stdout


def test_watch_grades_again_when_a_file_changes(kit):
    """`grade watch` grades once, then again on every save, until it is stopped."""
    env = {**__import__("os").environ, "GRADE_ROOT": str(kit)}
    process = subprocess.Popen(
        [sys.executable, "-m", "grader", "watch", "lab90", "--suites", str(kit / "suites")],
        cwd=kit,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    seen: list[str] = []

    def read_until(text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                seen.append(lines.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
            if text in seen[-1]:
                return
        raise AssertionError(f"the watcher did not print {text!r}: {''.join(seen)[-2000:]}")

    try:
        read_until("Watching")
        source = kit / "labs" / "lab90-echo" / "app" / "main.py"
        source.write_text(source.read_text().replace("status_code=201", "status_code=200"))
        read_until("NOT PASSED")
        state = kit / ".grade" / "state.json"
        last = eventually(
            lambda: json.loads(state.read_text())["labs"]["lab90"]["last"]["percent"],
            timeout=10,
            until=lambda percent: percent == 80.0,
            what="the watcher recording the new score",
        )
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert any("PASSED" in line and "NOT" not in line for line in seen)
    assert last == 80.0


def test_an_extra_instance_that_does_not_start_fails_only_its_check(kit, tmp_path):
    (kit / "suites" / "lab90" / "test_extra.py").write_text(
        '"""Extra"""\n\nfrom grader.checks import check\n\n\n'
        '@check("an extra instance", points=1, hint="-")\n'
        "def test_extra(start_app):\n"
        '    start_app({"PYTHONHASHSEED": "not-a-number"})\n'
    )
    graded = grade("lab90", "--suites", str(kit / "suites"), tmp=tmp_path, root=kit)
    assert graded.outcome("basics::health") == "passed"
    assert graded.outcome("extra::extra") == "failed"
    extra = next(c for c in graded.result.checks if c.id == "extra::extra")
    assert extra.message.startswith("another instance of the app did not start: the app exited with code 1")
    assert "PYTHONHASHSEED" in (extra.app_output or "")
    assert graded.result.app.started
    assert graded.result.app.problem is None


def test_only_runs_the_named_checks_with_their_prerequisites(kit, tmp_path):
    graded = grade(
        "lab90", "--suites", str(kit / "suites"), "--only", "basics::greeting", tmp=tmp_path, root=kit
    )
    assert graded.exit_code == 0, graded.stderr
    assert [check.id for check in graded.result.checks] == ["basics::health", "basics::greeting"]
    assert graded.result.only == ["basics::greeting"]
    assert "Partial run: only basics::greeting" in graded.stdout
    assert not (kit / ".grade" / "state.json").exists()  # a partial run is no score for the lab
    wrong = grade("lab90", "--suites", str(kit / "suites"), "--only", "basic", tmp=tmp_path, root=kit)
    assert wrong.exit_code == 2
    assert "--only basic: no such check or module (did you mean basics?)" in wrong.result.error
