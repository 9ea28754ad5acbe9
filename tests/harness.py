"""Grade a tiny fixture suite through the real grading pipeline with a fake runner, in a fresh process.

    python -m tests.harness SPEC.json

SPEC: {"suite": DIR, "out": FILE, "manifest": {...}, "jobs": N, "only": [...]}. The "app" is a
StubServer in this process (the FakeRunner below): GET /health, GET /slow/{seconds} (answers after
that long), GET /status/{code}, POST /items (201 with a Location), GET /say/{text} (the app prints
text). Everything else is the grader's own code: grading.grade, the plugin, the scheduler, the
watchdog, the scoring. The result is written as the GradeResult JSON, with what the suite's `shared`
module observed (if it has one) under "observed".

A fresh process per run: the plugin patches pytest's fixtures and starts threads, and suites of
different tests share module names (test_a.py); none of that may leak into the kit's own test run.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from grader import grading
from grader.labs import Lab
from grader.manifest import AppSection, Manifest, ProcessSection
from grader.runners.base import CommandResult, Endpoint, LogBuffer, Runner, RunningApp
from grader.stub import StubRequest, StubResponse, StubServer


class FakeApp(RunningApp):
    def __init__(self, name: str) -> None:
        self.name = name
        self.logs = LogBuffer()
        self.server = StubServer().start()
        self.base_url = self.server.url
        self.own_port = self.server.port
        self._stopped = False
        self.server.route("GET", "/health", lambda request: StubResponse.json({"status": "ok"}))
        self.server.route("GET", "/slow/{seconds}", self._slow)
        self.server.route("GET", "/status/{code}", lambda request: (int(request.params["code"]), {}))
        self.server.route("POST", "/items", self._create)
        self.server.route("GET", "/say/{text}", self._say)

    @staticmethod
    def _slow(request: StubRequest) -> StubResponse:
        return StubResponse.json({"slow": True}, delay=float(request.params["seconds"]))

    @staticmethod
    def _create(request: StubRequest) -> StubResponse:
        return StubResponse.json({"id": 1}, status=201, headers={"Location": "/items/1"})

    def _say(self, request: StubRequest) -> StubResponse:
        self.logs.feed(f"{request.params['text']}\n".encode())
        return StubResponse.json({"said": request.params["text"]})

    def alive(self) -> bool:
        return not self._stopped

    @property
    def exit_code(self) -> int | None:
        return None

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self.server.stop()


class FakeRunner(Runner):
    name = "fake"

    def __init__(self, manifest: Manifest) -> None:
        super().__init__(manifest)
        self.apps: list[FakeApp] = []

    def prepare(self, submission: Path, app_section: AppSection) -> None:
        self.app_section = app_section

    def start_services(self, kinds: list[str], run_id: str) -> list[Endpoint]:
        return []

    def start(self, env: Mapping[str, str | None], *, name: str = "app") -> RunningApp:
        app = FakeApp(name)
        self.apps.append(app)
        return app

    def start_process(
        self, name: str, process: ProcessSection, env: Mapping[str, str | None], *, logs: LogBuffer
    ) -> RunningApp:
        app = FakeApp(name)
        app.logs = logs
        self.apps.append(app)
        return app

    def run(self, command: str, env: Mapping[str, str | None], *, timeout: float) -> CommandResult:
        words = shlex.split(command)
        words[0] = sys.executable if words[0] in ("python", "python3") else words[0]
        started = time.monotonic()
        try:
            done = subprocess.run(words, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return CommandResult(None, "", time.monotonic() - started)
        return CommandResult(done.returncode, done.stdout + done.stderr, time.monotonic() - started)

    def expose(self, port: int) -> str:
        return f"127.0.0.1:{port}"

    def close(self) -> None:
        for app in self.apps:
            app.stop()


def main(spec_file: str) -> None:
    spec: dict[str, Any] = json.loads(Path(spec_file).read_text())
    suite = Path(spec["suite"])
    manifest = Manifest.model_validate(
        {
            "id": "lab98",
            "slug": "plugin",
            "title": "plugin fixtures",
            "stage": "Testing",
            "app": {"command": "python -m app"},
            **spec.get("manifest", {}),
        }
    )
    submission = suite.parent / "submission"
    (submission / "app").mkdir(parents=True, exist_ok=True)
    lab = Lab(manifest=manifest, folder=submission, root=suite.parent)
    grading.make_runner = lambda name, lab, run_id: FakeRunner(lab.manifest)  # type: ignore[assignment]
    result = grading.grade(
        lab, submission, runner="fake", suites=suite, only=spec.get("only"), jobs=spec.get("jobs")
    )
    data = json.loads(result.model_dump_json())
    shared = sys.modules.get("shared")
    data["observed"] = getattr(shared, "observed", {}) if shared is not None else {}
    Path(spec["out"]).write_text(json.dumps(data, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
