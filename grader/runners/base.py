"""What every runner offers, whatever it runs the app in (a local process, a Docker container).

A runner is used like an httpx transport: one small interface, several interchangeable backends.

    with runner:                                    # close() removes everything it started
        runner.prepare(submission, app_section)    # copy / build
        endpoints = runner.start_services(kinds)   # DATABASE_URL, REDIS_URL, as the app sees them
        app = runner.start(env)                     # waits for the readiness probe
        worker = ProcessHandle(runner, "worker", manifest.processes["worker"], env)
        worker.start()                              # [processes.worker]: same image, same confinement
        worker.kill()                               # SIGKILL, as a crash; worker.start() again
        runner.run("python -m alembic downgrade base", env)
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from grader import polling
from grader.http import BoundedClient
from grader.manifest import AppSection, Manifest, ProcessSection
from grader.ports import PortLost


class AppStartError(Exception):
    """The app did not become ready: it exited, or never answered the readiness probe in time."""

    def __init__(self, reason: str, *, exit_code: int | None = None, log_tail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.exit_code = exit_code
        self.log_tail = log_tail


class ProcessStartError(AppStartError):
    """A declared process ([processes.<name>]) did not start, or did not start again after a kill."""


class PortTakenError(AppStartError, PortLost):
    """Another process answered on the port the app was given: it was taken between the moment the
    port was found free and the moment the app bound it. Start again on another port."""


class SubmissionError(Exception):
    """The submission could not be made runnable (its image did not build, it is too large, ...).

    The grader did its job: this is a failing grade with an explanation, not a grader error."""

    def __init__(self, reason: str, *, log_tail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.log_tail = log_tail


@dataclass(frozen=True)
class CommandResult:
    exit_code: int | None  # None when it was stopped for running too long
    output: str
    duration: float

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@dataclass(frozen=True)
class Endpoint:
    """A service of the run: the URL the app uses, and the URL the suite uses to inspect it."""

    kind: str  # "postgres" | "redis" | "rabbitmq" | "mongodb"
    app_url: str
    host_url: str

    @property
    def variable(self) -> str:
        return {
            "postgres": "DATABASE_URL",
            "redis": "REDIS_URL",
            "rabbitmq": "AMQP_URL",
            "mongodb": "MONGODB_URL",
        }[self.kind]


class LogBuffer:
    """The tail of what a process printed: bounded in lines and bytes whatever the flood, with a line
    counter so a check can ask for what was printed while it ran."""

    def __init__(self, max_lines: int = 2000, max_line_length: int = 1000) -> None:
        self._lines: deque[str] = deque(maxlen=max_lines)
        self._max_line = max_line_length
        self._partial = b""
        self._lock = threading.Lock()
        self.total_lines = 0
        self.total_bytes = 0

    def feed(self, data: bytes) -> None:
        with self._lock:
            self.total_bytes += len(data)
            chunks = (self._partial + data).split(b"\n")
            self._partial = chunks.pop()[: self._max_line * 4]
            for raw in chunks:
                self._append(raw)

    def close(self) -> None:
        with self._lock:
            if self._partial:
                self._append(self._partial)
                self._partial = b""

    def _append(self, raw: bytes) -> None:
        line = raw.decode("utf-8", "replace").rstrip("\r")
        if len(line) > self._max_line:
            line = line[: self._max_line] + f"… ({len(line) - self._max_line} more characters)"
        self._lines.append(line)
        self.total_lines += 1

    def mark(self) -> int:
        return self.total_lines

    def since(self, mark: int, limit: int = 30) -> tuple[str, bool]:
        """Lines printed after `mark` (at most `limit`, the last ones); True when some were left out."""
        with self._lock:
            count = self.total_lines - mark
            available = list(self._lines)[-count:] if count > 0 else []
        shown = available[-limit:]
        return "\n".join(shown), count > len(shown)

    def tail(self, limit: int = 40) -> tuple[str, bool]:
        with self._lock:
            lines = list(self._lines)
            partial = self._partial.decode("utf-8", "replace")
        if partial:
            lines.append(partial)
        shown = lines[-limit:]
        return "\n".join(shown), self.total_lines > len(shown)


class RunningApp(ABC):
    """One running instance of the submission."""

    name: str
    base_url: str  # where the grader reaches it
    own_port: int  # the port it listens on in its own network (http://127.0.0.1:<own_port> from inside)
    logs: LogBuffer
    startup_seconds: float = 0.0

    @abstractmethod
    def alive(self) -> bool: ...

    @property
    @abstractmethod
    def exit_code(self) -> int | None: ...

    @abstractmethod
    def stop(self) -> None: ...

    def owns_port(self) -> bool:
        """Whether the socket listening on own_port is the app's (a runner that cannot tell says yes)."""
        return True

    @property
    def label(self) -> str:
        """How a message names it: the app (app, app-2, ...) or a declared process (the worker process)."""
        return "the app" if self.name == "app" or self.name.startswith("app-") else f"the {self.name} process"

    def wait_settled(self, seconds: float) -> float:
        """A process that does not listen is ready once it stayed alive for its first `seconds`: an
        import error or a refused connection ends it well within that. Raises AppStartError if it ended."""
        started = time.monotonic()
        try:
            polling.eventually(lambda: not self.alive(), timeout=seconds, what=f"{self.label} ending")
        except polling.TimedOut:
            return time.monotonic() - started
        raise AppStartError(
            f"{self.label} exited with code {self.exit_code} within its first {seconds:g} s",
            exit_code=self.exit_code,
            log_tail=self.logs.tail()[0],
        )

    def wait_ready(self, path: str, timeout: float) -> float:
        """Poll GET path until it answers 200; returns the seconds it took. Bounded by `timeout`."""
        started = time.monotonic()
        deadline = started + timeout
        last = "no answer"
        # each probe ends within 2 s in all: a /health that trickles a byte a second must not hold the
        # grader past its start-up limit (a per-read timeout alone would wait for ever)
        with BoundedClient(base_url=self.base_url, timeout=2.0, max_body=64 * 1024) as client:
            while True:
                if not self.alive():
                    raise AppStartError(
                        f"{self.label} exited with code {self.exit_code} before it was ready",
                        exit_code=self.exit_code,
                        log_tail=self.logs.tail()[0],
                    )
                try:
                    response = client.get(path)
                    if response.status_code == 200:
                        if not self.owns_port():
                            raise PortTakenError(
                                f"another process answered on port {self.own_port}, not the app",
                                exit_code=self.exit_code,
                                log_tail=self.logs.tail()[0],
                            )
                        return time.monotonic() - started
                    last = f"status {response.status_code}"
                except httpx.HTTPError as exc:
                    last = type(exc).__name__
                if time.monotonic() >= deadline:
                    raise AppStartError(
                        f"{self.label} did not answer 200 on GET {path} within {timeout:g} s (last: {last})",
                        exit_code=self.exit_code,
                        log_tail=self.logs.tail()[0],
                    )
                time.sleep(0.05)


