"""The small pieces suites and runners are built from: log tails, polling, bursts, the stub server,
replay lines, manifests, expectations, and the bounds on everything a check waits for (deadlines, the
bounded HTTP client's total time and decoded size)."""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from grader import deadline
from grader.checks import (
    CheckFailed,
    SetupFailed,
    check,
    expect_header,
    expect_status,
    json_body,
    require_status,
)
from grader.concurrency import burst
from grader.errors import GraderError
from grader.http import MAX_BODY, Api, BoundedClient, Recorder, ResponseTooLarge, as_curl, summarize
from grader.labs import discover
from grader.manifest import load_manifest
from grader.plugin import CheckTimeout, _raise_in
from grader.polling import TimedOut, eventually
from grader.runners.base import AppStartError, LogBuffer, RunningApp
from grader.stub import StubResponse, StubServer
from tests.kit import ROOT


def test_a_log_buffer_stays_bounded_whatever_the_flood():
    logs = LogBuffer(max_lines=100, max_line_length=50)
    for _ in range(1000):
        logs.feed(b"x" * 10_000 + b"\n")
    logs.feed(b"last line")
    logs.close()
    tail, cut = logs.tail(5)
    assert cut
    assert tail.splitlines()[-1] == "last line"
    assert all(len(line) < 100 for line in tail.splitlines())
    assert logs.total_bytes > 10_000_000
    assert len(logs._lines) == 100


def test_a_log_buffer_slices_what_a_check_printed():
    logs = LogBuffer()
    logs.feed(b"before\n")
    mark = logs.mark()
    logs.feed(b"during 1\nduring 2\n")
    assert logs.since(mark) == ("during 1\nduring 2", False)
    assert logs.since(mark, limit=1) == ("during 2", True)


def test_eventually_returns_as_soon_as_it_holds_and_is_bounded():
    calls: list[int] = []

    def probe() -> int:
        calls.append(len(calls))
        return calls[-1]

    assert eventually(probe, timeout=30, until=lambda n: n >= 3) == 3
    assert len(calls) == 4, "it stops probing the moment the condition holds"
    with pytest.raises(TimedOut) as raised:
        eventually(lambda: 0, timeout=0.2, what="zero becoming one")
    assert "zero becoming one did not hold within 0.2 s" in str(raised.value)
    assert raised.value.last == 0


def test_burst_starts_calls_together_and_keeps_every_outcome():
    """All eight calls are under way at once: each waits at a barrier that only opens when all eight
    reached it (calls run one after another would break it), and every outcome comes back in order."""
    together = threading.Barrier(8)

    def call(i: int) -> int:
        together.wait(timeout=20)
        if i == 3:
            raise ValueError("three")
        return i

    results = burst(8, call)
    assert [r for r in results if not isinstance(r, BaseException)] == [0, 1, 2, 4, 5, 6, 7]
    assert isinstance(results[3], ValueError)
    assert not together.broken


def test_the_stub_server_routes_records_and_delays():
    with StubServer() as stub:
        stub.route("GET", "/items/{id}", lambda request: StubResponse.json({"id": request.params["id"]}))
        stub.route("POST", "/echo", lambda request: (201, request.json()))
        stub.route("GET", "/slow", lambda request: StubResponse.text("late", delay=1.0))
        stub.route("GET", "/away", lambda request: StubResponse.redirect("/items/1"))
        with httpx.Client(base_url=stub.url) as client:
            assert client.get("/items/7").json() == {"id": "7"}
            assert client.post("/echo", json={"a": 1}).status_code == 201
            assert client.get("/away").headers["location"] == "/items/1"
            assert client.get("/nowhere").status_code == 404
            started = time.monotonic()
            assert client.get("/slow").text == "late"
            assert time.monotonic() - started >= 1.0  # a lower bound: the delay is honoured
        assert stub.count("/items/7") == 1
        assert stub.count(method="GET") == 4
        stub.reset()
        assert stub.count() == 0


