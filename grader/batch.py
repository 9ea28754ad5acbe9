"""A teacher's whole class: grade many submissions of one lab, write a gradebook, resume, shard, merge.

Each submission is graded by its own `grade` process (`python -I -m grader run ...`): its own run id,
network, services and database, and a crash, hang or build failure of one submission is recorded for
that submission while the batch goes on. A bounded pool runs several at once. Results land in an
output folder, one JSON report per submission (docs/results.md) beside a small `.meta.json` that holds
the submission's hash and the kit's fingerprint: a second run skips what it has already graded with the
same kit (`force` regrades). `--shard K/N` grades a deterministic slice, and `merge` joins shards.
"""

from __future__ import annotations

import collections
import csv
import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from grader import __version__
from grader.errors import GraderError
from grader.labs import Lab
from grader.results import GradeResult
from grader.runners.docker import IGNORED_PARTS as SKIPPED_PARTS  # what no runner grades either
from grader.runners.local import MAX_BYTES, MAX_FILES

Status = Literal["passed", "failed", "error", "timeout"]
STUDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
CLONE_SECONDS = 120.0
STOP_SECONDS = 60.0  # after SIGTERM, how long a grade process gets to remove what it started
_RUNNING: set[subprocess.Popen[bytes]] = set()  # grade processes of this batch, stopped on an interrupt
_RUNNING_LOCK = threading.Lock()
_STOPPING = threading.Event()  # set on an interrupt: a grade cut short is not a verdict, nothing is saved
GRADEBOOK_FIELDS = ["student", "score", "max_score", "percent", "status", "duration", "hash", "reason"]


@dataclass(frozen=True)
class Submission:
    student: str
    source: str  # a folder, or a git URL (cloned shallowly at `ref`)
    ref: str | None = None

    @property
    def is_git(self) -> bool:
        return bool(re.match(r"^(https?|ssh|git|file)://", self.source)) or self.source.startswith("git@")


@dataclass
class Row:
    """One submission's line in the gradebook (and its .meta.json)."""

    student: str
    status: Status
    score: float = 0.0
    max_score: float = 0.0
    percent: float = 0.0
    duration: float = 0.0
    hash: str = ""
    kit: str = ""
    reason: str = ""
    categories: dict[str, float] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)  # check id -> outcome, to compare repeats
    unstable: list[str] = field(default_factory=list)  # checks whose outcome differed between repeats

    @property
    def graded(self) -> bool:
        return self.status in ("passed", "failed")


# -- which submissions -----------------------------------------------------------------------------
def _check_student(student: str, where: str) -> str:
    if not STUDENT.match(student):
        raise GraderError(
            f"{where}: {student!r} is not a usable student id.",
            "Use letters, digits and . _ @ + - (at most 100 characters): it names the student's files.",
        )
    return student


def read_roster(path: Path) -> list[Submission]:
    """`student,source[,ref]` per line (a folder relative to the roster, or a git URL); `#` comments."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GraderError(
            f"Cannot read the roster {path}: {exc}.", "Give a readable UTF-8 CSV file."
        ) from None
    found: list[Submission] = []
    for number, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
        fields = [value.strip() for value in fields]
        if not fields or not fields[0] or fields[0].startswith("#"):
            continue
        if number == 1 and [value.lower() for value in fields[:2]] == ["student", "source"]:
            continue  # a header line
        if len(fields) not in (2, 3) or not fields[1]:
            raise GraderError(
                f"{path}, line {number}: expected `student,source[,ref]`, got {len(fields)} fields.",
                "One submission per line: a student id, a folder or git URL, and optionally a git ref.",
            )
        student = _check_student(fields[0], f"{path}, line {number}")
        source = fields[1]
        submission = Submission(student, source, (fields[2] or None) if len(fields) == 3 else None)
        if not submission.is_git:
            folder = Path(source).expanduser()
            submission = Submission(student, str(folder if folder.is_absolute() else path.parent / folder))
        found.append(submission)
    return _unique(found)


def from_arguments(arguments: Sequence[str]) -> list[Submission]:
    """Folders on the command line (the student is the folder's name), or one roster file."""
    if len(arguments) == 1 and Path(arguments[0]).is_file():
        return read_roster(Path(arguments[0]))
    found = []
    for argument in arguments:
        folder = Path(argument).expanduser()
        if not folder.is_dir():
            raise GraderError(
                f"{argument} is neither a submission folder nor a roster file.",
                "Give submission folders, or one roster CSV (student,source[,ref]).",
            )
        found.append(Submission(_check_student(folder.resolve().name, argument), str(folder.resolve())))
    return _unique(found)


def _unique(submissions: list[Submission]) -> list[Submission]:
    seen = collections.Counter(submission.student for submission in submissions)
    twice = sorted(student for student, count in seen.items() if count > 1)
    if twice:
        raise GraderError(
            f"Some students appear twice: {', '.join(twice[:5])}.", "Give each student one submission."
        )
    if not submissions:
        raise GraderError("No submissions to grade.", "Give submission folders or a roster with lines.")
    return submissions


def parse_shard(spec: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)/(\d+)", spec.strip())
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise GraderError(f"--shard {spec} is not K/N with 1 <= K <= N.", "For example --shard 2/4.")
    return int(match[1]), int(match[2])


def shard(submissions: Iterable[Submission], k: int, n: int) -> list[Submission]:
    """The K-th of N slices, the same on every machine: students in sorted order, every N-th from K."""
    ordered = sorted(submissions, key=lambda submission: submission.student)
    return [submission for index, submission in enumerate(ordered) if index % n == k - 1]


# -- fingerprints -----------------------------------------------------------------------------------
def fingerprint(folder: Path) -> str:
    """A hash of the submission's files (read one at a time; links hashed as links, never followed)."""
    digest = hashlib.sha256()
    files = size = 0
    for current, dirs, names in os.walk(folder):
        dirs[:] = sorted(name for name in dirs if name not in SKIPPED_PARTS)
        for name in sorted(names):
            path = Path(current, name)
            relative = path.relative_to(folder).as_posix().encode()
            if path.is_symlink():
                digest.update(relative + b"\0link\0" + os.readlink(path).encode() + b"\0")
                continue
            files += 1
            size += path.stat().st_size
            if files > MAX_FILES or size > MAX_BYTES:
                raise GraderError(f"{folder} is too large to grade (over {MAX_FILES} files or 100 MB).")
            digest.update(relative + b"\0")
            with path.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 16), b""):
                    digest.update(chunk)
            digest.update(b"\0")
    return digest.hexdigest()[:16]