class Runner(ABC):
    """Runs a submission's app, its services and its commands, and cleans up everything in close()."""

    name: str

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self.app_section: AppSection = manifest.app

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def prepare(self, submission: Path, app_section: AppSection) -> None:
        """Make the submission runnable (copy it, build its image). Raises SubmissionError."""

    @abstractmethod
    def start_services(self, kinds: list[str], run_id: str) -> list[Endpoint]:
        """Start (or reuse) the services the lab declares, each empty for this run."""

    @abstractmethod
    def start(self, env: Mapping[str, str | None], *, name: str = "app") -> RunningApp:
        """Start one instance with `env` (a None value removes a variable) and wait until it is ready."""

    @abstractmethod
    def start_process(
        self, name: str, process: ProcessSection, env: Mapping[str, str | None], *, logs: LogBuffer
    ) -> RunningApp:
        """Start a declared process ([processes.<name>]) with the app's `env` (and its own `env` table),
        confined like the app, its output fed to `logs`; wait until it is ready (its probe answers, or
        it stayed alive for its `settle` seconds). Raises AppStartError; close() stops it too."""

    @abstractmethod
    def run(self, command: str, env: Mapping[str, str | None], *, timeout: float) -> CommandResult:
        """Run a one-off command (setup, a manifest [commands] entry) in the app's environment."""

    @abstractmethod
    def expose(self, port: int) -> str:
        """`host:port` by which the app reaches a server the suite runs on 127.0.0.1:<port>."""

    def expose_udp(self, port: int) -> str:
        """`address:port` by which the app reaches a UDP server the suite runs on 127.0.0.1:<port>.

        The address is an IP literal (a resolver's nameserver must be one). Runners whose app shares
        the host's loopback (local) need no relay: this default is for them."""
        return f"127.0.0.1:{port}"

    @abstractmethod
    def close(self) -> None:
        """Stop and remove everything this runner started. Safe to call twice."""

    def describe(self) -> str:
        return self.name


