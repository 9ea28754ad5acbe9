#!/usr/bin/env python3
"""Benchmark the grader: for each lab, the median wall time of `grade LAB --solution` (a fresh process,
as a learner runs it), the time of the bare hidden suite inside it (the checks alone, from the result's
timings), and their ratio; for the docker runner also the first grade (image built) and the second
(image reused), as ratios to the local runner.

    python scripts/bench.py                       # every lab, both runners, 3 runs each
    python scripts/bench.py lab02 --runs 5 --runner local
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def labs(wanted: list[str]) -> list[str]:
    found = [
        tomllib.loads((p / "lab.toml").read_text())["id"]
        for p in sorted((ROOT / "labs").glob("lab[0-9][0-9]-*"))
    ]
    return [lab for lab in found if not wanted or lab in wanted]


def grade(lab: str, runner: str) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "grader", lab, "--solution", "--runner", runner, "--json", str(out)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        wall = time.monotonic() - started
        if not out.exists():
            raise SystemExit(f"{lab} ({runner}) did not grade: {done.stderr.strip()[-500:]}")
        result = json.loads(out.read_text())
    if result["status"] != "passed":
        print(
            f"  warning: {lab} solution {result['status']} under {runner} ({result['percent']}%)",
            file=sys.stderr,
        )
    return wall, result


def remove_image(lab: str) -> None:
    import docker

    client = docker.from_env()
    for image in client.images.list(filters={"label": f"backend-labs.image={lab}"}):
        client.images.remove(image.id, force=True)
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("labs", nargs="*")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--runner", choices=["local", "docker", "both"], default="both")
    args = parser.parse_args()
    print(f"{'lab':6} {'runner':7} {'grade (median s)':>17} {'suite (s)':>10} {'ratio':>6}  notes")
    for lab in labs(args.labs):
        local_wall = None
        if args.runner in ("local", "both"):
            runs = [grade(lab, "local") for _ in range(args.runs)]
            local_wall = statistics.median(wall for wall, _ in runs)
            suite = statistics.median(result["timings"]["suite"] for _, result in runs)
            print(
                f"{lab:6} {'local':7} {local_wall:17.2f} {suite:10.2f} {local_wall / suite:6.1f}  "
                f"runs: {', '.join(f'{w:.2f}' for w, _ in runs)}"
            )
        if args.runner in ("docker", "both"):
            remove_image(lab)
            first, first_result = grade(lab, "docker")
            runs = [grade(lab, "docker") for _ in range(args.runs)]
            again = statistics.median(wall for wall, _ in runs)
            suite = statistics.median(result["timings"]["suite"] for _, result in runs)
            note = (
                f"first grade (image built) {first:.2f} s, build {first_result['timings']['prepare']:.1f} s"
            )
            if local_wall:
                note += f"; vs local: first x{first / local_wall:.1f}, again x{again / local_wall:.1f}"
            print(f"{lab:6} {'docker':7} {again:17.2f} {suite:10.2f} {again / suite:6.1f}  {note}")


if __name__ == "__main__":
    main()
