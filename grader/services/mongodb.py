"""MongoDB for labs that declare `mongodb`: MONGODB_URL for the app, an admin URL for the suite.

Three backends, one protocol (start() -> Endpoint, stop() removes everything):

* environment: the server named by the learner's MONGODB_URL. Each run gets a fresh database, and a
  user that owns only that database when the server lets the URL's user create one (a server without
  access control accepts it too); the database and the user are dropped afterwards.
* embedded: SecantusDB (the `secantusdb` wheel), a MongoDB-wire-protocol server on WiredTiger, started
  as a child process on a free loopback port with its own data folder, access control on, a root user
  for the suite and a user that owns only the run's database for the app. It advertises itself as the
  primary of a replica set of one, so multi-document transactions work. It starts in about a second.
* container: the official `mongo:8` image on the docker run's private network, as a replica set of
  one (`--replSet rs0`, initiated by the grader) so that transactions work, with access control on
  (a root user for the suite, a database owner for the app).

Every URL the app gets names its database in the path and its authSource: `mongodb://lab:…@host/lab
?authSource=lab`. The suite's URL (Endpoint.host_url) names a root user, with the run's database in
its path (pymongo's `get_default_database()`).
"""

from __future__ import annotations

import contextlib
import os
import queue
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from grader.errors import GraderError
from grader.runners.base import Endpoint
from grader.services.base import NetworkedContainer, run_database_name

MONGO_PORT = 27017
APP_USER, ADMIN_USER, APP_DB, REPLICA_SET = "lab", "grader", "lab", "rs0"
MONGO_IMAGE = os.environ.get("GRADE_MONGO_IMAGE", "mongo:8")
EMBEDDED_START_SECONDS = 60.0


def mongo_client(url: str, **kwargs: Any) -> Any:
    import pymongo

    options = {"serverSelectionTimeoutMS": 3000, "connectTimeoutMS": 3000, "socketTimeoutMS": 10000}
    return pymongo.MongoClient(url, **{**options, **kwargs})


def wait_for_mongo(url: str, timeout: float, *, primary: bool = False) -> None:
    """Bounded polling until `url` answers ping (and, with `primary`, until it is a writable primary)."""
    import pymongo.errors

    from grader.polling import eventually

    def probe() -> bool:
        with mongo_client(url, serverSelectionTimeoutMS=1500) as client:
            hello = client.admin.command("hello")
            return not primary or bool(hello.get("isWritablePrimary"))

    eventually(
        probe,
        timeout=timeout,
        interval=0.1,
        transient=(pymongo.errors.PyMongoError,),
        what=f"MongoDB at {redact(url)}",
    )


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _url(user: str, password: str, hostport: str, database: str, **query: str) -> str:
    credentials = f"{quote(user, safe='')}:{quote(password, safe='')}@"
    return f"mongodb://{credentials}{hostport}/{database}?{urlencode(query)}"


def _create_app_user(admin_url: str, database: str, user: str, password: str) -> None:
    with mongo_client(admin_url) as client:
        client[database].command(
            "createUser", user, pwd=password, roles=[{"role": "dbOwner", "db": database}]
        )


# -- environment ------------------------------------------------------------------------------------


