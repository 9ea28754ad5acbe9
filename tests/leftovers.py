"""Leftovers: what the machine holds after a grading that it did not hold before, and that is the run's.

Nothing here asks the grader what it made (its label selector would only confirm its own cleanup): the
machine is listed before and after, and what is new is blamed on this run when it is provably the
run's: the run's uid (as root), a process the grader started or one of their sessions, a name or label
with the run's id, an anonymous volume or a network attached to one of the run's containers. Other
tests (xdist workers, other gradings on the machine) create their own objects meanwhile: those carry
another run id, another uid and other sessions, so they are never blamed.

    watch = Watch(runner, run_id)   # before; the grading runs with GRADE_RUN_ID=run_id
    watch.follow(pid)               # the process whose descendants are the run's (the grader, or us)
    ...
    assert watch.leftovers() == []  # after the grader exited
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from grader.runners.local import run_uid

TMP_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm")
CGROUP_GLOBS = (
    "/sys/fs/cgroup/*/backend-labs/*",  # v1: one hierarchy per controller (and the hybrid unified/)
    "/sys/fs/cgroup/backend-labs/*",  # v2: one unified hierarchy
)


def processes() -> dict[tuple[int, float], psutil.Process]:
    found = {}
    for process in psutil.process_iter(["create_time"]):
        found[(process.pid, process.info["create_time"])] = process
    return found


def temp_entries() -> dict[str, tuple[int, int]]:
    """Entries of the shared temporary folders: path -> (owner uid, inode)."""
    found = {}
    for folder in TMP_FOLDERS:
        with contextlib.suppress(OSError), os.scandir(folder) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    stat = entry.stat(follow_symlinks=False)
                    found[entry.path] = (stat.st_uid, stat.st_ino)
    return found


def ipc_objects() -> dict[str, int]:
    """System V shared memory segments, semaphore sets and message queues: "kind id" -> owner uid."""
    found = {}
    for kind in ("shm", "sem", "msg"):
        with contextlib.suppress(OSError):
            lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
            if not lines:
                continue
            header = lines[0].split()
            key, uid = header.index("key") + 1, header.index("uid")  # the id follows the key
            for line in lines[1:]:
                fields = line.split()
                found[f"{kind} {fields[key]}"] = int(fields[uid])
    return found


def cgroups() -> set[str]:
    return {path for pattern in CGROUP_GLOBS for path in glob.glob(pattern)}


def docker_objects(client: Any) -> dict[str, set[str]]:
    """Ids of every container, network and volume, labelled or not."""
    return {
        "container": {c.id for c in client.containers.list(all=True, sparse=True)},
        "network": {n.id for n in client.networks.list()},
        "volume": {v.name for v in client.volumes.list()},
    }


class Watch:
    """The machine before a run, what the run's processes and containers were while it ran, and after."""

    def __init__(self, runner: str, run_id: str) -> None:
        self.runner, self.run_id = runner, run_id
        self.uid = run_uid(run_id) if os.geteuid() == 0 and runner == "local" else None
        # as a normal user the local runner runs the app as us: what is new and ours is the run's
        self.shares_our_uid = runner == "local" and os.geteuid() != 0
        self.since = time.time()
        self.processes = set(processes())
        self.temp = temp_entries()
        self.ipc = set(ipc_objects())
        self.cgroups = cgroups()
        self.family: set[tuple[int, float]] = set()  # (pid, start time) of every process the grader ran
        self.sessions: set[int] = set()  # sessions led by one of them (the sandbox calls setsid)
        self.attached: dict[str, set[str]] = {"network": set(), "volume": set()}  # of the run's containers
        self.docker: Any = None
        self.docker_before: dict[str, set[str]] = {}
        if runner == "docker":
            import docker

            self.docker = docker.from_env()
            self.docker_before = docker_objects(self.docker)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def follow(self, pid: int) -> None:
        """Sample the grader's descendants (and the run's containers) until stop()."""
        self._thread = threading.Thread(target=self._sample, args=(pid,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _sample(self, pid: int) -> None:
        try:
            grader = psutil.Process(pid)
            self.family.add((grader.pid, grader.create_time()))
        except psutil.Error:
            return  # it has already exited: nothing of it to follow
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                for child in grader.children(recursive=True):
                    with contextlib.suppress(psutil.Error, OSError):  # it may end while we look
                        self.family.add((child.pid, child.create_time()))
                        if os.getsid(child.pid) == child.pid:
                            self.sessions.add(child.pid)
            if self.docker is not None:
                self._sample_containers()
            self._stop.wait(0.05 if self.docker is None else 0.5)

    def _sample_containers(self) -> None:
        with contextlib.suppress(Exception):
            for container in self.docker.containers.list(all=True, filters={"name": self.run_id}):
                attrs = container.attrs
                self.attached["volume"].update(
                    m["Name"] for m in attrs.get("Mounts") or [] if m.get("Type") == "volume"
                )
                networks = (attrs.get("NetworkSettings") or {}).get("Networks") or {}
                self.attached["network"].update(
                    n["NetworkID"] for n in networks.values() if n.get("NetworkID")
                )

    def _marked(self, name: str, labels: dict[str, str] | None) -> bool:
        return self.run_id in name or any(self.run_id in f"{k}={v}" for k, v in (labels or {}).items())

    def leftovers(self) -> list[str]:
        """What this run left on the machine (call it after the grader has exited)."""
        self.stop()
        found = []
        mine = os.getuid()
        for key, process in processes().items():
            if key in self.processes:
                continue
            with contextlib.suppress(psutil.Error, OSError):
                uid = process.uids().real
                sid = os.getsid(process.pid)
                if key in self.family or sid in self.sessions or (self.uid is not None and uid == self.uid):
                    found.append(f"process {process.pid} ({' '.join(process.cmdline())[:80]})")
        for path, (uid, inode) in temp_entries().items():
            if self.temp.get(path, (None, None))[1] == inode:
                continue  # there before the run
            name = os.path.basename(path)
            if (self.uid is not None and uid == self.uid) or self.run_id in name:
                found.append(f"file {path}")
            elif self.shares_our_uid and uid == mine and not OTHER_RUNS.match(name):
                found.append(f"file {path} (new, ours, during the run)")
        for key, uid in ipc_objects().items():
            if key in self.ipc:
                continue
            if (self.uid is not None and uid == self.uid) or (self.shares_our_uid and uid == mine):
                found.append(f"ipc {key}")
        found += [f"cgroup {path}" for path in sorted(cgroups() - self.cgroups) if self.run_id in path]
        found += glob.glob(os.path.join(tempfile.gettempdir(), f"grade-*-{self.run_id}-*"))
        if self.docker is not None:
            found += self._docker_leftovers()
        return found

    def _docker_leftovers(self) -> list[str]:
        client = self.docker
        containers: set[str] = set()
        until = time.time() + 1
        with contextlib.suppress(Exception):  # the engine's own record of the run (no label selector)
            for event in client.events(since=int(self.since) - 1, until=int(until), decode=True):
                actor = event.get("Actor") or {}
                attributes = actor.get("Attributes") or {}
                kind, action = event.get("Type"), str(event.get("Action", ""))
                if kind == "container" and self._marked(attributes.get("name", ""), attributes):
                    containers.add(actor.get("ID", ""))
                elif action in ("connect", "mount") and attributes.get("container") in containers:
                    self.attached[str(kind)].add(actor.get("ID", ""))
        now = docker_objects(client)
        found = []
        for container_id in sorted(now["container"] - self.docker_before["container"]):
            with contextlib.suppress(Exception):
                container = client.containers.get(container_id)
                if container_id in containers or self._marked(container.name, container.labels):
                    found.append(f"container {container.name}")
        for network_id in sorted(now["network"] - self.docker_before["network"]):
            with contextlib.suppress(Exception):
                network = client.networks.get(network_id)
                labels = network.attrs.get("Labels")
                if network_id in self.attached["network"] or self._marked(network.name, labels):
                    found.append(f"network {network.name}")
        for volume_name in sorted(now["volume"] - self.docker_before["volume"]):
            with contextlib.suppress(Exception):
                volume = client.volumes.get(volume_name)
                labels = volume.attrs.get("Labels")
                if volume_name in self.attached["volume"] or self._marked(volume_name, labels):
                    found.append(f"volume {volume_name}")
        client.close()
        return found


# The temporary folders of other gradings and of pytest, when the run shares our uid (not root)
OTHER_RUNS = re.compile(r"^(grade-|pytest-of-|pymp-|tmp)")