def test_replay_lines_and_summaries_are_what_a_learner_can_paste():
    request = httpx.Request(
        "POST",
        "http://127.0.0.1:51234/v1/books?x=1",
        json={"title": "L'Étranger"},
        headers={"X-Client-Id": "abc", "Idempotency-Key": "k 1"},
    )
    line = as_curl(request, "http://localhost:8000")
    assert line.startswith("curl -i -X POST 'http://localhost:8000/v1/books?x=1'")
    assert "-H 'x-client-id: abc'" in line
    assert "-H 'idempotency-key: k 1'" in line
    assert "--data-binary" in line
    response = httpx.Response(
        201,
        headers={"Location": "/v1/books/1", "Content-Type": "application/json"},
        content=b'{"id": 1}',
        request=request,
    )
    assert (
        summarize(response) == '201 Created  content-type: application/json  location: /v1/books/1  {"id": 1}'
    )


def test_expectations_fail_with_one_sentence_and_the_response():
    with StubServer() as stub:
        stub.route("GET", "/", lambda request: StubResponse.text("not json", status=500))
        with Api(stub.url, recorder=Recorder(), timeout=2) as api:
            response = api.get("/")
            with pytest.raises(CheckFailed) as status:
                expect_status(response, 200, 204)
            assert status.value.message == "GET /: expected status 200 or 204, got 500."
            assert status.value.response is response
            with pytest.raises(CheckFailed) as header:
                expect_header(response, "ETag")
            assert header.value.message == "GET /: the answer has no ETag header."
            with pytest.raises(CheckFailed) as body:
                json_body(response)
            assert body.value.message == "GET /: expected a JSON body, got 'not json'."
            assert api.recorder.last().response is response


def test_a_check_needs_points_and_a_hint():
    with pytest.raises(ValueError, match="points must be positive"):
        check("x", points=0, hint="h")
    with pytest.raises(ValueError, match="needs a hint"):
        check("x", points=1, hint=" ")


def test_every_lab_manifest_loads_and_matches_its_folder():
    labs = discover(ROOT)
    assert labs
    for lab in labs:
        assert lab.folder.name == lab.manifest.folder_name


def test_a_missing_manifest_is_one_sentence(tmp_path):
    with pytest.raises(GraderError) as raised:
        load_manifest(tmp_path / "lab.toml")
    assert raised.value.message == f"{tmp_path / 'lab.toml'} does not exist."


# -- deadlines: what a check's budget reaches --------------------------------------------------------