class MongoFromEnvironment:
    """A fresh database (and, where allowed, its own user) on the learner's server, dropped at stop()."""

    kind = "mongodb"

    def __init__(self, url: str, run_id: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("mongodb", "mongodb+srv"):
            raise GraderError(
                f"MONGODB_URL={redact(url)!r} is not a MongoDB URL.", "Use mongodb://host:27017/."
            )
        self.parts = parts
        self.server_url = url
        self.database = run_database_name(run_id)
        self.user = self.database + "_app"
        self.password = secrets.token_hex(16)
        self.user_created = False
        self.started = False

    def _with(self, database: str, netloc: str | None = None, **query: str) -> str:
        """The learner's URL naming `database`, its own credentials still authenticating where they did."""
        options = dict(parse_qsl(self.parts.query))
        if self.parts.username is not None and "authSource" not in options:
            options["authSource"] = self.parts.path.strip("/") or "admin"  # what the path meant before
        options.update(query)
        return urlunsplit(
            (self.parts.scheme, netloc or self.parts.netloc, "/" + database, urlencode(options), "")
        )

    def start(self) -> Endpoint:
        import pymongo.errors

        admin_url = self._with(self.database)
        try:
            with mongo_client(admin_url) as client:
                client.admin.command("ping")
        except pymongo.errors.PyMongoError as exc:
            raise GraderError(
                f"Could not use the MongoDB at MONGODB_URL: {str(exc).splitlines()[0][:200]}.",
                "Start it, or unset MONGODB_URL to use an embedded server.",
            ) from None
        self.started = True
        try:
            _create_app_user(admin_url, self.database, self.user, self.password)
            self.user_created = True
        except pymongo.errors.OperationFailure:
            pass  # not allowed to create users: the app shares the URL's user, on its own database
        if self.user_created:
            hostport = self.parts.netloc.rpartition("@")[2]
            options = {k: v for k, v in parse_qsl(self.parts.query) if k != "authSource"}
            credentials = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}@"
            app_url = urlunsplit(
                (
                    self.parts.scheme,
                    credentials + hostport,
                    "/" + self.database,
                    urlencode({**options, "authSource": self.database}),
                    "",
                )
            )
        else:
            app_url = admin_url
        return Endpoint(kind=self.kind, app_url=app_url, host_url=admin_url)

    def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        import pymongo.errors

        with (
            contextlib.suppress(pymongo.errors.PyMongoError),
            mongo_client(self._with(self.database)) as client,
        ):
            if self.user_created:
                client[self.database].command("dropUser", self.user)
            client.drop_database(self.database)
        self.user_created = False


# -- embedded ---------------------------------------------------------------------------------------

# The server process: reads its users from stdin (never the command line), provisions them before it
# listens, prints "ready <port>", serves until SIGTERM/SIGKILL. Run with `python -I -c`.
NODE = r"""
import json, signal, sys, threading
from secantus.auth import derive_credentials
from secantus.server import SecantusDBServer

config = json.loads(sys.stdin.readline())
server = SecantusDBServer("127.0.0.1", 0, config["storage"], replica_set_name=config["replica_set"],
                          require_auth=True, enable_test_commands=False)
for user in config["users"]:
    credentials = derive_credentials(user["password"], mechanism="SCRAM-SHA-256", username=user["name"])
    server.storage.add_user(user["db"], user["name"], {
        "_id": user["db"] + "." + user["name"], "user": user["name"], "db": user["db"],
        "credentials": credentials.to_doc(), "roles": user["roles"], "mechanisms": ["SCRAM-SHA-256"],
    }, replace=False)
server.start()
print("ready", server.port, flush=True)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
stop.wait()
server.stop()
"""


def secantus_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("secantus") is not None


class EmbeddedMongo:
    """SecantusDB as a child process: access control on, a root user and the app's database owner."""

    kind = "mongodb"

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.workdir: Path | None = None

    def start(self) -> Endpoint:
        import json

        from grader.services.embedded import _chown_tree, _server_user

        if not secantus_available():
            raise GraderError(
                "No MongoDB for this lab: MONGODB_URL is not set and secantusdb is not installed.",
                "Run `pip install -e .` in the kit, or set MONGODB_URL to a server you run.",
            )
        owner = _server_user()
        self.workdir = Path(tempfile.mkdtemp(prefix="grade-mongodb-"))
        (self.workdir / "data").mkdir()
        _chown_tree(self.workdir, owner)
        admin_password, app_password = secrets.token_hex(16), secrets.token_hex(16)
        config = {
            "storage": str(self.workdir / "data"),
            "replica_set": REPLICA_SET,
            "users": [
                {
                    "db": "admin",
                    "name": ADMIN_USER,
                    "password": admin_password,
                    "roles": [{"role": "root", "db": "admin"}],
                },
                {
                    "db": APP_DB,
                    "name": APP_USER,
                    "password": app_password,
                    "roles": [{"role": "dbOwner", "db": APP_DB}],
                },
            ],
        }
        user = {"user": owner[0], "group": owner[1], "extra_groups": []} if owner else {}
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-c", NODE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
            env={"PATH": "/usr/bin:/bin", "HOME": str(self.workdir), "LANG": "C.UTF-8"},
            start_new_session=True,
            **user,  # type: ignore[call-overload]
        )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(config).encode() + b"\n")
        self.process.stdin.close()
        lines: queue.Queue[bytes] = queue.Queue()
        output = self.process.stdout

        def read() -> None:
            for line in output:
                lines.put(line)
            lines.put(b"")

        threading.Thread(target=read, name="embedded-mongodb-output", daemon=True).start()
        seen: list[bytes] = []
        port = 0
        try:
            while not port:
                line = lines.get(timeout=EMBEDDED_START_SECONDS)
                if not line:
                    raise RuntimeError("it exited")
                seen.append(line)
                if line.startswith(b"ready "):
                    port = int(line.split()[1])
        except (queue.Empty, RuntimeError, ValueError) as exc:
            tail = b"".join(seen[-20:]).decode(errors="replace")[-800:]
            self.stop()
            reason = (
                f"not ready within {EMBEDDED_START_SECONDS:g} s" if isinstance(exc, queue.Empty) else str(exc)
            )
            raise GraderError(f"The embedded MongoDB did not start: {reason}. {tail}", None) from None
        hostport = f"127.0.0.1:{port}"
        return Endpoint(
            kind=self.kind,
            app_url=_url(APP_USER, app_password, hostport, APP_DB, authSource=APP_DB),
            host_url=_url(ADMIN_USER, admin_password, hostport, APP_DB, authSource="admin"),
        )

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


