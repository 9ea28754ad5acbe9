"""Start an untrusted program confined, then become it.

Run as `python -I -S sandbox.py '<json>'`: stdlib only, no site packages. In this order it joins the
run's cgroups (when the grader made some), starts a new session (so the whole tree can be signalled),
as root gives the program a private view of the machine (its own mount and System V IPC namespaces:
the kit, the grader and the suites hidden under empty read-only folders, a fresh /tmp, /var/tmp and
/dev/shm that vanish with it), sets resource limits, drops to an unprivileged user (as root:
RLIMIT_NPROC does not bind root) and execs the program with exactly the environment it was given.

`sandbox.py --probe` only tries the namespaces and exits 0 when the machine allows them.
"""

import ctypes
import json
import os
import resource
import sys

CLONE_NEWNS, CLONE_NEWIPC = 0x00020000, 0x08000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
O_PATH = getattr(os, "O_PATH", 0o10000000)
_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def _encode(value: str | None) -> bytes | None:
    return None if value is None else os.fsencode(value)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(
        _libc.mount(_encode(source), _encode(target), _encode(fstype), ctypes.c_ulong(flags), _encode(data)),
        f"mount {target}",
    )


def private_view(hide: list[str], keep: list[str], scratch: list[str]) -> None:
    """A mount namespace of the program's own. Folders in `hide` become empty and read-only; those in
    `scratch` become fresh tmpfs (sticky, world-writable); each folder in `keep` that either made
    invisible is bound back at its own path (the run's folder in /tmp, a venv inside the kit)."""
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWIPC), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing done here reaches the machine's mounts
    kept = []
    for path in keep:
        try:
            kept.append((path, os.open(path, O_PATH | os.O_DIRECTORY), os.stat(path)))
        except OSError:
            continue
    for path in sorted(scratch):
        if os.path.isdir(path) and not os.path.islink(path):
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=256m")
    hidden = []
    for path in sorted(hide, key=len):
        if os.path.isdir(path) and not os.path.islink(path):  # a parent hidden already hid it
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=64k")
            hidden.append(path)
    for path, fd, before in sorted(kept, key=lambda item: len(item[0])):
        try:
            now = os.stat(path)
            if (now.st_dev, now.st_ino) == (before.st_dev, before.st_ino):
                continue
        except OSError:
            pass
        os.makedirs(path, mode=0o755, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        os.close(fd)
    for path in sorted(hide, key=len):  # hidden again where a kept folder brought it back (a venv's grader)
        brought_back = any(path.startswith(kept_path + "/") for kept_path, _, _ in kept)
        if path not in hidden and brought_back and os.path.isdir(path) and not os.path.islink(path):
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=64k")
            hidden.append(path)
    for path in hidden:  # after the keeps were bound inside them: nobody writes there
        _mount(None, path, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)


def main() -> None:
    if sys.argv[1:] == ["--probe"]:
        private_view([], [], [])
        return
    config = json.loads(sys.argv[1])
    for procs in config.get("cgroup_procs", []):
        with open(procs, "w") as handle:
            handle.write(str(os.getpid()))
    os.setsid()
    if (view := config.get("private")) is not None:
        private_view(view["hide"], view["keep"], view["scratch"])
    for name, value in config.get("rlimits", {}).items():
        limit = getattr(resource, name)
        _, hard = resource.getrlimit(limit)
        wanted = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(limit, (wanted, wanted))
    uid, gid = config.get("uid"), config.get("gid")
    if uid is not None:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    os.umask(0o077)
    os.chdir(config["cwd"])
    argv = config["argv"]
    os.execve(argv[0], argv, config["env"])


if __name__ == "__main__":
    main()
