"""The docker runner: the submission built from its own Dockerfile and run as a confined container.

Each run gets a private `--internal` network (no route out) holding the app, its services and one
trusted gateway container. The gateway is the only thing on the default bridge, with one port
published on 127.0.0.1: the grader reaches the app and the services through it (Tunnel.forward),
and the app reaches servers the suite runs on the host through it (Tunnel.reverse). That works the
same on Linux and on Docker Desktop, where the host cannot reach container addresses.

Everything a run starts carries the label backend-labs.run=<run id>; close() removes it all, and
`grade clean` removes what a killed grader left behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shlex
import socket
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import docker
import psutil
from docker.errors import APIError, BuildError, DockerException, ImageNotFound, NotFound
from docker.models.containers import Container
from docker.types import EndpointConfig
from docker.utils import kwargs_from_env
from docker.utils.build import exclude_paths
from requests.exceptions import RequestException
from urllib3.exceptions import HTTPError

from grader.errors import GraderError
from grader.manifest import AppSection, Manifest, ProcessSection, fill_command
from grader.runners.base import (
    CommandResult,
    Endpoint,
    LogBuffer,
    Runner,
    RunningApp,
    SubmissionError,
    ready_process,
)
from grader.runners.tunnel import Tunnel, TunnelError

LABEL = "backend-labs.run"
OWNER_LABEL = "backend-labs.owner"  # the grading process: `grade clean` leaves runs whose owner still lives
IMAGE_LABEL = "backend-labs.image"
GATEWAY_IMAGE = os.environ.get("GRADE_GATEWAY_IMAGE", "python:3.13-slim")
GATEWAY_PORT = 7070
# A uid of its own (not nobody's, which others share on the host): only root may read its environment
GATEWAY_USER = "2999999:2999999"
BUILD_SECONDS = float(os.environ.get("GRADE_BUILD_SECONDS", "600"))
MAX_FILES, MAX_BYTES = 5000, 100 * 1024 * 1024  # the build context, as the local runner's copy
APP_LIMITS: dict[str, Any] = {
    "mem_limit": "1g",
    "memswap_limit": "1g",
    "nano_cpus": 1_500_000_000,
    "pids_limit": 256,
    "cap_drop": ["ALL"],
    "security_opt": ["no-new-privileges"],
    "read_only": True,
    "tmpfs": {"/tmp": "rw,nosuid,nodev,size=128m,mode=1777"},
    "user": "65534:65534",
    "log_config": {"type": "json-file", "config": {"max-size": "20m", "max-file": "1"}},
}
IGNORED_PARTS = {
    ".git",
    "__pycache__",
    ".venv",
    "venv",
    "node_modules",
    ".pytest_cache",
    ".ruff_cache",
    ".grade",
}


def _client() -> docker.DockerClient:
    try:
        return docker.from_env(timeout=60)
    except DockerException as exc:
        raise GraderError(
            f"No Docker engine answers: {exc}.", "Start Docker, or grade with --runner local."
        ) from None


def context_digest(folder: Path) -> str:
    """A hash of what `docker build` would send: the same files give the same image, so no rebuild.

    Bounded like the local runner's copy (MAX_FILES files, MAX_BYTES bytes) and hashed in chunks, so a
    huge context is refused before it is read whole or sent; symlinks are hashed as links, not followed."""
    patterns: list[str] = []
    ignore_file = folder / ".dockerignore"
    if ignore_file.is_file() and not ignore_file.is_symlink():
        with ignore_file.open(encoding="utf-8", errors="replace") as handle:
            patterns = [
                line.strip()
                for line in handle.read(65536).splitlines()
                if line.strip() and not line.startswith("#")
            ]
    digest = hashlib.sha256()
    files = size = 0
    for name in sorted(exclude_paths(str(folder), patterns)):
        if IGNORED_PARTS.intersection(Path(name).parts):
            continue
        path = folder / name
        if path.is_symlink():
            digest.update(name.encode() + b"\0link\0" + os.readlink(path).encode())
        elif path.is_file():
            files += 1
            size += path.stat().st_size
            if files > MAX_FILES or size > MAX_BYTES:
                raise SubmissionError(
                    f"the build context is too large (over {MAX_FILES} files or {MAX_BYTES // 2**20} MB "
                    "outside .git, .venv and caches): add a .dockerignore"
                )
            digest.update(name.encode() + b"\0")
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
            digest.update(b"\0")
    return digest.hexdigest()[:20]


class _WatchedBuild(docker.APIClient):  # type: ignore[misc]
    """A client of its own for one build, whose connection a watchdog can cut: a build step that
    prints nothing (RUN sleep 900) would otherwise block the read of the build's output for ever.
    The engine cancels a build whose client went away, and forcerm removes its container."""

    response: Any = None

    def _post(self, url: str, **kwargs: Any) -> Any:
        self.response = super()._post(url, **kwargs)
        return self.response

    def cut(self) -> None:
        with contextlib.suppress(Exception):
            sock = self._get_raw_response_socket(self.response)
            getattr(sock, "_sock", sock).shutdown(socket.SHUT_RDWR)


class DockerApp(RunningApp):
    def __init__(
        self, name: str, container: Container, base_url: str, own_port: int, logs: LogBuffer | None = None
    ) -> None:
        self.name = name
        self.container = container
        self.base_url = base_url
        self.own_port = own_port
        self.logs = logs if logs is not None else LogBuffer()
        self._state: dict[str, Any] = {}
        self._removed = False
        self._reader = threading.Thread(target=self._read, name=f"{name}-logs", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        with contextlib.suppress(DockerException, OSError, ValueError):
            for chunk in self.container.logs(stream=True, follow=True, stdout=True, stderr=True):
                self.logs.feed(chunk)
        self.logs.close()

    def _refresh(self) -> dict[str, Any]:
        if self._removed:  # its last state stays: the engine no longer knows it
            return self._state
        with contextlib.suppress(DockerException):
            self.container.reload()
            self._state = self.container.attrs.get("State", {})
        return self._state

    def alive(self) -> bool:
        return bool(self._refresh().get("Running"))

    @property
    def exit_code(self) -> int | None:
        state = self._state or self._refresh()
        return None if state.get("Running") else state.get("ExitCode")

    @property
    def oom_killed(self) -> bool:
        return bool((self._state or self._refresh()).get("OOMKilled"))

    def stop(self) -> None:
        """Remove it (SIGKILL when it runs); afterwards it is not alive, killed with 137 if it ran."""
        if self._removed:
            return
        running = bool(self._refresh().get("Running"))
        try:
            self.container.remove(force=True, v=True)  # with the anonymous volumes of a VOLUME
        except NotFound:
            pass
        except DockerException:
            return  # still there: it is seen as it is, and close() removes the run's containers again
        self._removed = True
        if running:
            self._state = {**self._state, "Running": False, "ExitCode": 137}
        self._reader.join(timeout=2)


class DockerRunner(Runner):
    name = "docker"

    def __init__(self, manifest: Manifest, *, run_id: str | None = None) -> None:
        super().__init__(manifest)
        self.run_id = run_id or secrets.token_hex(4)
        self.labels = {LABEL: self.run_id, "backend-labs.lab": manifest.id, OWNER_LABEL: owner_id()}
        self.client = _client()
        self.image: str | None = None
        self.network: Any = None
        self.gateway: Container | None = None
        self.tunnel: Tunnel | None = None
        self.services: list[Any] = []
        self.apps: list[DockerApp] = []
        self.notes: list[str] = []
        self._commands = 0
        self._closed = False

    # -- the image -------------------------------------------------------------------------------
    def prepare(self, submission: Path, app_section: AppSection) -> None:
        self.app_section = app_section
        if not (submission / "Dockerfile").is_file():
            raise SubmissionError("the submission has no Dockerfile, so its image cannot be built")
        tag = f"backend-labs/{self.manifest.id}:{context_digest(submission)}"
        try:
            self.client.images.get(tag)
            self.image = tag  # same files as a previous grade: reuse its image
            return
        except ImageNotFound:
            pass
        log = LogBuffer(max_lines=400)
        api = _WatchedBuild(version=self.client.api.api_version, timeout=60, **kwargs_from_env())
        finished = threading.Event()
        expired = threading.Event()

        def watchdog() -> None:  # independent of the build's output: it cuts a silent build too
            if not finished.wait(BUILD_SECONDS):
                expired.set()
                while not finished.wait(0.5):  # until the read it blocks returns
                    api.cut()

        watcher = threading.Thread(target=watchdog, name="build-watchdog", daemon=True)
        watcher.start()
        try:
            stream = api.build(
                path=str(submission),
                tag=tag,
                rm=True,
                forcerm=True,
                decode=True,
                labels={IMAGE_LABEL: self.manifest.id},
                # memory for the build's RUN steps; the classic builder takes no pids or CPU limit
                container_limits={"memory": 2 * 1024**3, "memswap": 2 * 1024**3},
            )
            for chunk in stream:
                if "stream" in chunk:
                    log.feed(chunk["stream"].encode())
                if "error" in chunk:
                    log.feed(chunk["error"].encode() + b"\n")
                    raise BuildError(chunk["error"].strip(), [])
                if expired.is_set():
                    break
            if expired.is_set():
                raise BuildError(f"the build ran over {BUILD_SECONDS:g} s", [])
        except BuildError as exc:
            raise SubmissionError(
                f"the image did not build: {str(exc).splitlines()[-1][:300]}", log_tail=log.tail(30)[0]
            ) from None
        except (APIError, DockerException, OSError, RequestException, HTTPError) as exc:  # a cut connection
            reason = (
                f"the build ran over {BUILD_SECONDS:g} s"
                if expired.is_set()
                else str(getattr(exc, "explanation", None) or exc)[:300]
            )
            raise SubmissionError(f"the image did not build: {reason}", log_tail=log.tail(30)[0]) from None
        finally:
            finished.set()
            watcher.join(timeout=5)
            api.close()
        self.image = tag

    # -- the run's network and its gateway -----------------------------------------------------
    def _ensure_network(self) -> Tunnel:
        if self.tunnel is not None:
            return self.tunnel
        self.network = self.client.networks.create(
            f"backend-labs-{self.run_id}",
            driver="bridge",
            internal=True,
            labels=self.labels,
            check_duplicate=True,
        )
        token = secrets.token_hex(16)
        source = (Path(__file__).with_name("gateway.py")).read_text(encoding="utf-8")
        config = f'{{"token": "{token}", "port": {GATEWAY_PORT}, "host": "0.0.0.0"}}'
        try:
            self.gateway = self.client.containers.run(
                GATEWAY_IMAGE,
                ["python3", "-c", source],
                environment={"GATEWAY_CONFIG": config},  # not on a command line: ps shows those to all
                name=f"backend-labs-{self.run_id}-gateway",
                detach=True,
                labels=self.labels,
                ports={f"{GATEWAY_PORT}/tcp": ("127.0.0.1", None)},
                user=GATEWAY_USER,
                read_only=True,
                cap_drop=["ALL"],
                security_opt=["no-new-privileges"],
                mem_limit="256m",
                pids_limit=64,
                network="bridge",
            )
        except ImageNotFound:
            raise GraderError(
                f"The image {GATEWAY_IMAGE} is not available and cannot be pulled.",
                f"Run `docker pull {GATEWAY_IMAGE}` once with a network.",
            ) from None
        self.network.connect(self.gateway, aliases=["gateway"])
        port = self._published_port(self.gateway)
        try:
            self.tunnel = Tunnel("127.0.0.1", port, token)  # waits until the gateway answers
        except TunnelError as exc:
            logs = self.gateway.logs(tail=20).decode(errors="replace").strip()
            raise GraderError(
                f"The grader's gateway container did not answer: {exc}. {logs}",
                "Run `grade doctor`, or grade with --runner local.",
            ) from None
        return self.tunnel

    def _published_port(self, container: Container) -> int:
        deadline = time.monotonic() + 10
        while True:
            container.reload()
            bindings = (container.attrs["NetworkSettings"]["Ports"] or {}).get(f"{GATEWAY_PORT}/tcp") or []
            if bindings:
                return int(bindings[0]["HostPort"])
            if time.monotonic() > deadline:
                raise GraderError(
                    "The grader's gateway container did not publish its port.", "Run `grade doctor`."
                )
            time.sleep(0.05)

    # -- services --------------------------------------------------------------------------------
    def start_services(self, kinds: list[str], run_id: str) -> list[Endpoint]:
        from grader.services.base import start_all
        from grader.services.containers import container_service

        tunnel = self._ensure_network()
        services = [
            container_service(
                kind,
                network=self.network.name,
                tunnel=tunnel,
                labels=self.labels,
                name=f"backend-labs-{self.run_id}-{kind}",
            )
            for kind in kinds
        ]
        self.services.extend(services)  # before starting: close() removes whatever did start
        return start_all(services)

    # -- the app -----------------------------------------------------------------------------------
    def _environment(self, env: Mapping[str, str | None], port: int | None) -> dict[str, str]:
        """The environment of the app or a process: a process that does not listen gets no HOST/PORT."""
        base = {
            "HOME": "/tmp",
            "TMPDIR": "/tmp",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
        }
        if port is not None:
            base.update(HOST="0.0.0.0", PORT=str(port))
        for key, value in env.items():
            if value is None:
                base.pop(key, None)
            else:
                base[key] = value
        return base

    def _container(
        self, command: str, env: Mapping[str, str | None], name: str, port: int | None = None
    ) -> Container:
        """A container of the submission's image on the run's network, with the app's limits and labels;
        `port` is the one it listens on (the app's unless given; a process may listen on none)."""
        assert self.image is not None, "prepare() first"
        self._ensure_network()
        port = self.app_section.port if port is None else port
        argv = shlex.split(fill_command(command, "0.0.0.0", port))
        endpoint = EndpointConfig(
            self.client.api._version, aliases=[name]
        )  # app, app-2, ... on the run's network
        return self.client.containers.run(
            self.image,
            argv,
            name=f"backend-labs-{self.run_id}-{name}",
            detach=True,
            labels=self.labels,
            environment=self._environment(env, port or None),
            network=self.network.name,
            networking_config={self.network.name: endpoint},
            **APP_LIMITS,
        )

    def start(self, env: Mapping[str, str | None], *, name: str = "app") -> RunningApp:
        container = self._container(self.app_section.command, env, name)
        tunnel = self._ensure_network()
        local = tunnel.forward(name, self.app_section.port)
        app = DockerApp(name, container, f"http://127.0.0.1:{local}", self.app_section.port)
        self.apps.append(app)
        try:
            app.startup_seconds = app.wait_ready(self.app_section.ready, self.manifest.limits.startup)
        except Exception as exc:
            if app.oom_killed and hasattr(exc, "reason"):
                exc.reason += " (killed: it ran out of its 1 GiB of memory)"
            raise
        return app

    def start_process(
        self, name: str, process: ProcessSection, env: Mapping[str, str | None], *, logs: LogBuffer
    ) -> RunningApp:
        """Its own container from the same image, on the same network with the same limits and labels."""
        container = self._container(process.command, env, name, port=process.port or 0)
        base_url = "http://127.0.0.1:0"
        if process.port is not None:
            base_url = f"http://127.0.0.1:{self._ensure_network().forward(name, process.port)}"
        instance = DockerApp(name, container, base_url, process.port or 0, logs)
        self.apps.append(instance)  # close() removes it whatever happens next
        try:
            instance.startup_seconds = ready_process(instance, process, self.manifest.limits.startup)
        except Exception as exc:
            if instance.oom_killed and hasattr(exc, "reason"):
                exc.reason += " (killed: it ran out of its 1 GiB of memory)"
            raise
        return instance

    def run(self, command: str, env: Mapping[str, str | None], *, timeout: float) -> CommandResult:
        self._commands += 1
        started = time.monotonic()
        container = self._container(command, env, f"command-{self._commands}")
        code: int | None = None
        try:
            code = int(container.wait(timeout=timeout).get("StatusCode", 1))
        except Exception:  # noqa: BLE001 - the docker SDK raises a requests timeout here
            code = None
        output = LogBuffer(max_lines=400)
        with contextlib.suppress(DockerException):
            output.feed(container.logs(stdout=True, stderr=True, tail=400))
        with contextlib.suppress(DockerException):
            container.remove(force=True, v=True)
        return CommandResult(exit_code=code, output=output.tail(60)[0], duration=time.monotonic() - started)

    def expose(self, port: int) -> str:
        return self._ensure_network().reverse(port, port, slots=4)  # each used slot is replaced at once

    def expose_udp(self, port: int) -> str:
        """UDP datagrams to <gateway's address>:<port> reach 127.0.0.1:<port> of the host, and back.

        The gateway's IP address on the run's network, not its name: a resolver's nameserver (the app
        of a DNS lab) must be an address. TCP to the same address reaches what expose(port) relays."""
        self._ensure_network().reverse_udp(port, port)
        assert self.gateway is not None
        self.gateway.reload()
        return f"{self.gateway.attrs['NetworkSettings']['Networks'][self.network.name]['IPAddress']}:{port}"

    # -- cleanup -----------------------------------------------------------------------------------
    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.tunnel is not None:
            with contextlib.suppress(Exception):
                self.tunnel.close()
        for app in self.apps:
            app.stop()
        remove_run(self.client, self.run_id)
        self.client.close()


def remove_run(client: docker.DockerClient, run_id: str | None = None) -> dict[str, int]:
    """Remove the containers, networks and volumes of one run (or of every run when run_id is None)."""
    selector = {"label": f"{LABEL}={run_id}" if run_id else LABEL}
    removed = {"containers": 0, "networks": 0, "volumes": 0, "images": 0}

    def remove(container: Container) -> None:
        with contextlib.suppress(NotFound, APIError):
            container.remove(force=True, v=True)
            removed["containers"] += 1

    with ThreadPoolExecutor(max_workers=8) as pool:  # killing containers one by one is slow
        list(pool.map(remove, client.containers.list(all=True, filters=selector)))
    for network in client.networks.list(filters=selector):
        with contextlib.suppress(NotFound, APIError):
            network.remove()
            removed["networks"] += 1
    for volume in client.volumes.list(filters=selector):
        with contextlib.suppress(NotFound, APIError):
            volume.remove(force=True)
            removed["volumes"] += 1
    return removed


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        return "noboot"


def owner_id(pid: int | None = None) -> str:
    """`host:boot:pid:start` of a process: enough to tell, later and on this machine, whether it lives."""
    process = psutil.Process(pid or os.getpid())
    return f"{socket.gethostname()}:{_boot_id()}:{process.pid}:{process.create_time():.0f}"


def _owner_alive(owner: str | None) -> bool:
    """Whether the grading process that made a run still runs here (another host's run: assume it does)."""
    if not owner:
        return False  # made before owners were recorded: a leftover
    parts = owner.split(":")
    if len(parts) != 4:
        return False
    host, boot, pid, start = parts
    if host != socket.gethostname():
        return True  # an engine shared with another machine: not ours to judge
    if boot != _boot_id() or not pid.isdecimal():
        return False
    try:
        return f"{psutil.Process(int(pid)).create_time():.0f}" == start
    except psutil.Error:
        return False


def clean_leftovers(*, images: bool = False, everything: bool = False) -> dict[str, int]:
    """Remove the runs whose grading process has ended (killed, crashed); `everything`: every run."""
    client = _client()
    try:
        owners: dict[str, str | None] = {}
        listed = [
            *client.containers.list(all=True, sparse=True, filters={"label": LABEL}),
            *client.networks.list(filters={"label": LABEL}),
            *client.volumes.list(filters={"label": LABEL}),
        ]
        for item in listed:
            labels = item.attrs.get("Labels") or item.attrs.get("Config", {}).get("Labels") or {}
            if run := labels.get(LABEL):
                owners[run] = owners.get(run) or labels.get(OWNER_LABEL)
        removed = {"containers": 0, "networks": 0, "volumes": 0, "images": 0, "kept_runs": 0}
        for run, owner in sorted(owners.items()):
            if not everything and _owner_alive(owner):
                removed["kept_runs"] += 1
                continue
            for kind, count in remove_run(client, run).items():
                removed[kind] += count
        if images:
            for image in client.images.list(filters={"label": IMAGE_LABEL}):
                with contextlib.suppress(NotFound, APIError):
                    client.images.remove(image.id, force=True)
                    removed["images"] += 1
        return removed
    finally:
        client.close()


__all__ = ["DockerRunner", "clean_leftovers", "context_digest"]
