#!/usr/bin/env python3
"""Benchmark the grader: for each lab and runner, the median wall time of `grade LAB --solution` (a
fresh process, as a learner runs it) with checks one by one (--jobs 1) and side by side (the default),
the bare suite time inside it (from the result's timings), the longest module (the sum of its checks'
durations when run one by one) and the checks that run alone, and the ratios: default / longest
module (the target is at most 1.5), --jobs 1 / default; for the docker runner also the first grade
(image built) and the warm grade as a ratio to the local runner (the target is at most 1.3).

    python scripts/bench.py                       # every lab, both runners, 3 runs each
    python scripts/bench.py lab02 --runs 5 --runner local
    python scripts/bench.py --toolkit             # the suite toolkit's timing (no lab graded)
    python scripts/bench.py lab02 --batch 30      # grade batch: 30 submissions, --jobs 1 against the default

The kit's tests prove what the toolkit does without stopwatches (barriers, probe counts); how fast it
does it is measured here: the spread of a burst's start times and how soon `eventually` notices.
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


def grade(lab: str, runner: str, jobs: int | None = None) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        started = time.monotonic()
        extra = ["--jobs", str(jobs)] if jobs else []
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "grader",
                lab,
                "--solution",
                "--runner",
                runner,
                "--json",
                str(out),
                *extra,
            ],
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


def toolkit(runs: int) -> None:
    """Median over `runs` of: the spread between the first and the last call of an 8-call burst to
    start, and the delay between a condition becoming true and `eventually` returning."""
    import threading

    from grader.concurrency import burst
    from grader.polling import eventually

    spreads, delays = [], []
    for _ in range(runs):
        starts: list[float] = []
        lock = threading.Lock()

        def call(i: int, starts: list[float] = starts, lock: threading.Lock = lock) -> None:
            with lock:
                starts.append(time.monotonic())

        burst(8, call)
        spreads.append(max(starts) - min(starts))
        ready = time.monotonic() + 0.3
        eventually(lambda ready=ready: time.monotonic() >= ready, timeout=5)
        delays.append(time.monotonic() - ready)
    for name, values in (("burst(8) start spread", spreads), ("eventually notices after", delays)):
        print(f"{name}: median {statistics.median(values) * 1000:.1f} ms (max {max(values) * 1000:.1f})")


def longest_module(result: dict) -> tuple[str, float]:
    """The module whose checks take longest one after another (alone checks count as one group)."""
    modules: dict[str, float] = {}
    for check in result["checks"]:
        modules[check["id"].split("::")[0]] = modules.get(check["id"].split("::")[0], 0.0) + check["duration"]
    name = max(modules, key=modules.__getitem__)
    return name, modules[name]


def measure(lab: str, runner: str, runs: int) -> dict:
    serial = [grade(lab, runner, jobs=1) for _ in range(runs)]
    parallel = [grade(lab, runner) for _ in range(runs)]
    module, longest = longest_module(serial[0][1])
    return {
        "serial": statistics.median(wall for wall, _ in serial),
        "default": statistics.median(wall for wall, _ in parallel),
        "suite": statistics.median(result["timings"]["suite"] for _, result in parallel),
        "suite_serial": statistics.median(result["timings"]["suite"] for _, result in serial),
        "module": module,
        "longest": longest,
        "runs": [wall for wall, _ in parallel],
    }


def batch(lab: str, count: int, runner: str) -> None:
    """`grade batch` on `count` submissions (a third solutions, a third starters, a third mutants), one
    by one and with the default pool; the same gradebook verdicts both ways, and the ratio."""
    sys.path.insert(0, str(ROOT))
    from tests.kit import mutants_of, mutate

    folder = next((ROOT / "solutions").glob(f"{lab}-*"))
    starter = ROOT / "labs" / folder.name
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        work = Path(tmp)
        mutants = mutants_of(lab)
        (work / "class").mkdir()
        for index in range(count):
            dest = work / "class" / f"s{index:03}"
            if index % 3 == 0:
                subprocess.run(["cp", "-r", str(folder), str(dest)], check=True)
            elif index % 3 == 1:
                subprocess.run(["cp", "-r", str(starter), str(dest)], check=True)
            else:
                mutate(folder, mutants[index % len(mutants)], dest)
        subs = sorted(str(path) for path in (work / "class").iterdir())
        grade_cmd = [sys.executable, "-m", "grader", "batch", lab, *subs, "--runner", runner, "--force"]
        warm = [*grade_cmd, "--out", str(work / "warm"), "--jobs", "2"]
        subprocess.run(warm, capture_output=True)  # builds the images the timed runs then reuse
        times, books = {}, {}
        for name, jobs in (("serial", ["--jobs", "1"]), ("pool", [])):
            started = time.monotonic()
            subprocess.run([*grade_cmd, "--out", str(work / name), *jobs], capture_output=True)
            times[name] = time.monotonic() - started
            book = (work / name / "gradebook.csv").read_text().splitlines()[1:]
            books[name] = sorted(",".join(line.split(",")[:5]) for line in book)  # student..status
        same = books["serial"] == books["pool"]
        print(
            f"{lab} batch of {count} ({runner}): serial {times['serial']:.1f} s, pool {times['pool']:.1f} s, "
            f"x{times['serial'] / times['pool']:.2f}; verdicts {'identical' if same else 'DIFFER'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("labs", nargs="*")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--runner", choices=["local", "docker", "both"], default="both")
    parser.add_argument("--toolkit", action="store_true", help="time the suite toolkit instead of the labs")
    parser.add_argument("--batch", type=int, metavar="N", help="time grade batch on N submissions per lab")
    args = parser.parse_args()
    if args.batch:
        for lab in labs(args.labs):
            batch(lab, args.batch, "local" if args.runner == "local" else "docker")
        return
    if args.toolkit:
        toolkit(max(args.runs, 20))
        return
    print(
        f"{'lab':6} {'runner':7} {'jobs 1':>7} {'default':>8} {'suite':>6} {'longest module':>24}"
        f" {'x longest':>9} {'x jobs1':>7}  notes"
    )
    for lab in labs(args.labs):
        local: dict | None = None
        for runner in ("local", "docker"):
            if args.runner not in (runner, "both"):
                continue
            note = ""
            if runner == "docker":
                remove_image(lab)
                first, first_result = grade(lab, "docker")
                note = f"first grade {first:.2f} s (build {first_result['timings']['prepare']:.1f} s)"
            row = measure(lab, runner, args.runs)
            if runner == "docker" and local:
                note += f"; warm vs local x{row['default'] / local['default']:.2f}"
            if runner == "local":
                local = row
            print(
                f"{lab:6} {runner:7} {row['serial']:7.2f} {row['default']:8.2f} {row['suite']:6.2f}"
                f" {row['module'][:16]:>16} {row['longest']:6.2f} s {row['suite'] / row['longest']:9.2f}"
                f" {row['serial'] / row['default']:7.2f}  {note}"
            )


if __name__ == "__main__":
    main()
