"""RabbitMQ (AMQP 0-9-1) for labs that declare `rabbitmq`: AMQP_URL for the app, an admin URL for the suite.

Three backends, one protocol (start() -> Endpoint, stop() removes everything):

* environment: the broker named by the learner's AMQP_URL. Each run gets a fresh virtual host and a
  user allowed on that vhost only; both are deleted afterwards. They are made through the management
  HTTP API when the server has it (port 15672: the `rabbitmq:*-management` images, or
  `rabbitmq-plugins enable rabbitmq_management`), else with `rabbitmqctl` when the broker is on this
  machine and `rabbitmqctl` may talk to it (root, the rabbitmq user, a Homebrew install).
* embedded: a throwaway node of the `rabbitmq-server` found on this machine, on free loopback ports,
  with its own data and log folders, its own Erlang cookie and its own epmd, all removed at stop().
* container: the official `rabbitmq:4` image on the docker run's private network.

The app's user may use its own vhost only (configure, write, read on it; nothing elsewhere, no
management tags). The suite's URL (Endpoint.host_url) names an administrator on the same vhost.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import httpx

from grader.errors import GraderError
from grader.runners.base import Endpoint
from grader.services.base import NetworkedContainer

AMQP_PORT = 5672
MANAGEMENT_PORT = 15672
APP_USER, ADMIN_USER, VHOST = "lab", "grader", "lab"
EMBEDDED_START_SECONDS = 180.0  # 5-8 CPU-seconds: a few seconds idle, 80 s seen beside 30 busy processes
RABBITMQCTL_SECONDS = 60.0
RABBITMQ_IMAGE = os.environ.get("GRADE_RABBITMQ_IMAGE", "rabbitmq:4")
SEARCHED = ("/usr/sbin", "/usr/local/sbin", "/opt/homebrew/sbin", "/usr/lib/rabbitmq/bin")


# -- shared pieces ---------------------------------------------------------------------------------


def password_hash(password: str) -> str:
    """RabbitMQ's rabbit_password_hashing_sha256: base64(salt + sha256(salt + password)), 4-byte salt."""
    salt = secrets.token_bytes(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def definitions(vhost: str, users: dict[str, tuple[str, list[str]]], allowed: list[str]) -> dict[str, Any]:
    """A definitions document: `users` (name -> (password, tags)) and full permissions on `vhost` for
    each name in `allowed`. Passwords travel as salted hashes only."""
    return {
        "users": [
            {
                "name": name,
                "password_hash": password_hash(password),
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": tags,
            }
            for name, (password, tags) in users.items()
        ],
        "vhosts": [{"name": vhost}],
        "permissions": [
            {"user": user, "vhost": vhost, "configure": ".*", "write": ".*", "read": ".*"} for user in allowed
        ],
    }


def amqp_url(user: str, password: str, hostport: str, vhost: str) -> str:
    return f"amqp://{quote(user, safe='')}:{quote(password, safe='')}@{hostport}/{quote(vhost, safe='')}"


def wait_for_amqp(url: str, timeout: float, *, alive: Any = None) -> None:
    """Bounded polling until `url` opens an AMQP connection (and its vhost) and closes it again."""
    import pika
    import pika.exceptions

    from grader.polling import eventually

    def probe() -> bool:
        if alive is not None and not alive():
            raise GraderError("The RabbitMQ server stopped while starting.", None)
        parameters = pika.URLParameters(url)
        parameters.connection_attempts = 1
        parameters.socket_timeout = 2
        parameters.stack_timeout = 5
        parameters.blocked_connection_timeout = 5
        pika.BlockingConnection(parameters).close()
        return True

    eventually(
        probe,
        timeout=timeout,
        interval=0.1,
        transient=(pika.exceptions.AMQPError, OSError),
        what=f"RabbitMQ at {redact(url)}",
    )


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


# -- environment ------------------------------------------------------------------------------------


class RabbitMQFromEnvironment:
    """A fresh vhost and user on the learner's broker (AMQP_URL), deleted at stop()."""

    kind = "rabbitmq"

    def __init__(self, url: str, run_id: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("amqp", "amqps"):
            raise GraderError(
                f"AMQP_URL={redact(url)!r} is not an AMQP URL.", "Use amqp://user:password@host:5672/."
            )
        self.parts = parts
        self.admin_user = unquote(parts.username or "guest")
        self.admin_password = unquote(parts.password or "guest")
        self.vhost = f"grade_{run_id}_{secrets.token_hex(3)}"
        self.app_user = self.vhost + "_app"
        self.app_password = secrets.token_hex(16)
        self.how: str | None = None  # "api" or "rabbitmqctl" once the vhost exists

    @property
    def hostport(self) -> str:
        return self.parts.netloc.rpartition("@")[2] or f"127.0.0.1:{AMQP_PORT}"

    def _url(self, user: str, password: str) -> str:
        return urlunsplit(
            (
                self.parts.scheme,
                f"{quote(user, safe='')}:{quote(password, safe='')}@{self.hostport}",
                "/" + quote(self.vhost, safe=""),
                self.parts.query,
                "",
            )
        )

    def _api(self) -> httpx.Client | None:
        """A client of the management API on the broker's host, if it answers with these credentials."""
        host = self.parts.hostname or "127.0.0.1"
        base = f"http://{'[' + host + ']' if ':' in host else host}:{MANAGEMENT_PORT}/api"
        client = httpx.Client(base_url=base, auth=(self.admin_user, self.admin_password), timeout=5.0)
        try:
            if client.get("/overview").status_code == 200:
                return client
        except httpx.HTTPError:
            pass
        client.close()
        return None

    def start(self) -> Endpoint:
        api = self._api()
        try:
            if api is not None:
                self._create_with_api(api)
            else:
                self._create_with_rabbitmqctl()
        finally:
            if api is not None:
                api.close()
        app_url = self._url(self.app_user, self.app_password)
        try:
            wait_for_amqp(app_url, timeout=30)
        except Exception as exc:  # noqa: BLE001 - whatever it was, the run cannot use this broker
            self.stop()
            raise GraderError(
                f"The vhost made for this run on AMQP_URL's broker does not accept its user: {exc}.",
                "Check that AMQP_URL names the broker that rabbitmqctl / the management API manage; "
                "or unset AMQP_URL to use a throwaway server.",
            ) from None
        return Endpoint(
            kind=self.kind, app_url=app_url, host_url=self._url(self.admin_user, self.admin_password)
        )

    def _create_with_api(self, api: httpx.Client) -> None:
        vhost = quote(self.vhost, safe="")
        steps = [
            ("PUT", f"/vhosts/{vhost}", None),
            ("PUT", f"/users/{quote(self.app_user, safe='')}", {"password": self.app_password, "tags": ""}),
        ]
        everything = {"configure": ".*", "write": ".*", "read": ".*"}
        for user in (self.app_user, self.admin_user):
            steps.append(("PUT", f"/permissions/{vhost}/{quote(user, safe='')}", everything))
        self.how = "api"
        for method, path, body in steps:
            try:
                response = api.request(method, path, json=body)
            except httpx.HTTPError as exc:
                response = None
                reason = str(exc)
            if response is None or response.status_code >= 300:
                reason = reason if response is None else f"{response.status_code} {response.text[:200]}"
                self.stop()
                raise GraderError(
                    f"Could not make a vhost for this run on AMQP_URL's broker: {method} {path}: {reason}.",
                    "The user in AMQP_URL needs the administrator tag; "
                    "or unset AMQP_URL to use a throwaway server.",
                )

    def _rabbitmqctl(self) -> str | None:
        host = self.parts.hostname or "127.0.0.1"
        if host not in ("127.0.0.1", "localhost", "::1"):
            return None  # rabbitmqctl manages the node on this machine: not the one AMQP_URL names
        return find_program("rabbitmqctl")

    def _create_with_rabbitmqctl(self) -> None:
        program = self._rabbitmqctl()
        if program is None:
            raise GraderError(
                "AMQP_URL's broker has no management API (port 15672) and no rabbitmqctl here manages "
                "it, so the grader cannot make a fresh vhost for this run.",
                "Enable the management plugin (rabbitmq-plugins enable rabbitmq_management), "
                "or unset AMQP_URL to use a throwaway server.",
            )
        document = definitions(
            self.vhost, {self.app_user: (self.app_password, [])}, [self.app_user, self.admin_user]
        )
        self.how = "rabbitmqctl"
        try:
            done = subprocess.run(
                [program, "import_definitions", "--format", "json"],
                input=json.dumps(document).encode(),
                capture_output=True,
                timeout=RABBITMQCTL_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            done = None
            reason = str(exc)
        if done is None or done.returncode != 0:
            reason = (
                reason if done is None else _first_line((done.stderr or done.stdout).decode(errors="replace"))
            )
            self.how = None
            raise GraderError(
                f"AMQP_URL's broker has no management API and rabbitmqctl could not add a vhost: {reason}.",
                "Enable the management plugin (rabbitmq-plugins enable rabbitmq_management), "
                "or unset AMQP_URL to use a throwaway server.",
            )

    def stop(self) -> None:
        how, self.how = self.how, None
        if how == "api":
            api = self._api()
            if api is not None:
                try:
                    for path in (
                        f"/vhosts/{quote(self.vhost, safe='')}",
                        f"/users/{quote(self.app_user, safe='')}",
                    ):
                        with contextlib.suppress(httpx.HTTPError):
                            api.delete(path)
                finally:
                    api.close()
        elif how == "rabbitmqctl":
            program = self._rabbitmqctl()
            if program is None:
                return

            def run(*argv: str) -> None:
                with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                    subprocess.run(
                        [program, *argv], capture_output=True, timeout=RABBITMQCTL_SECONDS, check=False
                    )

            with ThreadPoolExecutor(max_workers=2) as pool:  # each call boots an Erlang VM: side by side
                list(
                    pool.map(
                        lambda argv: run(*argv),
                        [("delete_vhost", self.vhost), ("delete_user", self.app_user)],
                    )
                )


# -- embedded ---------------------------------------------------------------------------------------


def find_program(name: str) -> str | None:
    """`name` on PATH or in the sbin folders packages put it in (not on a normal user's PATH)."""
    found = shutil.which(name) or next(
        (str(Path(folder) / name) for folder in SEARCHED if os.access(Path(folder) / name, os.X_OK)), None
    )
    return found


def rabbitmq_server_binary() -> str | None:
    """The real `rabbitmq-server` script (Debian's /usr/sbin one is a wrapper that switches user and
    sends the output to /var/log: the script beside the wrapper is the one to run)."""
    found = find_program("rabbitmq-server")
    if found is None:
        return None
    real = Path(found).resolve()
    if real.name != "rabbitmq-server" and (real.parent / "rabbitmq-server").is_file():
        return str(real.parent / "rabbitmq-server")
    return str(real)


def epmd_binary() -> str | None:
    if found := shutil.which("epmd"):
        return found
    erl = shutil.which("erl")
    if erl is None:
        return None
    beside = Path(erl).resolve().parent / "epmd"
    return str(beside) if beside.exists() else None


class EmbeddedRabbitMQ:
    """A throwaway RabbitMQ node: free ports, a private cookie and epmd, its own folders."""

    kind = "rabbitmq"

    def __init__(self, *, plugins: tuple[str, ...] = ()) -> None:
        self.plugins = plugins  # e.g. ("rabbitmq_management",): the kit's own tests of the API path
        self.processes: list[subprocess.Popen[bytes]] = []
        self.workdir: Path | None = None
        self.management_port: int | None = None

    def start(self) -> Endpoint:
        from grader.ports import free_port
        from grader.services.embedded import _chown_tree, _server_user

        server, epmd = rabbitmq_server_binary(), epmd_binary()
        if server is None or epmd is None:
            raise GraderError(
                "No RabbitMQ for this lab: AMQP_URL is not set and no rabbitmq-server was found.",
                "Install RabbitMQ (apt install rabbitmq-server, brew install rabbitmq), or set AMQP_URL "
                "to a broker you run (docker run -p 5672:5672 -p 15672:15672 rabbitmq:4-management).",
            )
        owner = _server_user()
        self.workdir = work = Path(tempfile.mkdtemp(prefix="grade-rabbitmq-"))
        port, dist, epmd_port = free_port(), free_port(), free_port()
        admin_password, app_password = secrets.token_hex(16), secrets.token_hex(16)
        users = {ADMIN_USER: (admin_password, ["administrator"]), APP_USER: (app_password, [])}
        (work / "definitions.json").write_text(json.dumps(definitions(VHOST, users, [ADMIN_USER, APP_USER])))
        config = [
            f"listeners.tcp.1 = 127.0.0.1:{port}",
            "definitions.import_backend = local_filesystem",
            f"definitions.local.path = {work / 'definitions.json'}",
            "log.console = true",
            "log.console.level = warning",
            "log.file = false",
        ]
        if "rabbitmq_management" in self.plugins:
            self.management_port = free_port()
            config += [f"management.tcp.port = {self.management_port}", "management.tcp.ip = 127.0.0.1"]
        (work / "rabbitmq.conf").write_text("\n".join(config) + "\n")
        (work / "enabled_plugins").write_text(f"[{','.join(self.plugins)}].\n")
        (work / "rabbitmq-env.conf").write_text("")  # not the system's /etc/rabbitmq/rabbitmq-env.conf
        cookie = work / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(20))
        cookie.chmod(0o400)
        _chown_tree(work, owner)
        work.chmod(0o700)
        node = f"grade-{secrets.token_hex(4)}@localhost"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin") + ":/usr/sbin:/usr/bin:/bin",
            "HOME": str(work),  # the cookie
            "LANG": "C.UTF-8",
            "RABBITMQ_NODENAME": node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(port),
            "RABBITMQ_DIST_PORT": str(dist),
            "RABBITMQ_MNESIA_BASE": str(work / "mnesia"),
            "RABBITMQ_LOG_BASE": str(work / "log"),
            "RABBITMQ_CONFIG_FILE": str(work / "rabbitmq.conf"),
            "RABBITMQ_CONFIG_FILES": str(work / "conf.d"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(work / "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": str(work / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(work / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(work / "rabbitmq.pid"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_PORT": str(epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }
        user = {"user": owner[0], "group": owner[1], "extra_groups": []} if owner else {}
        self.processes.append(
            subprocess.Popen(
                [epmd, "-port", str(epmd_port)],
                env=env,
                cwd=work,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                **user,  # type: ignore[call-overload]
            )
        )
        log = (work / "server.log").open("wb")
        with log:
            node_process = subprocess.Popen(
                [server],
                env=env,
                cwd=work,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **user,  # type: ignore[call-overload]
            )
        self.processes.append(node_process)
        admin_url = amqp_url(ADMIN_USER, admin_password, f"127.0.0.1:{port}", VHOST)
        try:
            wait_for_amqp(
                admin_url, timeout=EMBEDDED_START_SECONDS, alive=lambda: node_process.poll() is None
            )
        except Exception as exc:  # noqa: BLE001 - any failure to start is reported the same way
            tail = (work / "server.log").read_text(errors="replace")[-800:]
            self.stop()
            raise GraderError(f"The embedded RabbitMQ did not start: {exc}. {tail}", None) from None
        app_url = amqp_url(APP_USER, app_password, f"127.0.0.1:{port}", VHOST)
        return Endpoint(kind=self.kind, app_url=app_url, host_url=admin_url)

    def stop(self) -> None:
        import psutil

        family: list[psutil.Process] = []  # the node's VM and its helpers, whatever group they are in
        for process in self.processes:
            with contextlib.suppress(psutil.Error):
                top = psutil.Process(process.pid)
                family += [top, *top.children(recursive=True)]
        for process in reversed(self.processes):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        for member in family:
            with contextlib.suppress(psutil.Error):
                member.kill()
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        psutil.wait_procs(family, timeout=10)  # gone, not merely signalled, when stop() returns
        self.processes = []
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


# -- container --------------------------------------------------------------------------------------


class RabbitMQContainer(NetworkedContainer):
    """The official image on the docker run's network, reached by the app as rabbitmq:5672."""

    kind = "rabbitmq"

    def start(self) -> Endpoint:
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.wait_strategies import LogMessageWaitStrategy

        from grader.services.containers import start_on_network

        admin_password, app_password = secrets.token_hex(16), secrets.token_hex(16)
        users = {ADMIN_USER: (admin_password, ["administrator"]), APP_USER: (app_password, [])}
        document = json.dumps(definitions(VHOST, users, [ADMIN_USER, APP_USER])).encode()
        config = (
            b"loopback_users.guest = true\n"  # the image lets guest in from anywhere; the run's users only
            b"definitions.import_backend = local_filesystem\n"
            b"definitions.local.path = /etc/rabbitmq/grader-definitions.json\n"
        )
        container = (
            DockerContainer(RABBITMQ_IMAGE)
            .with_copy_into_container(document, "/etc/rabbitmq/grader-definitions.json")
            .with_copy_into_container(config, "/etc/rabbitmq/conf.d/90-grader.conf")
            .waiting_for(LogMessageWaitStrategy("Server startup complete").with_startup_timeout(180))
        )
        self.container = container
        start_on_network(container, kind=self.kind, network=self.network, name=self.name, labels=self.labels)
        local = self.tunnel.forward(self.kind, AMQP_PORT)
        admin_url = amqp_url(ADMIN_USER, admin_password, f"127.0.0.1:{local}", VHOST)
        wait_for_amqp(admin_url, timeout=60)
        app_url = amqp_url(APP_USER, app_password, f"{self.kind}:{AMQP_PORT}", VHOST)
        return Endpoint(kind=self.kind, app_url=app_url, host_url=admin_url)


def describe_embedded() -> str:
    server = rabbitmq_server_binary()
    return f"rabbitmq-server found ({server})" if server else "MISSING: install rabbitmq-server"


__all__ = [
    "EmbeddedRabbitMQ",
    "RabbitMQContainer",
    "RabbitMQFromEnvironment",
    "describe_embedded",
    "wait_for_amqp",
]