def kit_fingerprint(lab: Lab, suites: Path | None) -> str:
    """The grader's version, the lab's manifest and its suite: a result from another kit is regraded."""
    digest = hashlib.sha256(f"{__version__}\0{lab.id}\0".encode())
    digest.update((lab.folder / "lab.toml").read_bytes())
    digest.update(fingerprint(lab.suite(suites)).encode())
    return digest.hexdigest()[:16]


# -- grading one submission -------------------------------------------------------------------------
def fetch(submission: Submission, into: Path) -> Path:
    """The submission's folder; a git URL is cloned shallowly (no prompts, bounded in time)."""
    if not submission.is_git:
        folder = Path(submission.source)
        if not folder.is_dir():
            raise GraderError(f"{folder} does not exist.")
        return folder
    target = into / submission.student
    command = ["git", "clone", "--quiet", "--depth", "1", "--no-tags"]
    if submission.ref:
        command += ["--branch", submission.ref]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
    try:
        subprocess.run(
            [*command, "--", submission.source, str(target)],
            check=True,
            capture_output=True,
            timeout=CLONE_SECONDS,
            env=env,
        )
    except subprocess.TimeoutExpired:
        raise GraderError(f"cloning {submission.source} took more than {CLONE_SECONDS:g} s") from None
    except subprocess.CalledProcessError as exc:
        last = (exc.stderr or b"").decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        raise GraderError(f"cloning {submission.source} failed: {last[0][:300]}") from None
    return target


@dataclass(frozen=True)
class Options:
    lab: Lab
    out: Path
    runner: str = "docker"
    suites: Path | None = None
    timeout: float = 900.0  # one submission's whole grade, image build included
    repeat: int = 1
    force: bool = False
    kit: str = ""  # kit_fingerprint(): results graded by another kit are graded again


def _grade_process(options: Options, folder: Path, report: Path, log: Path) -> tuple[int | None, float]:
    """Run one `grade` in its own process group; on timeout it gets SIGTERM (it cleans up), then SIGKILL."""
    command = [sys.executable, "-I", "-m", "grader", "run", options.lab.id, "--path", str(folder)]
    command += ["--runner", options.runner, "--json", str(report)]
    if options.suites is not None:
        command += ["--suites", str(options.suites)]
    env = {**os.environ, "GRADE_ROOT": str(options.lab.root), "NO_COLOR": "1", "COLUMNS": "100"}
    started = time.monotonic()
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True,
        )  # fmt: skip
        with _RUNNING_LOCK:
            _RUNNING.add(process)
        try:
            process.wait(timeout=options.timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            return None, time.monotonic() - started
        finally:
            with _RUNNING_LOCK:
                _RUNNING.discard(process)
    return process.returncode, time.monotonic() - started


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, STOP_SECONDS), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _row_from(student: str, code: int | None, report: Path, log: Path, seconds: float) -> Row:
    if code is None:
        return Row(student, "timeout", duration=round(seconds, 1), reason="the grade took too long")
    try:
        result = GradeResult.model_validate_json(report.read_bytes())
    except (OSError, ValidationError):
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
        reason = tail[0][:300] if tail else f"the grader exited with code {code} and wrote no report"
        return Row(student, "error", duration=round(seconds, 1), reason=reason)
    return Row(
        student,
        result.status,
        score=result.score,
        max_score=result.max_score,
        percent=result.percent,
        duration=round(seconds, 1),
        reason=result.error or result.app.problem or " ".join(result.held_back_reasons),
        categories={category.name: category.score for category in result.categories},
        outcomes={check.id: check.outcome for check in result.checks},
    )


