"""The learner's progress: last and best score per lab, in .grade/state.json (git ignores it)."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from grader.results import GradeResult


def state_path(root: Path) -> Path:
    return root / ".grade" / "state.json"


def load(root: Path) -> dict[str, Any]:
    try:
        data = json.loads(state_path(root).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) and isinstance(data.get("labs"), dict) else {"labs": {}}
    except (OSError, ValueError):
        return {"labs": {}}  # a missing or damaged state file is an empty history, never an error


def record(root: Path, result: GradeResult) -> None:
    """Keep this run as the lab's last score, and as its best when it is the best so far."""
    if result.status == "error":
        return
    data = load(root)
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
    path = state_path(root)
    with contextlib.suppress(OSError):
        path.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".state-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
        os.replace(tmp, path)
