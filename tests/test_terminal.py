"""The real `grade` in a real terminal (tmux): what a learner sees on the first screen after grading."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from grader.polling import TimedOut, eventually
from tests.conftest import skip_or_fail
from tests.kit import ROOT

ROWS = 40


@pytest.fixture(autouse=True)
def _tmux() -> None:
    """Skipped where tmux is missing on a developer's machine; under CI (which installs it) a failure."""
    if shutil.which("tmux") is None:
        skip_or_fail("tmux is not installed")


class Terminal:
    """One tmux session on a private server: a terminal of a given size running one command."""

    def __init__(self, width: int, height: int) -> None:
        self.socket = f"grade-test-{uuid.uuid4().hex[:8]}"
        self.session = "grade"
        self.width, self.height = width, height

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30, check=True
        )
        return done.stdout

    def run(self, command: list[str], cwd: Path, env: dict[str, str]) -> None:
        """Run `command`, then print its exit status as the shell's prompt would take that row, and wait
        for a key (a prompt, not a sleep: the terminal stays as the learner sees it)."""
        exports = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
        line = (
            # `trap : INT`: Ctrl-C stops the command, not the shell that prints its exit status
            f"trap : INT; cd {shlex.quote(str(cwd))} && env -i {exports} {shlex.join(command)}; "
            'printf "exit=%s$ " "$?"; read answer'
        )
        self.tmux(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            self.session,
            "-x",
            str(self.width),
            "-y",
            str(self.height),
            "sh",
            "-c",
            line,
        )

    def finished(self, timeout: float) -> int:
        prompt = eventually(
            lambda: [row for row in self.screen() if row.startswith("exit=")],
            timeout=timeout,
            interval=0.5,
            what="grade finishing in the terminal",
        )
        return int(prompt[-1].removeprefix("exit=").rstrip("$ "))

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.session, *keys)

    def wait_for(self, found: Callable[[str], bool], what: str, timeout: float = 120) -> str:
        """The screen once `found` holds for its text (bounded polling, never a fixed sleep)."""
        try:
            return eventually(
                lambda: "\n".join(self.screen()), timeout=timeout, interval=0.3, until=found, what=what
            )
        except TimedOut as exc:
            raise AssertionError(f"{exc}; the screen:\n" + "\n".join(self.screen())) from None

    def screen(self) -> list[str]:
        """The visible rows only: what scrolled off the top is not on the first screen."""
        return self.tmux("capture-pane", "-p").rstrip("\n").split("\n")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=30)


@pytest.fixture
def terminal_of(request: pytest.FixtureRequest) -> Iterator[type[Terminal]]:
    opened: list[Terminal] = []

    def make(width: int, height: int) -> Terminal:
        terminal = Terminal(width, height)
        opened.append(terminal)
        return terminal

    yield make  # type: ignore[misc]
    for terminal in opened:
        terminal.close()


@pytest.mark.slow
@pytest.mark.parametrize("width", [80, 120])
def test_the_first_grade_of_a_starter_fits_the_first_screen(terminal_of, tmp_path, width):
    """lab02's starter graded for real in a 40-row terminal, from inside its folder: the score, the pass
    mark, every category and the first failure with its hint are all on the screen when it ends."""
    terminal = terminal_of(width, ROWS)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "GRADE_ROOT": str(ROOT),
        "TERM": "screen",
        "PYTHONPATH": str(ROOT),  # this checkout's grader, whichever one the venv has installed
    }
    terminal.run([sys.executable, "-m", "grader", "--runner", "local"], ROOT / "labs" / "lab02-rest-api", env)
    assert terminal.finished(timeout=300) == 1
    screen = terminal.screen()
    text = "\n".join(screen)
    score = next((row for row in screen if row.startswith("lab02 · Score ")), None)
    assert score is not None, text
    assert "pass mark 80%" in score
    for category in ("Resources and methods", "Input validation", "Rate limiting"):
        assert category in text, text
    assert "POST /v1/authors answers 201 Created" in text
    assert "hint: " in text
    assert any(row.startswith("Next: ") for row in screen), text


FIXTURE_KIT = ROOT / "tests" / "fixtures" / "kit"
ECHO = FIXTURE_KIT / "labs" / "lab90-echo"