def grade_submission(
    options: Options, submission: Submission, workdir: Path, previous: Row | None = None
) -> tuple[Row, bool]:
    """Grade one submission (`repeat` times), keep its JSON report and meta; (its row, reused).

    A previous verdict of the same files by the same kit is reused unless `options.force`."""
    results = options.out / "results"
    try:
        folder = fetch(submission, workdir)
        digest = fingerprint(folder)
    except GraderError as exc:
        row = Row(submission.student, "error", reason=exc.message)
        _save_meta(results, row)
        return row, False
    if (
        not options.force
        and previous is not None
        and previous.graded
        and (previous.hash, previous.kit) == (digest, options.kit)
        and (results / f"{submission.student}.json").is_file()
    ):
        return previous, True
    rows: list[Row] = []
    results.mkdir(parents=True, exist_ok=True)
    (options.out / "logs").mkdir(parents=True, exist_ok=True)
    for attempt in range(options.repeat):
        report = results / f"{submission.student}.json"
        log = options.out / "logs" / f"{submission.student}{'' if attempt == 0 else f'.{attempt + 1}'}.log"
        report.unlink(missing_ok=True)
        code, seconds = _grade_process(options, folder, report, log)
        if _STOPPING.is_set():
            report.unlink(missing_ok=True)
            return Row(submission.student, "error", reason="interrupted"), False
        rows.append(_row_from(submission.student, code, report, log, seconds))
    row = rows[0]
    for other in rows[1:]:
        if other.status != row.status or other.outcomes != row.outcomes:
            changed = {check for check in row.outcomes.keys() | other.outcomes.keys()
                       if row.outcomes.get(check) != other.outcomes.get(check)}  # fmt: skip
            row.unstable = sorted(changed) or [f"status {row.status} then {other.status}"]
    row.hash = digest
    row.kit = options.kit
    _save_meta(results, row)
    return row, False


def _save_meta(results: Path, row: Row) -> None:
    results.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=results, prefix=".meta-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(row), handle, indent=1)
    os.replace(tmp, results / f"{row.student}.meta.json")


def load_rows(results: Path) -> dict[str, Row]:
    rows = {}
    for meta in sorted(results.glob("*.meta.json")):
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            row = Row(**data)
        except (OSError, ValueError, TypeError):
            continue  # a damaged meta file is a submission to grade again
        rows[row.student] = row
    return rows


# -- the batch --------------------------------------------------------------------------------------
@dataclass
class Progress:
    """What the display shows: counts, and who has been running longest."""

    total: int
    done: int = 0
    reused: int = 0
    counts: collections.Counter[str] = field(default_factory=collections.Counter)
    running: dict[str, float] = field(default_factory=dict)  # student -> monotonic start
    lock: threading.Lock = field(default_factory=threading.Lock)

    def slowest(self) -> tuple[str, float] | None:
        with self.lock:
            if not self.running:
                return None
            student, started = min(self.running.items(), key=lambda item: item[1])
        return student, time.monotonic() - started


def run_batch(
    options: Options,
    submissions: list[Submission],
    jobs: int,
    on_change: Callable[[Progress], None] = lambda progress: None,
) -> list[Row]:
    """Grade what has no result for this kit yet (all with `force`), `jobs` at a time; rows in order."""
    results = options.out / "results"
    results.mkdir(parents=True, exist_ok=True)
    (options.out / "logs").mkdir(exist_ok=True)
    previous = load_rows(results)
    _STOPPING.clear()
    progress = Progress(total=len(submissions))
    rows: dict[str, Row] = {}
    on_change(progress)

    def one(submission: Submission) -> None:
        with progress.lock:
            progress.running[submission.student] = time.monotonic()
        on_change(progress)
        with tempfile.TemporaryDirectory(prefix="grade-batch-") as workdir:
            row, reused = grade_submission(
                options, submission, Path(workdir), previous.get(submission.student)
            )
        with progress.lock:
            progress.running.pop(submission.student, None)
            rows[submission.student] = row
            progress.done += 1
            progress.reused += reused
            progress.counts[row.status] += 1
        on_change(progress)

    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="batch")
    try:
        for future in [pool.submit(one, submission) for submission in submissions]:
            future.result()
    except BaseException:  # Ctrl-C or SIGTERM: each grade removes what it started; what finished is kept
        pool.shutdown(wait=False, cancel_futures=True)
        stop_all()
        raise
    pool.shutdown()
    return [rows[submission.student] for submission in submissions]


