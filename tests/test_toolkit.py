"""The small pieces suites and runners are built from: log tails, polling, bursts, the stub server,
replay lines, manifests."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from grader.checks import CheckFailed, check, expect_header, expect_status, json_body
from grader.concurrency import burst
from grader.errors import GraderError
from grader.http import Api, Recorder, as_curl, summarize
from grader.labs import discover
from grader.manifest import load_manifest
from grader.polling import TimedOut, eventually
from grader.runners.base import LogBuffer
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
    started = time.monotonic()
    calls = iter(range(100))
    assert eventually(lambda: next(calls), timeout=5, until=lambda n: n >= 3) == 3
    assert time.monotonic() - started < 1
    with pytest.raises(TimedOut) as raised:
        eventually(lambda: 0, timeout=0.2, what="zero becoming one")
    assert "zero becoming one did not hold within 0.2 s" in str(raised.value)


def test_burst_starts_calls_together_and_keeps_every_outcome():
    arrived: list[float] = []
    lock = threading.Lock()

    def call(i: int) -> int:
        with lock:
            arrived.append(time.monotonic())
        if i == 3:
            raise ValueError("three")
        return i

    results = burst(8, call)
    assert [r for r in results if not isinstance(r, BaseException)] == [0, 1, 2, 4, 5, 6, 7]
    assert isinstance(results[3], ValueError)
    assert max(arrived) - min(arrived) < 0.5


def test_the_stub_server_routes_records_and_delays():
    with StubServer() as stub:
        stub.route("GET", "/items/{id}", lambda request: StubResponse.json({"id": request.params["id"]}))
        stub.route("POST", "/echo", lambda request: (201, request.json()))
        stub.route("GET", "/slow", lambda request: StubResponse.text("late", delay=0.2))
        stub.route("GET", "/away", lambda request: StubResponse.redirect("/items/1"))
        with httpx.Client(base_url=stub.url) as client:
            assert client.get("/items/7").json() == {"id": "7"}
            assert client.post("/echo", json={"a": 1}).status_code == 201
            assert client.get("/away").headers["location"] == "/items/1"
            assert client.get("/nowhere").status_code == 404
            started = time.monotonic()
            assert client.get("/slow").text == "late"
            assert time.monotonic() - started >= 0.2
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
