"""A cgroup per run, when the grader runs as root on a machine whose cgroups it may write (v1 or v2).

It caps memory and processes for the whole tree of the app, whatever the tree does (a fork bomb
that calls setsid is still inside), and lets the grader kill every process of the run at once.
Without one, the local runner falls back on resource limits and an unprivileged user.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


class RunCgroup:
    """Cgroups named backend-labs/<run> in the memory, pids and freezer hierarchies (v1) or in v2."""

    def __init__(self, run: str, *, memory_bytes: int, max_pids: int) -> None:
        self.dirs: list[Path] = []
        unified = (ROOT / "cgroup.controllers").exists()
        if unified:
            parent = ROOT / "backend-labs"
            parent.mkdir(exist_ok=True)
            with contextlib.suppress(OSError):
                (parent / "cgroup.subtree_control").write_text("+memory +pids")
            path = parent / run
            path.mkdir()
            self.dirs.append(path)
            (path / "memory.max").write_text(str(memory_bytes))
            (path / "memory.swap.max").exists() and (path / "memory.swap.max").write_text("0")
            (path / "pids.max").write_text(str(max_pids))
        else:
            for controller in ("memory", "pids", "freezer"):
                path = ROOT / controller / "backend-labs" / run
                path.mkdir(parents=True)
                self.dirs.append(path)
            (ROOT / "memory" / "backend-labs" / run / "memory.limit_in_bytes").write_text(str(memory_bytes))
            (ROOT / "pids" / "backend-labs" / run / "pids.max").write_text(str(max_pids))
        self.unified = unified

    @classmethod
    def create(cls, run: str, *, memory_bytes: int, max_pids: int) -> RunCgroup | None:
        """A cgroup for this run, or None where cgroups cannot be written here."""
        if os.geteuid() != 0:
            return None
        try:
            return cls(run, memory_bytes=memory_bytes, max_pids=max_pids)
        except OSError:
            return None

    @property
    def procs_files(self) -> list[str]:
        return [str(path / "cgroup.procs") for path in self.dirs]

    def pids(self) -> set[int]:
        found: set[int] = set()
        for path in self.dirs:
            with contextlib.suppress(OSError):
                found.update(int(line) for line in (path / "cgroup.procs").read_text().split())
        return found

    def kill_all(self, timeout: float = 5.0) -> None:
        """SIGKILL every process in the cgroup until none is left (a fork bomb keeps forking)."""
        if self.unified and (self.dirs[0] / "cgroup.kill").exists():
            with contextlib.suppress(OSError):
                (self.dirs[0] / "cgroup.kill").write_text("1")
        freezer = next((p for p in self.dirs if p.parts[-3] == "freezer"), None) if not self.unified else None
        deadline = time.monotonic() + timeout
        while (pids := self.pids()) and time.monotonic() < deadline:
            if freezer is not None:
                with contextlib.suppress(OSError):
                    (freezer / "freezer.state").write_text("FROZEN")
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            if freezer is not None:
                with contextlib.suppress(OSError):
                    (freezer / "freezer.state").write_text("THAWED")
            time.sleep(0.01)

    def remove(self) -> None:
        self.kill_all()
        for path in self.dirs:
            deadline = time.monotonic() + 5
            while True:
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.02)
