"""Both runners give a suite the same world: services, extra instances, commands, exposed servers.

The fixture lab lab91 uses all of it (tests/fixtures/kit/suites/lab91); it must score 100% under the
docker runner, under the local runner with embedded services, and with services from the environment.
"""

from __future__ import annotations

import os
import secrets

import pytest

from tests.conftest import skip_or_fail
from tests.kit import ROOT, grade, results_summary
from tests.leftovers import Watch
from tests.test_services import LOCAL_PG, LOCAL_REDIS, MANIFEST, _reachable

KIT = ROOT / "tests" / "fixtures" / "kit"


@pytest.mark.parametrize(
    ("runner", "services"),
    [
        ("local", "embedded"),
        ("local", "environment"),
        pytest.param("docker", "containers", marks=pytest.mark.docker),
    ],
)
def test_a_suite_sees_the_same_world_under_every_runner(runner, services, tmp_path, grade_home):
    env = {"DATABASE_URL": "", "REDIS_URL": ""}
    if services == "environment":
        if not (_reachable("postgres") and _reachable("redis")):
            message = "no local PostgreSQL and Redis to name in DATABASE_URL / REDIS_URL"
            skip_or_fail(message)
        env = {"DATABASE_URL": LOCAL_PG, "REDIS_URL": LOCAL_REDIS}
    run_id = f"t{secrets.token_hex(4)}"
    watch = Watch(runner, run_id)
    watch.follow(os.getpid())  # this worker's descendants: the grader and all it starts
    graded = grade(
        "lab91",
        "--suites",
        str(KIT / "suites"),
        runner=runner,
        tmp=tmp_path,
        root=KIT,
        env={**env, "GRADE_RUN_ID": run_id},
    )
    assert graded.exit_code == 0, results_summary(graded)
    assert graded.result is not None
    assert graded.result.percent == 100.0
    # nothing of the run stays: the app, the embedded services, the service containers with their
    # anonymous volumes (no label on those), the network
    assert watch.leftovers() == []
    # the learner's history of this grade went to the test's own home (xdist runs these side by side)
    assert (grade_home / "state.json").exists()
    assert not (KIT / ".grade").exists()


def test_a_build_context_is_bounded_before_it_is_read(tmp_path):
    """Too many files, or too many bytes (a sparse file: nothing is written to disk), are refused with
    one sentence before anything is hashed whole or sent to the engine."""
    from grader.runners.base import SubmissionError
    from grader.runners.docker import MAX_BYTES, MAX_FILES, context_digest

    many = tmp_path / "many"
    many.mkdir()
    for number in range(MAX_FILES + 1):
        (many / f"f{number}.txt").touch()
    with pytest.raises(SubmissionError, match="build context is too large"):
        context_digest(many)
    big = tmp_path / "big"
    big.mkdir()
    with (big / "blob.bin").open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)
    with pytest.raises(SubmissionError, match="build context is too large"):
        context_digest(big)


def test_a_symlink_in_the_context_is_hashed_as_a_link(tmp_path):
    """A link to a file outside the submission changes the digest by its target's name, never by the
    content of what it points at (which may be root's)."""
    from grader.runners.docker import context_digest

    outside = tmp_path / "secret"
    outside.write_text("one")
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "requirements.txt").symlink_to(outside)
    before = context_digest(folder)
    outside.write_text("two")
    assert context_digest(folder) == before


@pytest.mark.docker
def test_the_gateway_token_is_not_on_a_command_line():
    """Any local user reads command lines (ps): the gateway's token travels in its environment, and the
    gateway runs as a uid of its own (same-uid processes could read an environment)."""
    from grader.runners.docker import DockerRunner

    runner = DockerRunner(MANIFEST)
    try:
        tunnel = runner._ensure_network()
        assert runner.gateway is not None
        runner.gateway.reload()
        command = " ".join(runner.gateway.attrs["Args"] or []) + " ".join(
            runner.gateway.attrs["Config"]["Cmd"]
        )
        assert tunnel._token not in command
        assert runner.gateway.attrs["Config"]["User"] not in ("", "root", "0", "65534:65534")
    finally:
        runner.close()


def test_a_port_taken_before_the_app_binds_it_is_not_graded_as_the_app(monkeypatch):
    """free_port() finds a port free and releases it; a parallel grade's app can take it before ours
    binds it, answer our readiness probe and then our checks (CI once graded lab03 against another
    lab's app). The local runner starts again on another port when the listener is not the app's."""
    import http.server
    import threading

    import httpx

    from grader import ports
    from grader.manifest import load_manifest
    from grader.runners import local

    class Foreign(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "7")
            self.end_headers()
            self.wfile.write(b"foreign")

        def log_message(self, *args: object) -> None:
            pass

    foreign = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Foreign)
    threading.Thread(target=foreign.serve_forever, daemon=True).start()
    taken = foreign.server_address[1]
    real, first = ports.free_port, iter([taken])
    monkeypatch.setattr(ports, "free_port", lambda: next(first, None) or real())
    kit = ROOT / "tests" / "fixtures" / "kit" / "labs" / "lab90-echo"
    try:
        with local.LocalRunner(load_manifest(kit / "lab.toml")) as runner:
            runner.prepare(kit, runner.app_section)
            app = runner.start({})
            assert app.own_port != taken
            assert httpx.get(f"{app.base_url}/health", timeout=5).text != "foreign"
            assert len(runner.apps) == 1  # the app that lost the port was stopped and let go
    finally:
        foreign.shutdown()
        foreign.server_close()
