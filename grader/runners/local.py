"""The local runner: the app as a confined process on this machine, with the kit's own Python.

The submission is untrusted here too. Each instance runs in its own session and process group with
resource limits; as root it also runs as a throwaway unprivileged uid (RLIMIT_NPROC does not bind
root) inside a cgroup that caps memory and processes; close() kills the whole tree, however it forked.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path

import psutil

from grader.errors import GraderError
from grader.labs import submission_file
from grader.manifest import AppSection, Manifest, ProcessSection, fill_command
from grader.ports import on_a_free_port
from grader.runners.base import (
    CommandResult,
    Endpoint,
    LogBuffer,
    PortTakenError,
    Runner,
    RunningApp,
    SubmissionError,
    ready_process,
)
from grader.runners.cgroups import RunCgroup
from grader.services import local_service
from grader.services.base import Service, start_all

SANDBOX = Path(__file__).with_name("sandbox.py")
GRADER_PACKAGE = Path(__file__).resolve().parent.parent
SCRATCH = ("/tmp", "/var/tmp", "/dev/shm")  # private to the app under a mount namespace
IGNORED = shutil.ignore_patterns(
    ".git",
    "__pycache__",
    "*.pyc",
    ".venv",
    "venv",
    "node_modules",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    ".grade",
)
MAX_FILES, MAX_BYTES = 5000, 100 * 1024 * 1024
FIRST_UID = 2_000_000
MEMORY_BYTES = 1024 * 1024 * 1024  # per run, with a cgroup
MAX_PIDS = 256  # processes and threads per run
RLIMITS = {
    "RLIMIT_CORE": 0,
    "RLIMIT_FSIZE": 256 * 1024 * 1024,
    "RLIMIT_NOFILE": 4096,
}


def _readable_by_others(path: Path) -> bool:
    """Whether an unprivileged user may read `path` itself (once its parents are reachable)."""
    return bool(path.resolve().stat().st_mode & stat.S_IROTH)


def _closed_parents(path: Path) -> list[Path]:
    """The folders above `path` (and above what its links lead to) an unprivileged user cannot search."""
    found: list[Path] = []
    for where in {path.absolute(), path.resolve()}:
        for parent in where.parents:
            real = parent.resolve()
            if not real.stat().st_mode & stat.S_IXOTH and real != Path("/"):
                found.append(real)
    return found


def _unsatisfied(requirements: Path) -> list[str]:
    """Pinned requirements (name==version) this Python does not have, for a one-line warning."""
    missing: list[str] = []
    if not requirements.is_file():
        return missing
    for line in requirements.read_text(encoding="utf-8", errors="replace").splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)", line)
        if not match:
            continue
        name, wanted = match.groups()
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            missing.append(f"{name} (not installed)")
            continue
        if installed != wanted:
            missing.append(f"{name}=={wanted} (installed: {installed})")
    return missing


class LocalApp(RunningApp):
    def __init__(self, name: str, process: subprocess.Popen[bytes], port: int, logs: LogBuffer) -> None:
        self.name = name
        self.process = process
        self.base_url = f"http://127.0.0.1:{port}"
        self.own_port = port
        self.logs = logs
        self._stopped = False
        self._reader = threading.Thread(target=self._read, name=f"{name}-output", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        fd = stream.fileno()
        while chunk := os.read(fd, 65536):
            self.logs.feed(chunk)
        self.logs.close()

    def alive(self) -> bool:
        return self.process.poll() is None

    def owns_port(self) -> bool:
        """The port was found free and released before the app bound it, so a parallel grade can take
        it first, and its app would then answer our probes and our checks. Ready means a process of
        this app's tree listens on it. A tree whose sockets cannot be read counts as the owner."""
        try:
            root = psutil.Process(self.process.pid)
            family = [root, *root.children(recursive=True)]
        except psutil.Error:
            return True
        for member in family:
            try:
                sockets = member.net_connections(kind="tcp")
            except psutil.AccessDenied:
                return True
            except psutil.Error:
                continue
            if any(
                s.status == psutil.CONN_LISTEN and s.laddr and s.laddr.port == self.own_port for s in sockets
            ):
                return True
        return False

    @property
    def exit_code(self) -> int | None:
        return self.process.poll()

    def stop(self) -> None:
        if self._stopped:  # once only: a pid reaped since may be another process's by now
            return
        self._stopped = True
        _kill_session(self.process.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        self._reader.join(timeout=2)


def _kill_session(pid: int) -> None:
    """SIGKILL the process group the sandbox made, and any descendant that left it."""
    try:
        family = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        family = []
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    for process in family:
        with contextlib.suppress(psutil.Error):
            process.kill()


class LocalRunner(Runner):
    name = "local"

    def __init__(self, manifest: Manifest, *, run_id: str | None = None, hide: tuple[Path, ...] = ()) -> None:
        super().__init__(manifest)
        self.hide: list[Path] = [*hide, GRADER_PACKAGE]  # what the app must not see (as root)
        self.private_view = False
        self.run_id = run_id or secrets.token_hex(4)
        self.notes: list[str] = []
        self.workdir = Path(tempfile.mkdtemp(prefix=f"grade-{manifest.id}-{self.run_id}-"))
        self.workdir.chmod(0o755)
        self.appdir = self.workdir / "app"
        self.home = self.workdir / "home"
        self.apps: list[LocalApp] = []
        self.services: list[Service] = []
        self.uid: int | None = None
        self.cgroup: RunCgroup | None = None
        self._closed = False
        self.veiled: list[Path] = []  # closed folders (/root) the sandbox opens around the interpreter
        if os.geteuid() == 0:
            reason = namespaces_refused()
            self.private_view = reason is None
            try:
                self._drop_privileges()
            except GraderError:
                shutil.rmtree(self.workdir, ignore_errors=True)
                raise
            if reason:
                self.notes.append(
                    f"This machine refuses private mount namespaces ({reason}): the app could read the "
                    "kit, its solutions and suites. Grade others' work with --runner docker here."
                )
        else:
            self.notes.append(
                "As a normal user the local runner cannot hide the kit from the app: it could read the "
                "solutions and the hidden suites. Fine for self-study; grade others' work with "
                "--runner docker, or as root."
            )

    # -- confinement ---------------------------------------------------------------------------
    def _drop_privileges(self) -> None:
        """As root the app runs as a throwaway user, who must reach this Python and its packages. A
        folder on the way that is closed to others (a venv in /root) is opened in the app's own mount
        namespace: the folder is replaced by an empty one there, with only the interpreter's folders
        bound back. Where namespaces are refused, one sentence says how to install the kit instead."""
        fix = (
            "Install the kit in a virtual environment outside /root "
            "(/usr/bin/python3 -m venv /opt/labs && /opt/labs/bin/pip install -e .), or use --runner docker."
        )
        needed = [Path(sys.executable), Path(sysconfig.get_paths()["purelib"]), *self._interpreter()]
        for path in needed:
            if not _readable_by_others(path):
                raise GraderError(
                    "Running as root, the local runner runs the app as an unprivileged user, who cannot "
                    f"read {path.resolve()} (its permissions close it to other users).",
                    fix,
                )
        closed = sorted(
            {parent for path in needed for parent in _closed_parents(path)}, key=lambda path: len(path.parts)
        )
        if closed and not self.private_view:
            raise GraderError(
                "Running as root, the local runner runs the app as an unprivileged user, who cannot reach "
                f"{Path(sys.executable).resolve()} or its packages in {closed[0]} (closed to other users), "
                "and this machine refuses the private mount namespace that would open it.",
                fix,
            )
        self.veiled = [
            path
            for path in closed
            if not any(path.is_relative_to(other) and path != other for other in closed)
        ]
        self.uid = run_uid(self.run_id)
        self.cgroup = RunCgroup.create(
            f"{self.manifest.id}-{self.run_id}", memory_bytes=MEMORY_BYTES, max_pids=MAX_PIDS
        )

    def _rlimits(self) -> dict[str, int]:
        limits = dict(RLIMITS)
        if self.uid is not None:
            limits["RLIMIT_NPROC"] = MAX_PIDS
        else:  # the user's own processes count too: allow that many more
            mine = sum(
                1
                for p in psutil.process_iter(["uids"])
                if p.info["uids"] and p.info["uids"].real == os.getuid()
            )
            limits["RLIMIT_NPROC"] = mine + MAX_PIDS * 4
        if self.cgroup is None:
            limits["RLIMIT_AS"] = 4 * MEMORY_BYTES
        return limits

    def _spawn(self, argv: list[str], env: Mapping[str, str]) -> subprocess.Popen[bytes]:
        config = {
            "cgroup_procs": self.cgroup.procs_files if self.cgroup else [],
            "rlimits": self._rlimits(),
            "uid": self.uid,
            "gid": self.uid,
            "cwd": str(self.appdir),
            "private": self._view() if self.private_view else None,
            "argv": argv,
            "env": dict(env),
        }
        return subprocess.Popen(
            [sys.executable, "-I", "-S", str(SANDBOX), json.dumps(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            close_fds=True,
        )

    def _interpreter(self) -> list[Path]:
        """The folders the app's Python needs: the venv, its base installation, the executable's folder."""
        return [
            Path(sys.prefix).resolve(),
            Path(sys.base_prefix).resolve(),
            Path(sys.executable).resolve().parent,
        ]

    def _view(self) -> dict[str, list[str]]:
        """What the sandbox hides from the app, what it gives it fresh, and what it keeps reachable."""
        hide = {str(path.resolve()) for path in [*self.hide, *self.veiled]}
        for package in {GRADER_PACKAGE, *_installed_grader()}:  # this kit, and the one the app would import
            hide.add(str(package))
            if (package.parent / "labs").is_dir() or (package.parent / "solutions").is_dir():
                hide.add(str(package.parent))  # an editable install: the whole checkout
        if root := os.environ.get("GRADE_ROOT"):
            hide.add(str(Path(root).expanduser().resolve()))
        keep = {str(self.workdir.resolve()), *(str(path) for path in self._interpreter())}
        if self.veiled:  # the venv's own bin/python link, reached through the folder the sandbox opened
            keep.add(str(Path(sys.executable).absolute().parent))
        return {"hide": sorted(hide), "keep": sorted(keep), "scratch": list(SCRATCH)}

    def _argv(self, command: str, port: int) -> list[str]:
        words = shlex.split(fill_command(command, "127.0.0.1", port))
        return [sys.executable, *words[1:]]  # the manifest's `python` is this kit's Python

    def _environment(self, env: Mapping[str, str | None], port: int | None) -> dict[str, str]:
        """The environment of the app or a process: a process that does not listen gets no HOST/PORT."""
        bin_dir = str(Path(sys.executable).parent)
        base = {
            "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.home),
            "TMPDIR": str(self.home),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        if port is not None:
            base.update(HOST="127.0.0.1", PORT=str(port))
        for key, value in env.items():
            if value is None:
                base.pop(key, None)
            else:
                base[key] = value
        return base

    # -- the Runner interface ------------------------------------------------------------------
    def prepare(self, submission: Path, app_section: AppSection) -> None:
        self.app_section = app_section
        files = 0
        size = 0
        for path in submission.rglob("*"):
            if any(part in {".git", "__pycache__", ".venv", "venv", "node_modules"} for part in path.parts):
                continue
            if path.is_file():
                files += 1
                size += path.stat().st_size
            if files > MAX_FILES or size > MAX_BYTES:
                raise SubmissionError(
                    f"the submission is too large to grade (over {MAX_FILES} files or "
                    f"{MAX_BYTES // 1024 // 1024} MB outside .git, .venv and caches)"
                )
        shutil.copytree(submission, self.appdir, ignore=IGNORED, symlinks=True)
        self.home.mkdir()
        if self.uid is not None:
            for folder, _dirs, names in os.walk(self.appdir):
                os.chmod(folder, 0o755)
                for name in names:
                    file = os.path.join(folder, name)
                    if not os.path.islink(file):
                        os.chmod(file, 0o644 | (os.stat(file).st_mode & 0o111))
            os.chown(self.home, self.uid, self.uid)
            self.home.chmod(0o700)
        requirements = submission_file(submission, "requirements.txt")
        if requirements is not None and (missing := _unsatisfied(requirements)):
            self.notes.append(
                "requirements.txt asks for what this Python does not have: "
                + ", ".join(missing[:5])
                + (" …" if len(missing) > 5 else "")
                + f". Install it with: pip install -r {requirements}"
            )

    def start_services(self, kinds: list[str], run_id: str) -> list[Endpoint]:
        services = [local_service(kind, run_id) for kind in kinds]
        self.services.extend(services)  # before starting: close() stops whatever did start
        return start_all(services)

    def start(self, env: Mapping[str, str | None], *, name: str = "app") -> RunningApp:
        command, limit = self.app_section.command, self.manifest.limits.startup
        return self._on_a_free_port(
            lambda port: LocalApp(
                name, self._spawn(self._argv(command, port), self._environment(env, port)), port, LogBuffer()
            ),
            lambda app: app.wait_ready(self.app_section.ready, limit),
        )

    def start_process(
        self, name: str, process: ProcessSection, env: Mapping[str, str | None], *, logs: LogBuffer
    ) -> RunningApp:
        """In the same sandbox as the app: same uid, same cgroup, its own process group."""
        limit = self.manifest.limits.startup
        if process.port is None:
            argv = self._argv(process.command, 0)
            instance = LocalApp(name, self._spawn(argv, self._environment(env, None)), 0, logs)
            self.apps.append(instance)  # close() kills it whatever happens next
            instance.startup_seconds = ready_process(instance, process, limit)
            return instance
        return self._on_a_free_port(
            lambda port: LocalApp(
                name, self._spawn(self._argv(process.command, port), self._environment(env, port)), port, logs
            ),
            lambda instance: ready_process(instance, process, limit),
        )

    def _on_a_free_port(
        self, launch: Callable[[int], LocalApp], ready: Callable[[LocalApp], float]
    ) -> LocalApp:
        """Start on a port found free; when a parallel grade took it before the instance bound it (the
        listener is not the instance's), start again on another."""

        def start(port: int) -> LocalApp:
            instance = launch(port)
            self.apps.append(instance)  # close() kills it whatever happens next
            try:
                instance.startup_seconds = ready(instance)
            except PortTakenError:
                instance.stop()
                self.apps.remove(instance)
                raise
            return instance

        return on_a_free_port(start)

    def run(self, command: str, env: Mapping[str, str | None], *, timeout: float) -> CommandResult:
        started = time.monotonic()
        process = self._spawn(self._argv(command, 0), self._environment(env, 0))
        logs = LogBuffer(max_lines=400)
        holder = LocalApp("command", process, 0, logs)
        try:
            code: int | None = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        holder.stop()
        return CommandResult(exit_code=code, output=logs.tail(60)[0], duration=time.monotonic() - started)

    def expose(self, port: int) -> str:
        return f"127.0.0.1:{port}"

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for app in self.apps:
            with contextlib.suppress(Exception):
                app.stop()
        if self.cgroup is not None:
            self.cgroup.remove()
        if self.uid is not None:
            _kill_uid(self.uid)
        for service in reversed(self.services):
            with contextlib.suppress(Exception):
                service.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


@functools.cache
def _installed_grader() -> tuple[Path, ...]:
    """The grader package the app's interpreter imports outside this checkout: another kit installed in
    the venv (an editable install of another checkout) is as much the kit as this one."""
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", "import grader, os; print(os.path.dirname(grader.__file__))"],
            capture_output=True,
            text=True,
            timeout=30,
            cwd="/",
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    found = done.stdout.strip()
    return (Path(found).resolve(),) if done.returncode == 0 and found else ()


@functools.cache
def namespaces_refused() -> str | None:
    """None when the sandbox can make private mount and IPC namespaces here, else why not."""
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", str(SANDBOX), "--probe"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    if done.returncode == 0:
        return None
    lines = done.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit {done.returncode}"


def run_uid(run_id: str) -> int:
    """The throwaway uid of a run, outside the ranges systems give to users and to user namespaces."""
    return FIRST_UID + int(hashlib.sha256(run_id.encode()).hexdigest(), 16) % 900_000


def _kill_uid(uid: int, timeout: float = 5.0) -> None:
    """Kill every process of a throwaway uid: a helper with that uid signals all it may (kill -1)."""
    script = (
        "import os, signal\n"
        "for _ in range(200):\n"
        "    try: os.kill(-1, signal.SIGKILL)\n"
        "    except ProcessLookupError: break\n"
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        remaining = [
            p for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == uid
        ]
        if not remaining:
            return
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run(
                [os.path.realpath(sys.executable), "-I", "-S", "-c", script],  # not a link in /root
                user=uid,
                group=uid,
                extra_groups=[],
                timeout=5,
                check=False,
            )