class Echo:
    """A private copy of the fixture kit's lab90 graded in a terminal, with its own TMPDIR (where every
    grading run's folders go) and its own history, so what a run leaves behind can be found."""

    def __init__(self, tmp_path: Path) -> None:
        self.kit = tmp_path / "kit"
        shutil.copytree(FIXTURE_KIT, self.kit, ignore=shutil.ignore_patterns("__pycache__", ".grade"))
        self.lab = self.kit / "labs" / "lab90-echo"
        self.main = self.lab / "app" / "main.py"
        self.tmp = tmp_path / "tmp"
        self.tmp.mkdir()
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path),
            "GRADE_ROOT": str(self.kit),
            "GRADE_HOME": str(tmp_path / "state"),
            "TMPDIR": str(self.tmp),
            "TERM": "screen",
            "PYTHONPATH": str(ROOT),  # this checkout's grader, whichever one the venv has installed
        }

    def command(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "grader",
            *args,
            "--suites",
            str(self.kit / "suites"),
            "--runner",
            "local",
        ]

    def hang_at_start(self) -> None:
        """The app never answers: importing it blocks forever (an Event nobody sets, not a sleep); the
        kit's startup limit is raised so the grade is still waiting when Ctrl-C comes, however slow the
        machine."""
        self.main.write_text("import threading\n\nthreading.Event().wait()\n" + self.main.read_text())
        manifest = self.lab / "lab.toml"
        manifest.write_text(manifest.read_text().replace("startup = 10", "startup = 600"))

    def apps(self) -> list[psutil.Process]:
        """The app's processes: those whose working folder is in a grading run's folder in TMPDIR."""
        found = []
        for process in psutil.process_iter():
            with contextlib.suppress(psutil.Error):
                if process.cwd().startswith(str(self.tmp) + os.sep):
                    found.append(process)
        return found

    def leftovers(self) -> list[str]:
        """What a grade left behind: processes of the app, folders in TMPDIR."""
        processes = [f"process {p.pid} ({' '.join(p.cmdline())[:80]})" for p in self.apps() if p.is_running()]
        return processes + [f"folder {path}" for path in self.tmp.iterdir()]


def _score(text: str) -> list[str]:
    return [row for row in text.splitlines() if row.startswith("lab90 · Score ")]


@pytest.mark.parametrize("width", [80])
def test_watch_grades_again_on_save_and_shows_the_new_score(terminal_of, tmp_path, width):
    """`grade watch` in a terminal: the first grade passes; a save that breaks POST /echo is graded again
    and the screen shows the lower score; Ctrl-C between grades stops watching (exit 0) and leaves no
    app process and no temporary folder."""
    echo = Echo(tmp_path)
    terminal = terminal_of(width, ROWS)
    terminal.run(echo.command("watch", "lab90"), echo.kit, echo.env)
    watching = "Watching labs/lab90-echo for changes (Ctrl-C to stop)…"
    first = terminal.wait_for(lambda text: watching in text, "the first grade and the watcher")
    assert [row.split(" · ")[1:] for row in _score(first)] == [
        ["Score 5/5 (100%)", "pass mark 90%", "PASSED"]
    ]
    echo.main.write_text(echo.main.read_text().replace("status_code=201", "status_code=200"))
    second = terminal.wait_for(lambda text: "NOT PASSED" in text, "the grade after the save")
    assert _score(second)[-1].startswith("lab90 · Score 4/5 (80%) · pass mark 90% · NOT PASSED"), second
    assert "POST /echo: expected status 201, got 200." in second
    terminal.wait_for(lambda text: text.rstrip().endswith(watching), "watching again after the grade")
    terminal.keys("C-c")
    assert terminal.finished(timeout=60) == 0
    assert "Stopped watching." in "\n".join(terminal.screen())
    assert echo.leftovers() == []


@pytest.mark.parametrize("command", ["grade", "watch"])
def test_ctrl_c_during_a_grade_leaves_nothing_behind(terminal_of, tmp_path, command):
    """Ctrl-C while the app is starting (it never answers): grading stops with the documented exit code 2
    and one line, and neither the app's processes nor the run's folders are left; in `grade watch` too."""
    echo = Echo(tmp_path)
    echo.hang_at_start()
    terminal = terminal_of(80, ROWS)
    terminal.run(echo.command(*(["watch"] if command == "watch" else []), "lab90"), echo.kit, echo.env)
    eventually(
        lambda: [p for p in echo.apps() if "uvicorn" in " ".join(p.cmdline())],
        timeout=120,
        interval=0.2,
        transient=(psutil.Error,),
        what="the app starting",
    )
    terminal.keys("C-c")
    assert terminal.finished(timeout=60) == 2
    text = "\n".join(terminal.screen())
    assert "interrupted: grading stopped; everything it started was removed." in text, text
    assert "Traceback" not in text
    assert echo.leftovers() == []