def _serve_once(answer: Callable[[socket.socket], None]) -> tuple[int, threading.Thread]:
    """A one-connection server on a port the kernel picks (bound here, reported back): `answer` talks
    to the client after its request arrived."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        with listener:
            listener.settimeout(30)
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                with contextlib.suppress(OSError):
                    answer(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return port, thread


def test_a_trickling_answer_ends_at_the_requests_total_deadline():
    """One byte every 0.2 s never trips a per-read timeout (2 s); the total deadline ends the request."""
    stop = threading.Event()

    def trickle(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(1000):
            if stop.wait(0.2):
                return
            conn.sendall(b"x")

    port, server = _serve_once(trickle)
    started = time.monotonic()
    try:
        with BoundedClient(timeout=2) as client, pytest.raises(httpx.TimeoutException):
            client.get(f"http://127.0.0.1:{port}/")
        assert time.monotonic() - started < 10  # a per-read timeout alone would wait 200 s
    finally:
        stop.set()
        server.join(5)


def test_a_trickling_readiness_probe_ends_at_the_start_up_limit():
    """The readiness probe runs before any check's budget: a /health that answers a byte every 0.2 s
    must still end at the start-up limit, with the reason, instead of holding the grader."""
    stop = threading.Event()

    def trickle(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        while not stop.wait(0.2):
            conn.sendall(b"x")

    port, server = _serve_once(trickle)

    class Trickling(RunningApp):
        name, base_url, own_port, logs = "t", f"http://127.0.0.1:{port}", port, LogBuffer()

        def alive(self) -> bool:
            return True

        @property
        def exit_code(self) -> int | None:
            return None

        def stop(self) -> None:
            stop.set()

    started = time.monotonic()
    try:
        with pytest.raises(AppStartError, match="did not answer 200 on GET /health within 3 s"):
            Trickling().wait_ready("/health", timeout=3)
        assert time.monotonic() - started < 30  # without a total bound per probe: 200 s
    finally:
        stop.set()
        server.join(5)


def test_the_checks_deadline_shortens_every_request():
    stop = threading.Event()
    port, server = _serve_once(lambda conn: stop.wait(60))  # accepts, never answers
    started = time.monotonic()
    try:
        with deadline.within(1.5), BoundedClient(timeout=30) as client, pytest.raises(httpx.TimeoutException):
            client.get(f"http://127.0.0.1:{port}/")
        assert time.monotonic() - started < 10  # the request's own 30 s were never waited for
    finally:
        stop.set()
        server.join(5)


def test_a_gzip_bomb_is_cut_at_the_decoded_size_cap():
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)  # 64 MiB in about 64 KiB
    assert len(bomb) < MAX_BODY // 64
    with StubServer() as stub:
        stub.route(
            "GET", "/bomb", lambda request: StubResponse(body=bomb, headers={"Content-Encoding": "gzip"})
        )
        with BoundedClient(timeout=30) as client:
            with pytest.raises(ResponseTooLarge) as raised:
                client.get(f"{stub.url}/bomb")
            assert str(raised.value) == "the answer to GET /bomb is larger than 8 MiB once decoded"
            small = gzip.compress(b"ok" * 1000)
            stub.route(
                "GET",
                "/small",
                lambda request: StubResponse(body=small, headers={"Content-Encoding": "gzip"}),
            )
            assert client.get(f"{stub.url}/small").content == b"ok" * 1000  # under the cap: whole


def test_eventually_stops_at_the_checks_deadline():
    started = time.monotonic()
    with deadline.within(1.5), pytest.raises(TimedOut):
        eventually(lambda: False, timeout=60, what="never")
    assert time.monotonic() - started < 10  # not the 60 s it was given
    with deadline.within(0.0), pytest.raises(TimedOut):  # past the deadline: one look, no wait
        eventually(lambda: False, timeout=60, what="never")


def test_burst_stops_at_the_checks_deadline():
    with StubServer() as stub:
        stub.route("GET", "/slow", lambda request: StubResponse.text("late", delay=30))
        started = time.monotonic()
        with deadline.within(1.5), BoundedClient(timeout=20) as client:
            results = burst(3, lambda i: client.get(f"{stub.url}/slow"), timeout=30)
        assert time.monotonic() - started < 10
    assert all(isinstance(result, httpx.TimeoutException | TimeoutError) for result in results), results


def test_burst_never_swallows_the_checks_budget():
    """The watchdog interrupts a check waiting in a burst: CheckTimeout goes through the burst (it is
    not kept as one of the results) and ends the check."""
    release = threading.Event()
    arrived = threading.Semaphore(0)
    outcome: list[object] = []

    def call(i: int) -> bool:
        arrived.release()
        return release.wait(30)

    def a_check() -> None:
        try:
            outcome.append(burst(3, call, timeout=60))
        except CheckTimeout:
            outcome.append("interrupted")

    worker = threading.Thread(target=a_check)
    worker.start()
    for _ in range(3):
        assert arrived.acquire(timeout=20), "the burst's calls never started"
    assert worker.ident is not None
    _raise_in(worker.ident, CheckTimeout)
    release.set()
    worker.join(20)
    assert outcome == ["interrupted"]


def test_require_status_blames_the_setup_request():
    request = httpx.Request("PATCH", "http://127.0.0.1:1/v1/books/42/tags/0a1b2c3d4e5f60718293")
    response = httpx.Response(500, text="Internal Server Error", request=request)
    assert require_status(httpx.Response(201, request=request), 201, purpose="x").status_code == 201
    with pytest.raises(SetupFailed) as raised:
        require_status(response, 200, 204, purpose="tag a book")
    failed = raised.value
    assert failed.message == (
        "could not tag a book: PATCH /v1/books/42/tags/0a1b2c3d4e5f60718293 answered 500, not 200 or 204."
    )
    assert failed.cause == "PATCH /v1/books/{id}/tags/{id} answered 500"
    assert failed.response is response
    assert (failed.expected, failed.actual) == ("200 or 204", "500 Internal Server Error")
    assert (failed.hint or "").startswith(
        "This check needs PATCH /v1/books/{id}/tags/{id} to answer 200 or 204"
    )
    assert isinstance(failed, CheckFailed)  # a failure of the check, not a grader error
