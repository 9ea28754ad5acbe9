"""A `mongod` for the CI stand-in of the official mongo image, served by SecantusDB.

Understands what the grader passes to the official image: --port, --bind_ip / --bind_ip_all,
--replSet NAME, --keyFile (accepted, not needed: there is no other member), --auth, and the root user
of MONGO_INITDB_ROOT_USERNAME / MONGO_INITDB_ROOT_PASSWORD (authentication is then required, as with
the official image). `replSetInitiate` is answered like mongod's for a set of one: the member's host
becomes the address the node advertises in `hello`, so drivers on the run's network discover it by
the name the grader gave it.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading

from secantus import commands
from secantus.auth import derive_credentials
from secantus.server import SecantusDBServer

parser = argparse.ArgumentParser(prog="mongod")
parser.add_argument("--port", type=int, default=27017)
parser.add_argument("--bind_ip", default="127.0.0.1")
parser.add_argument("--bind_ip_all", action="store_true")
parser.add_argument("--replSet", default=None)
parser.add_argument("--keyFile", default=None)
parser.add_argument("--auth", action="store_true")
parser.add_argument("--dbpath", default="/data/db")
args, _ignored = parser.parse_known_args()

advertised: list[str] = []


class Server(SecantusDBServer):
    @property
    def address(self) -> tuple[str, int]:
        host, port = super().address
        if advertised:
            name, _, member_port = advertised[0].rpartition(":")
            return name, int(member_port or port)
        return host, port


def _initiate(doc: dict, ctx: object) -> dict:
    config = doc.get("replSetInitiate") or {}
    members = config.get("members") or [] if isinstance(config, dict) else []
    if advertised:
        return {"ok": 0.0, "errmsg": "already initialized", "code": 23, "codeName": "AlreadyInitialized"}
    if members and isinstance(members[0], dict) and isinstance(members[0].get("host"), str):
        advertised.append(members[0]["host"])
    return {"ok": 1.0}


for table in vars(commands).values():  # the command table that holds replSetGetStatus
    if isinstance(table, dict) and "replSetGetStatus" in table and "replSetStepDown" in table:
        table["replSetInitiate"] = _initiate

user = os.environ.get("MONGO_INITDB_ROOT_USERNAME", "")
password = os.environ.get("MONGO_INITDB_ROOT_PASSWORD", "")
server = Server(
    "0.0.0.0" if args.bind_ip_all else args.bind_ip.split(",")[0],  # noqa: S104 - as mongod --bind_ip_all
    args.port,
    args.dbpath,
    replica_set_name=args.replSet or "rs0",
    require_auth=bool(user) or args.auth,
    enable_test_commands=False,
)
if user and server.storage.get_user("admin", user) is None:
    credentials = derive_credentials(password, mechanism="SCRAM-SHA-256", username=user).to_doc()
    server.storage.add_user(
        "admin",
        user,
        {
            "_id": f"admin.{user}",
            "user": user,
            "db": "admin",
            "credentials": credentials,
            "roles": [{"role": "root", "db": "admin"}],
            "mechanisms": ["SCRAM-SHA-256"],
        },
        replace=False,
    )
server.start()
print(f'{{"msg":"Waiting for connections","attr":{{"port":{args.port}}}}}', flush=True)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())
stop.wait()
server.stop()
