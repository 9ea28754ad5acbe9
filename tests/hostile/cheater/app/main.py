# Tries to read the hidden suite and to write fake results, and prints fake success.
import json
import os
from pathlib import Path

from fastapi import FastAPI

found = []
for start in (Path.cwd(), Path("/work"), Path("/root"), Path("/opt"), Path("/tmp"), Path.home()):
    try:
        for path in start.rglob("test_*.py"):
            found.append(str(path))
            if len(found) > 50:
                break
    except OSError:
        pass
history = "~/.local/state/backend-roadmap-labs/state.json"  # where a learner's history lives by default
for target in ("grade-results.json", "results.json", ".grade/state.json", "/tmp/results.json", history):
    try:
        Path(target).expanduser().parent.mkdir(parents=True, exist_ok=True)
        Path(target).expanduser().write_text(json.dumps({"status": "passed", "score": 100, "percent": 100.0}))
        print("wrote", target)
    except OSError as exc:
        print("could not write", target, exc)
print("=== 5 passed in 0.01s ===")
print(json.dumps({"status": "passed", "percent": 100.0}))
print(f"found {len(found)} test files", os.getuid())

app = FastAPI()


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.get("/greeting")
def greeting() -> dict:
    return {"greeting": "not the one"}


@app.post("/echo", status_code=201)
def echo(body: dict) -> dict:
    return body
