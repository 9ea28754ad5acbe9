"""`grade batch` and `grade merge`: a class graded into a gradebook, resumable, sharded, merged.

The unit tests drive grader.batch with a fake grade process; the end-to-end tests grade the fixture
lab lab90 (a tiny echo app, seconds per submission) with the real CLI and the local runner.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from grader import batch
from grader.errors import GraderError
from grader.labs import resolve
from grader.polling import eventually
from grader.results import GradeResult
from tests.kit import ROOT

FIXTURE_KIT = ROOT / "tests" / "fixtures" / "kit"
SUITES = FIXTURE_KIT / "suites"
ECHO = (FIXTURE_KIT / "labs" / "lab90-echo" / "app" / "main.py").read_text()


# -- rosters, shards, fingerprints ---------------------------------------------------------------
def test_a_roster_names_students_folders_and_git_urls(tmp_path):
    (tmp_path / "subs" / "ada").mkdir(parents=True)
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "student,source,ref\n"
        "# a comment line\n"
        "ada,subs/ada\n"
        "\n"
        "bob,https://git.invalid/bob/lab.git,main\n"
        f"cy,{tmp_path / 'subs' / 'ada'},\n"
    )
    found = batch.read_roster(roster)
    assert [(s.student, s.is_git, s.ref) for s in found] == [
        ("ada", False, None),
        ("bob", True, "main"),
        ("cy", False, None),
    ]
    assert found[0].source == str(tmp_path / "subs" / "ada")  # relative to the roster


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ada,x\nada,y\n", "Some students appear twice: ada."),
        ("=cmd(),x\n", "is not a usable student id"),
        ("ada\n", "expected `student,source[,ref]`, got 1 fields"),
        ("# only a comment\n", "No submissions to grade."),
    ],
    ids=["twice", "bad-id", "fields", "empty"],
)
def test_a_bad_roster_is_one_sentence_with_its_line(tmp_path, text, message):
    roster = tmp_path / "roster.csv"
    roster.write_text(text)
    with pytest.raises(GraderError) as caught:
        batch.read_roster(roster)
    assert message in caught.value.message


def test_shards_split_the_class_once_whatever_the_order(tmp_path):
    subs = [batch.Submission(f"s{i:02}", str(tmp_path)) for i in range(11)]
    slices = [batch.shard(subs, k, 3) for k in (1, 2, 3)]
    assert sorted(s.student for part in slices for s in part) == sorted(s.student for s in subs)
    assert [batch.shard(list(reversed(subs)), k, 3) for k in (1, 2, 3)] == slices
    assert [len(part) for part in slices] == [4, 4, 3]
    with pytest.raises(GraderError, match="K/N"):
        batch.parse_shard("4/3")


def test_the_fingerprint_follows_files_not_links(tmp_path):
    folder = tmp_path / "sub"
    (folder / "app").mkdir(parents=True)
    (folder / "app" / "main.py").write_text("print(1)\n")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "x.pyc").write_bytes(b"cache")
    first = batch.fingerprint(folder)
    (folder / "__pycache__" / "x.pyc").write_bytes(b"another cache")
    assert batch.fingerprint(folder) == first  # caches do not make a new submission
    (folder / "secret").symlink_to("/etc/hostname")
    linked = batch.fingerprint(folder)
    assert linked != first
    (folder / "app" / "main.py").write_text("print(2)\n")
    assert batch.fingerprint(folder) != linked


def test_gradebook_cells_never_run_as_formulas(tmp_path):
    rows = [batch.Row("ada", "error", reason='=HYPERLINK("http://127.0.0.1")', categories={"A": -1.0})]
    batch.write_gradebook(tmp_path, rows)
    with (tmp_path / "gradebook.csv").open() as handle:
        line = next(iter(csv.DictReader(handle)))
    assert line["reason"].startswith("'=")
    assert line["A"] == "-1"  # a negative number stays a number


# -- one submission, with a fake grade process ---------------------------------------------------
@pytest.fixture
def lab90():
    return resolve("lab90", FIXTURE_KIT)


def fake_grader(monkeypatch, verdicts):
    """Replace the grade process: each call writes the next verdict (a dict of check -> outcome, or
    'timeout', or 'crash') as the report a real `grade --json` would write."""
    calls = iter(verdicts)

    def grade_process(options, folder, report, log):
        verdict = next(calls)
        log.write_text("the grader's output\nlast line of the log\n")
        if verdict == "timeout":
            return None, 1.0
        if verdict == "crash":
            return 2, 1.0
        checks = [
            {"id": cid, "title": cid, "category": "Basics", "points": 1.0 if outcome == "passed" else 0.0,
             "max_points": 1.0, "outcome": outcome, "hint": "h", "duration": 0.1}
            for cid, outcome in verdict.items()
        ]  # fmt: skip
        score = sum(c["points"] for c in checks)
        report.write_text(json.dumps({
            "lab": "lab90", "lab_title": "Echo", "submission": str(folder), "runner": "local",
            "status": "passed" if score == len(checks) else "failed", "score": score,
            "max_score": len(checks), "percent": 100 * score // len(checks), "pass_mark": 90,
            "started_at": "2026-11-30T00:00:00Z", "duration": 1.0,
            "app": {"started": True}, "checks": checks,
            "versions": {"grader": "0", "python": "3", "pytest": "9", "platform": "linux"},
        }))  # fmt: skip
        return (0 if score == len(checks) else 1), 1.0

    monkeypatch.setattr(batch, "_grade_process", grade_process)


def test_repeats_that_disagree_are_flagged(monkeypatch, tmp_path, lab90):
    fake_grader(monkeypatch, [{"a::x": "passed", "a::y": "passed"}, {"a::x": "passed", "a::y": "timeout"}])
    options = batch.options_for(lab90, tmp_path / "out", runner="local", repeat=2, suites=SUITES)
    row, reused = batch.grade_submission(options, batch.Submission("ada", str(lab90.folder)), tmp_path)
    assert (row.status, row.unstable, reused) == ("passed", ["a::y"], False)
    assert "a::y" in batch.summary([row], tmp_path)


def test_a_timeout_and_a_crash_are_recorded_and_the_batch_goes_on(monkeypatch, tmp_path, lab90):
    fake_grader(monkeypatch, ["timeout", "crash", {"a::x": "failed"}])
    options = batch.options_for(lab90, tmp_path / "out", runner="local", suites=SUITES)
    subs = [batch.Submission(name, str(lab90.folder)) for name in ("ada", "bob", "cy")]
    rows = batch.run_batch(options, subs, jobs=1)
    assert [(r.student, r.status) for r in rows] == [("ada", "timeout"), ("bob", "error"), ("cy", "failed")]
    assert rows[1].reason == "last line of the log"
    text = batch.summary(rows, tmp_path)
    assert "could not grade 2" in text
    assert "- bob: error: last line of the log" in text


def test_a_verdict_is_reused_only_for_the_same_files_and_kit(monkeypatch, tmp_path, lab90):
    folder = tmp_path / "ada"
    shutil.copytree(lab90.folder, folder)
    fake_grader(monkeypatch, [{"a::x": "passed"}, {"a::x": "failed"}, {"a::x": "passed"}])
    options = batch.options_for(lab90, tmp_path / "out", runner="local", suites=SUITES)
    sub = batch.Submission("ada", str(folder))
    assert batch.run_batch(options, [sub], jobs=1)[0].status == "passed"
    assert batch.run_batch(options, [sub], jobs=1)[0].status == "passed"  # reused: no second call
    (folder / "app" / "main.py").write_text(ECHO + "\n# changed\n")
    assert batch.run_batch(options, [sub], jobs=1)[0].status == "failed"  # new files: graded again
    forced = batch.options_for(lab90, tmp_path / "out", runner="local", force=True, suites=SUITES)
    assert batch.run_batch(forced, [sub], jobs=1)[0].status == "passed"


# -- the real CLI on the fixture lab -------------------------------------------------------------
ENV = {**os.environ, "GRADE_ROOT": str(FIXTURE_KIT), "NO_COLOR": "1"}


def cli(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=ENV,
    )


def batch_args(roster: Path, out: str, *extra: str) -> list[str]:
    """`grade batch lab90 ROSTER` with the local runner and the fixture suites, into `out`."""
    return ["batch", "lab90", str(roster), "--runner", "local", "--suites", str(SUITES), "--out", out, *extra]


@pytest.fixture
def classroom(tmp_path):
    """Four submissions of lab90: two correct (one from a git repository), a wrong one, one that crashes."""
    subs = tmp_path / "subs"
    shutil.copytree(FIXTURE_KIT / "labs" / "lab90-echo", subs / "ada")
    shutil.copytree(FIXTURE_KIT / "labs" / "lab90-echo", subs / "bob")
    (subs / "bob" / "app" / "main.py").write_text(ECHO.replace("GREETING", "GREETINGS", 1))
    shutil.copytree(FIXTURE_KIT / "labs" / "lab90-echo", subs / "cy")
    (subs / "cy" / "app" / "main.py").write_text("raise SystemExit('no configuration')\n")
    repo = tmp_path / "dee.git"
    shutil.copytree(FIXTURE_KIT / "labs" / "lab90-echo", repo)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "lab"], check=True)
    roster = tmp_path / "roster.csv"
    roster.write_text(f"student,source,ref\nada,subs/ada\nbob,subs/bob\ncy,subs/cy\ndee,file://{repo},main\n")
    return roster


def gradebook(folder: Path) -> list[dict[str, str]]:
    with (folder / "gradebook.csv").open() as handle:
        return [{k: v for k, v in row.items() if k != "duration"} for row in csv.DictReader(handle)]


@pytest.mark.slow
def test_a_class_gives_a_gradebook_and_shards_merge_to_the_same(classroom, tmp_path):
    whole = cli(*batch_args(classroom, "all"), cwd=tmp_path)
    assert whole.returncode == 0, whole.stdout + whole.stderr
    rows = {row["student"]: row for row in gradebook(tmp_path / "all")}
    assert {s: r["status"] for s, r in rows.items()} == {
        "ada": "passed", "bob": "failed", "cy": "failed", "dee": "passed"
    }  # fmt: skip
    assert (rows["ada"]["percent"], rows["dee"]["percent"]) == ("100", "100")
    assert float(rows["bob"]["percent"]) < 90
    assert float(rows["cy"]["percent"]) < 90
    for student in rows:  # one report per submission, in the documented schema
        GradeResult.model_validate_json((tmp_path / "all" / "results" / f"{student}.json").read_bytes())
    summary = (tmp_path / "all" / "summary.md").read_text()
    assert "passed 2 · failed 2 · could not grade 0" in summary

    again = cli(*batch_args(classroom, "all"), cwd=tmp_path)
    assert "4 already graded" in again.stdout, again.stdout  # resumed: nothing graded twice

    for k in (1, 2):
        done = cli(*batch_args(classroom, f"shard{k}", "--shard", f"{k}/2"), cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
    merged = cli("merge", "merged", "shard1", "shard2", cwd=tmp_path)
    assert merged.returncode == 0, merged.stderr
    assert gradebook(tmp_path / "merged") == gradebook(tmp_path / "all")


@pytest.mark.slow
def test_an_interrupted_batch_stops_its_grades_and_resumes(classroom, tmp_path):
    command = [sys.executable, "-m", "grader", *batch_args(classroom, "out", "--jobs", "1")]
    process = subprocess.Popen(
        command, cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    results = tmp_path / "out" / "results"
    eventually(lambda: len(list(results.glob("*.meta.json"))) >= 1, timeout=240, what="a first verdict")
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=120)[0].decode()
    assert process.returncode == 2, output
    kept = len(list(results.glob("*.meta.json")))
    assert 1 <= kept < 4  # what finished is kept, the grade cut short is not a verdict
    resumed = cli(*batch_args(classroom, "out"), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"{kept} already graded" in resumed.stdout
    assert len(gradebook(tmp_path / "out")) == 4


@pytest.mark.slow
@pytest.mark.docker
def test_a_broken_build_and_a_hostile_app_are_recorded_while_the_class_is_graded(tmp_path):
    """Under the docker runner (the batch default): a Dockerfile that does not build and an app that
    never answers each get their verdict, the correct submission its 100%, and the batch goes on."""
    subs = tmp_path / "subs"
    shutil.copytree(FIXTURE_KIT / "labs" / "lab90-echo", subs / "ada")
    for student, case in (("bob", "bad_dockerfile"), ("cy", "never_returns")):
        shutil.copytree(FIXTURE_KIT / "labs" / "lab90-echo", subs / student)
        shutil.copytree(ROOT / "tests" / "hostile" / case, subs / student, dirs_exist_ok=True)
    args = ["batch", "lab90", *(str(subs / s) for s in ("ada", "bob", "cy")), "--suites", str(SUITES)]
    done = cli(*args, "--out", "out", "--jobs", "3", cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {row["student"]: row for row in gradebook(tmp_path / "out")}
    assert {s: r["status"] for s, r in rows.items()} == {"ada": "passed", "bob": "failed", "cy": "failed"}
    assert rows["ada"]["percent"] == "100"
    assert "did not build" in rows["bob"]["reason"]
    assert float(rows["cy"]["percent"]) < 90


# -- the files that scale a batch out ------------------------------------------------------------
def test_the_kubernetes_job_is_a_valid_indexed_job_sharding_like_the_cli():
    import kubernetes_validate
    import yaml

    job = yaml.safe_load((ROOT / "docs" / "k8s" / "batch-job.yaml").read_text())
    kubernetes_validate.validate(job, "1.33", strict=True)  # raises on any field Kubernetes refuses
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    container = spec["template"]["spec"]["containers"][0]
    shards = next(e["value"] for e in container["env"] if e["name"] == "SHARDS")
    assert spec["completions"] == int(shards)
    assert '--shard "$((JOB_COMPLETION_INDEX + 1))/$SHARDS"' in container["args"][0]
    for broken in ({"parallelism": "four"}, {"completionsMode": "Indexed"}):  # a wrong type, a typo
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate({**job, "spec": {**spec, **broken}}, "1.33", strict=True)


def test_the_batch_workflow_shards_and_merges():
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "batch.yml").read_text())
    jobs = workflow["jobs"]
    assert set(jobs) == {"plan", "grade", "merge"}
    grade_step = next(
        step["run"] for step in jobs["grade"]["steps"] if step.get("name") == "Grade this shard"
    )
    assert '--shard "$SHARD/$SHARDS"' in grade_step
    assert jobs["merge"]["needs"] == "grade"
    assert any(
        "grade merge gradebook shards/shard-*" in step.get("run", "") for step in jobs["merge"]["steps"]
    )


def test_the_kit_image_installs_the_grader_with_its_labs():
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = re.findall(r"^COPY (.+) \S+$", dockerfile, re.M)
    for sources in copied:
        for source in sources.split():
            assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which does not exist"
    assert 'ENTRYPOINT ["grade"]' in dockerfile
    assert "GRADE_ROOT=/kit" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert "solutions" in ignored  # reference solutions never ship in the grading image
