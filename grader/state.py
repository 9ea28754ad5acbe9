"""The learner's progress: last and best score per lab and the last result (for `grade hint`), in a
per-user folder: $GRADE_HOME, else $XDG_STATE_HOME/backend-roadmap-labs, else
~/.local/state/backend-roadmap-labs. Never inside the kit: a read-only checkout grades too, and a
submission cannot reach it."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from grader.results import GradeResult


def home() -> Path:
    if env := os.environ.get("GRADE_HOME"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_STATE_HOME") or str(Path("~/.local/state").expanduser())
    return Path(base) / "backend-roadmap-labs"


def state_path(root: Path | None = None) -> Path:
    """The history file (`root`, the kit, is accepted for older callers and not used)."""
    return home() / "state.json"


def last_result_path(lab: str) -> Path:
    return home() / "last" / f"{lab}.json"


def load(root: Path | None = None) -> dict[str, Any]:
    try:
        data = json.loads(state_path().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) and isinstance(data.get("labs"), dict) else {"labs": {}}
    except (OSError, ValueError):
        return {"labs": {}}  # a missing or damaged state file is an empty history, never an error


def last_result(lab: str) -> GradeResult | None:
    try:
        return GradeResult.model_validate_json(last_result_path(lab).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _replace(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".state-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def record(root: Path | None, result: GradeResult) -> None:
    """Keep this run as the lab's last score (and result), and as its best when it is the best so far."""
    if result.status == "error":
        return
    data = load()
    entry = {
        "percent": result.percent,
        "score": result.score,
        "max_score": result.max_score,
        "passed": result.passed,
        "at": result.started_at.isoformat(),
        "runner": result.runner,
    }
    lab = data["labs"].setdefault(result.lab, {})
    lab["last"] = entry
    if not lab.get("best") or entry["percent"] >= lab["best"].get("percent", -1):
        lab["best"] = entry
    with contextlib.suppress(OSError):  # progress is a convenience: never a reason to fail a grade
        _replace(state_path(), json.dumps(data, indent=2))
        _replace(last_result_path(result.lab), result.model_dump_json())