def stop_all() -> None:
    """Stop every grade process still running, each with the time it needs to clean up (in parallel)."""
    _STOPPING.set()
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    stoppers = [threading.Thread(target=_stop, args=(process,)) for process in running]
    for stopper in stoppers:
        stopper.start()
    for stopper in stoppers:
        stopper.join()


def options_for(lab: Lab, out: Path, **kwargs: Any) -> Options:
    options = Options(lab=lab, out=out, **kwargs)
    return replace(options, kit=kit_fingerprint(lab, options.suites))


# -- gradebook, summary, merge ----------------------------------------------------------------------
def write_gradebook(out: Path, rows: list[Row]) -> Path:
    categories = sorted({name for row in rows for name in row.categories})
    path = out / "gradebook.csv"
    fd, tmp = tempfile.mkstemp(dir=out, prefix=".gradebook-")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(GRADEBOOK_FIELDS + categories)
        for row in sorted(rows, key=lambda row: row.student):
            values = [getattr(row, name) for name in GRADEBOOK_FIELDS]
            writer.writerow(
                [_cell(value) for value in values]
                + [_cell(row.categories.get(name, "")) for name in categories]
            )
    os.replace(tmp, path)
    return path


def _cell(value: object) -> str:
    """A spreadsheet must never run a cell as a formula (a student id or a reason could start with =)."""
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _number(text) else text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def summary(rows: list[Row], results: Path) -> str:
    """Markdown: counts, the distribution of scores, the checks failed most often, errors, instability."""
    graded = [row for row in rows if row.graded]
    counts = collections.Counter(row.status for row in rows)
    lines = [
        f"# Batch: {len(rows)} submissions",
        "",
        f"passed {counts['passed']} · failed {counts['failed']} · could not grade "
        f"{counts['error'] + counts['timeout']}",
        "",
        "## Scores",
        "",
        "| percent | submissions |",
        "|---|---|",
    ]
    buckets = collections.Counter(min(int(row.percent // 10), 10) for row in graded)
    for bucket in range(10, -1, -1):
        label = "100" if bucket == 10 else f"{bucket * 10}–{bucket * 10 + 9}"
        lines.append(f"| {label} | {buckets[bucket]} |")
    failed = collections.Counter(
        check for row in graded for check, outcome in row.outcomes.items() if outcome in ("failed", "timeout")
    )
    if failed:
        lines += ["", "## Checks failed most often", "", "| check | submissions |", "|---|---|"]
        lines += [f"| `{check}` | {count} |" for check, count in failed.most_common(10)]
    broken = [row for row in rows if not row.graded]
    if broken:
        lines += ["", "## Could not grade", ""]
        lines += [f"- {row.student}: {row.status}: {_one_line(row.reason)}" for row in broken]
    unstable = [row for row in rows if row.unstable]
    if unstable:
        lines += ["", "## Different verdicts between repeats", ""]
        lines += [f"- {row.student}: {', '.join(row.unstable[:8])}" for row in unstable]
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300].replace("|", "/") or "no reason given"


def finish(out: Path, rows: list[Row]) -> tuple[Path, Path]:
    gradebook = write_gradebook(out, rows)
    path = out / "summary.md"
    path.write_text(summary(rows, out / "results"), encoding="utf-8")
    return gradebook, path


def merge(out: Path, shards: Sequence[Path]) -> list[Row]:
    """Join shard folders into `out`: their reports and metas, one gradebook and one summary."""
    merged: dict[str, Row] = {}
    kits = set()
    for folder in shards:
        results = folder / "results"
        if not results.is_dir():
            raise GraderError(f"{folder} holds no results/ folder.", "Give the --out folders of the shards.")
        for student, row in load_rows(results).items():
            if student in merged:
                raise GraderError(f"{student} was graded in two shards.", "Merge each shard once.")
            merged[student] = row
            kits.add(row.kit)
            if out.resolve() != folder.resolve():
                (out / "results").mkdir(parents=True, exist_ok=True)
                for source in results.glob(f"{student}.*json"):
                    shutil.copyfile(source, out / "results" / source.name)
    if len(kits - {""}) > 1:
        raise GraderError(
            "The shards were graded by different kits (suites or versions).",
            "Grade every shard with one kit.",
        )
    rows = [merged[student] for student in sorted(merged)]
    out.mkdir(parents=True, exist_ok=True)
    finish(out, rows)
    return rows


def default_jobs() -> int:
    """Submissions graded at once: grading mostly waits on apps, so one more than the cores, 2 to 8."""
    return max(2, min(8, (os.cpu_count() or 1) + 1))