def ready_process(instance: RunningApp, process: ProcessSection, timeout: float) -> float:
    """Wait until a just started process is ready: its probe on its port, or alive for `settle` s.
    When it is not, it is stopped (its output read to the end) and AppStartError carries that output."""
    try:
        if process.ready is not None:
            return instance.wait_ready(process.ready, timeout)
        return instance.wait_settled(process.settle)
    except AppStartError as exc:
        instance.stop()
        exc.log_tail = instance.logs.tail()[0]
        raise


class ProcessHandle:
    """A declared process of the submission, by name: the suite reaches it through the `processes`
    fixture to kill it (SIGKILL, as a crash) and start it again. Its log runs on across restarts."""

    def __init__(
        self, runner: Runner, name: str, section: ProcessSection, env: Mapping[str, str | None]
    ) -> None:
        self.runner = runner
        self.name = name
        self.section = section
        self.env: dict[str, str | None] = {**env, **section.env}
        self.logs = LogBuffer()
        self.instance: RunningApp | None = None
        self.starts = 0
        self.killed = False  # stopped by the suite on purpose: not a crash
        self.reported = 0  # the start whose unexpected end was already reported
        self._lock = threading.Lock()

    @property
    def label(self) -> str:
        return f"the {self.name} process"

    def start(self) -> RunningApp:
        """Start it (again); raises ProcessStartError when it does not become ready."""
        with self._lock:
            if self.instance is not None and self.instance.alive():
                raise RuntimeError(f"{self.label} is already running: kill() it first")
            if self.instance is not None:
                self.instance.stop()  # what a crashed one left (its container)
                self.instance = None
            self.starts += 1
            self.killed = False
            mark = self.logs.mark()
            try:
                self.instance = self.runner.start_process(self.name, self.section, self.env, logs=self.logs)
            except AppStartError as exc:
                tail = self.logs.since(mark, limit=40)[0] or exc.log_tail
                raise ProcessStartError(exc.reason, exit_code=exc.exit_code, log_tail=tail) from None
            return self.instance

    def kill(self) -> None:
        """SIGKILL it and all it started, as a crash would (no shutdown handler runs)."""
        with self._lock:
            self.killed = True
            if self.instance is not None:
                self.instance.stop()

    def alive(self) -> bool:
        return self.instance is not None and self.instance.alive()

    @property
    def exit_code(self) -> int | None:
        return self.instance.exit_code if self.instance is not None else None

    @property
    def base_url(self) -> str:
        """Where the grader reaches it, for a process that declares a `port`."""
        if self.instance is None or self.section.port is None:
            raise RuntimeError(f"{self.label} declares no port")
        return self.instance.base_url

    def crashed(self) -> bool:
        """It ended without the suite killing it."""
        return self.instance is not None and not self.killed and not self.instance.alive()

    def crash_report(self) -> tuple[int | None, str] | None:
        """Once per start that ended on its own: its exit code and the last lines it printed (read to
        the end: what it left is stopped first). None while it runs, or when the suite killed it."""
        with self._lock:
            if self.instance is None or self.reported == self.starts or not self.crashed():
                return None
            self.reported = self.starts
            code = self.instance.exit_code
            self.instance.stop()
            return code, self.logs.tail(20)[0]
