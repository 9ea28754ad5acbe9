"""Start an untrusted program confined, then become it.

Run as `python -I -S sandbox.py '<json>'`: stdlib only, no site packages. In this order it joins the
run's cgroups (when the grader made some), starts a new session (so the whole tree can be signalled),
sets resource limits, drops to an unprivileged user (as root: RLIMIT_NPROC does not bind root), and
execs the program with exactly the environment it was given.
"""

import json
import os
import resource
import sys


def main() -> None:
    config = json.loads(sys.argv[1])
    for procs in config.get("cgroup_procs", []):
        with open(procs, "w") as handle:
            handle.write(str(os.getpid()))
    os.setsid()
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