# -- container --------------------------------------------------------------------------------------


class MongoContainer(NetworkedContainer):
    """The official image as a replica set of one on the docker run's network (mongodb:27017)."""

    kind = "mongodb"

    def start(self) -> Endpoint:
        import pymongo.errors
        from testcontainers.core.container import DockerContainer

        from grader.polling import TimedOut
        from grader.services.containers import start_on_network

        admin_password, app_password = secrets.token_hex(16), secrets.token_hex(16)
        keyfile = secrets.token_urlsafe(96).encode()  # a replica set with access control needs one
        # The key file must belong to the server's user and be readable by it alone: copy it so first.
        command = (
            "install -m 400 -o mongodb -g mongodb /etc/grader-keyfile /tmp/keyfile && "
            f"exec docker-entrypoint.sh mongod --replSet {REPLICA_SET} --bind_ip_all --keyFile /tmp/keyfile"
        )
        container = (
            DockerContainer(MONGO_IMAGE)
            .with_env("MONGO_INITDB_ROOT_USERNAME", ADMIN_USER)
            .with_env("MONGO_INITDB_ROOT_PASSWORD", admin_password)
            .with_copy_into_container(keyfile, "/etc/grader-keyfile", 0o400)
            .with_command(["bash", "-c", command])
        )
        self.container = container
        start_on_network(container, kind=self.kind, network=self.network, name=self.name, labels=self.labels)
        local = self.tunnel.forward(self.kind, MONGO_PORT)
        admin_url = _url(
            ADMIN_USER,
            admin_password,
            f"127.0.0.1:{local}",
            APP_DB,
            authSource="admin",
            directConnection="true",
        )
        try:
            wait_for_mongo(admin_url, timeout=120)
            with mongo_client(admin_url) as client:
                try:
                    client.admin.command(
                        "replSetInitiate",
                        {"_id": REPLICA_SET, "members": [{"_id": 0, "host": f"{self.kind}:{MONGO_PORT}"}]},
                    )
                except pymongo.errors.OperationFailure as exc:
                    if exc.code != 23:  # AlreadyInitialized
                        raise
            wait_for_mongo(admin_url, timeout=60, primary=True)
            _create_app_user(admin_url, APP_DB, APP_USER, app_password)
        except (pymongo.errors.PyMongoError, TimedOut) as exc:
            first = str(exc).splitlines()[0][:200]
            raise GraderError(
                f"The mongodb container did not become a replica set primary: {first}.",
                "Run `grade doctor`, or grade with --runner local.",
            ) from None
        app_url = _url(APP_USER, app_password, f"{self.kind}:{MONGO_PORT}", APP_DB, authSource=APP_DB)
        return Endpoint(kind=self.kind, app_url=app_url, host_url=admin_url)


__all__ = ["EmbeddedMongo", "MongoContainer", "MongoFromEnvironment", "secantus_available", "wait_for_mongo"]
