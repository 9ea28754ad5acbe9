"""How many of a lab's mutants the whole suite catches, and what the worst one costs.

Each mutant is graded with the whole suite. It is caught when some check fails or times out on it.
The cascade is the number of required points a single mutant costs: one bug should not cost a whole
lab. Reads the blind mutants of tests/mutants/labNN.py (--all: every mutant), or a draft file with a
list BLIND of dicts ({"name", "why", "breaks", "edits": [...]}, each edit (file, old, new) or a dict
with those keys) as blind-mutant writers hand them in.

    python scripts/blind_rate.py lab02                     # tests/mutants/lab02.py, blind ones
    python scripts/blind_rate.py lab02 --all --jobs 3      # every mutant: catch rate and largest cascade
    python scripts/blind_rate.py lab02 --draft FILE --json out.json
    python scripts/blind_rate.py lab06 --draft FILE --focus  # only the categories whose checks prove the
                                                             # rules each mutant breaks: a first, faster pass
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.kit import LABS, lab_id, mutants_of, mutate  # noqa: E402
from tests.mutants import Mutant, replace  # noqa: E402


def drafts(path: Path) -> list[Mutant]:
    namespace: dict[str, object] = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102 - a kit file, like tests/kit.py
    return [
        Mutant(
            name=entry["name"],
            why=entry["why"],
            edits=tuple(  # (file, old, new) or {"file", "old", "new"}, as /work/blind/FORMAT.md hands them in
                replace(**edit) if isinstance(edit, dict) else replace(*edit) for edit in entry["edits"]
            ),
            catches=(),
            rules=tuple(entry.get("breaks") or ()),
            env=entry.get("env") or {},
            blind=True,
        )
        for entry in namespace["BLIND"]  # type: ignore[union-attr]
    ]


def modules_proving(lab: str) -> dict[str, set[str]]:
    """Rule id -> the suite modules (categories) with a check that names it in `rules=[...]`."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "grader" / "suites" / lab).glob("test_*.py")):
        for listed in re.findall(r"rules=\[([^\]]*)\]", path.read_text()):
            for rule in re.findall(r"R\d+(?:\.\d+)*[a-z]?", listed):
                found.setdefault(rule, set()).add(path.stem.removeprefix("test_"))
    return found


def grade_one(lab: str, solution: Path, mutant: Mutant, runner: str, only: list[str] | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = mutate(solution, mutant, Path(tmp) / "submission")
        out = Path(tmp) / "result.json"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "grader",
                lab,
                "--path",
                str(folder),
                "--runner",
                runner,
                "--json",
                str(out),
                *(["--only", ",".join(only)] if only else []),
            ],
            capture_output=True,
            text=True,
            timeout=900,
            env={**__import__("os").environ, **mutant.env},
            cwd=ROOT,
        )
        if not out.exists():
            return {"name": mutant.name, "caught": None, "error": done.stderr[-300:]}
        result = json.loads(out.read_text())
        failing = [c["id"] for c in result["checks"] if c["outcome"] in ("failed", "timeout")]
        required = [c for c in result["checks"] if not c.get("extra")]
        lost = sum(c["max_points"] - c["points"] for c in required)
        return {
            "name": mutant.name,
            "caught": bool(failing) or result["status"] == "error",
            "status": result["status"],
            "percent": result["percent"],
            "failing": failing,
            "points_lost": round(lost, 2),
            "checks_not_passed": sum(1 for c in required if c["outcome"] != "passed"),
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("lab")
    parser.add_argument("--draft", type=Path)
    parser.add_argument("--all", action="store_true", help="every mutant, not only the blind ones")
    parser.add_argument("--runner", default="local")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--focus", action="store_true", help="only the categories proving the broken rules")
    args = parser.parse_args()
    folder = next(f for f in LABS if lab_id(f) == args.lab)
    if args.draft:
        mutants = drafts(args.draft)
    else:
        mutants = [m for m in mutants_of(args.lab) if args.all or getattr(m, "blind", False)]
    solution = ROOT / "solutions" / folder.name
    proving = modules_proving(args.lab) if args.focus else {}

    def only(mutant: Mutant) -> list[str] | None:
        modules = sorted({m for rule in mutant.rules for m in proving.get(rule, ())})
        return modules or None  # a rule no check names: the whole suite

    with ThreadPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(lambda m: grade_one(args.lab, solution, m, args.runner, only(m)), mutants))
    caught = sum(1 for row in rows if row["caught"])
    for row in rows:
        mark = {True: "caught ", False: "ESCAPED", None: "ERROR  "}[row["caught"]]
        print(f"{mark} {row['name']}: {', '.join(row.get('failing', [])[:4]) or row.get('error', '')}")
    print(f"{args.lab}: {caught}/{len(rows)} mutants caught")
    worst = max(
        (row for row in rows if row.get("points_lost") is not None),
        key=lambda r: r["points_lost"],
        default=None,
    )
    if worst:
        cost = f"{worst['points_lost']:g} points ({worst['checks_not_passed']} checks)"
        print(f"largest cascade: {worst['name']} costs {cost}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
