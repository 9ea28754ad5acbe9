"""A DNS stub resolver by hand: queries built with struct, sent over UDP (TCP when truncated), answers
parsed with name compression, CNAME chains followed, answers cached for their TTL."""

from __future__ import annotations

import secrets
import socket
import struct
import threading
import time
from dataclasses import dataclass

TYPES = {"A": 1, "CNAME": 5, "AAAA": 28}
TYPE_NAMES = {code: name for name, code in TYPES.items()}
HEADER = struct.Struct("!HHHHHH")  # id, flags, QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT
MAX_CHAIN = 8  # CNAMEs followed at most


class ResolveError(Exception):
    """A lookup that ends in an error answer: `status` and the contract's `code`."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Answer:
    name: str
    type: str
    ttl: int
    data: str


def valid_name(name: str) -> bool:
    labels = name.split(".")
    if not name or len(name) > 253:
        return False
    return all(
        0 < len(label) <= 63 and label.isascii() and all(c.isalnum() or c == "-" for c in label)
        for label in labels
    )


def build_query(qid: int, name: str, qtype: int) -> bytes:
    question = b"".join(bytes([len(label)]) + label.encode("ascii") for label in name.split("."))
    return HEADER.pack(qid, 0x0100, 1, 0, 0, 0) + question + b"\x00" + struct.pack("!HH", qtype, 1)


def read_name(message: bytes, at: int) -> tuple[str, int]:
    """The name at `at` and the offset just after it where it is written. A compression pointer must
    point backwards, before the name that contains it: so a chain of pointers always ends."""
    labels: list[str] = []
    end: int | None = None
    limit = at  # pointers must go strictly before this
    while True:
        if at >= len(message):
            raise ResolveError(502, "bad_answer")
        length = message[at]
        if length & 0xC0 == 0xC0:
            if at + 1 >= len(message):
                raise ResolveError(502, "bad_answer")
            target = ((length & 0x3F) << 8) | message[at + 1]
            if end is None:
                end = at + 2
            if target >= limit:
                raise ResolveError(502, "bad_answer")
            at = limit = target
            continue
        if length & 0xC0:
            raise ResolveError(502, "bad_answer")
        at += 1
        if length == 0:
            break
        labels.append(message[at : at + length].decode("ascii", "replace").lower())
        at += length
        if sum(len(label) + 1 for label in labels) > 255:
            raise ResolveError(502, "bad_answer")
    return ".".join(labels), end if end is not None else at


def parse_answer(message: bytes, qid: int) -> tuple[int, bool, list[Answer]] | None:
    """(rcode, truncated, answers) of an answer to query `qid`; None for a message that is not one."""
    if len(message) < HEADER.size:
        return None
    rid, flags, qdcount, ancount, _, _ = HEADER.unpack_from(message)
    if rid != qid or not flags & 0x8000:
        return None
    at = HEADER.size
    try:
        for _ in range(qdcount):
            _, at = read_name(message, at)
            at += 4
        answers = []
        for _ in range(ancount):
            owner, at = read_name(message, at)
            if at + 10 > len(message):
                raise ResolveError(502, "bad_answer")
            rtype, _, ttl, rdlength = struct.unpack_from("!HHIH", message, at)
            at += 10
            rdata = message[at : at + rdlength]
            if len(rdata) != rdlength:
                raise ResolveError(502, "bad_answer")
            if rtype == TYPES["A"] and rdlength == 4:
                answers.append(Answer(owner, "A", ttl, socket.inet_ntop(socket.AF_INET, rdata)))
            elif rtype == TYPES["AAAA"] and rdlength == 16:
                answers.append(Answer(owner, "AAAA", ttl, socket.inet_ntop(socket.AF_INET6, rdata)))
            elif rtype == TYPES["CNAME"]:
                answers.append(Answer(owner, "CNAME", ttl, read_name(message, at)[0]))
            at += rdlength
    except (IndexError, struct.error) as exc:
        raise ResolveError(502, "bad_answer") from exc
    return flags & 0x000F, bool(flags & 0x0200), answers


class Resolver:
    def __init__(self, server: str, timeout: float) -> None:
        host, _, port = server.rpartition(":")
        self.server = (host.strip("[]"), int(port))
        self.timeout = timeout
        self.cache: dict[tuple[str, str], tuple[float, int, list[Answer]]] = {}
        self.lock = threading.Lock()

    def resolve(self, name: str, qtype: str) -> dict[str, object]:
        asked = name.lower().rstrip(".")
        chain: list[str] = []
        current = asked
        while True:
            rcode, answers = self.lookup(current, qtype)
            if rcode == 3:
                raise ResolveError(404, "nxdomain")
            if rcode != 0:
                raise ResolveError(502, "servfail")
            records = [a for a in answers if a.name == current and a.type == qtype]
            alias = [a for a in answers if a.name == current and a.type == "CNAME"]
            if records or qtype == "CNAME" or not alias:
                break
            target = alias[0].data
            if target in chain or target == asked or len(chain) >= MAX_CHAIN:
                raise ResolveError(502, "cname_loop")
            chain.append(target)
            current = target
        return {
            "name": asked,
            "type": qtype,
            "answers": [{"name": a.name, "type": a.type, "ttl": a.ttl, "data": a.data} for a in records],
            "cname_chain": chain,
        }

    def lookup(self, name: str, qtype: str) -> tuple[int, list[Answer]]:
        """One question, from the cache while its TTL lasts, else asked of the server."""
        key = (name, qtype)
        now = time.monotonic()
        with self.lock:
            cached = self.cache.get(key)
        if cached is not None and cached[0] > now:
            left = int(cached[0] - now)
            return cached[1], [Answer(a.name, a.type, min(a.ttl, left), a.data) for a in cached[2]]
        rcode, answers = self.ask(name, TYPES[qtype])
        if rcode == 0 and answers:
            ttl = min(a.ttl for a in answers)
            with self.lock:
                self.cache[key] = (now + ttl, rcode, answers)
        return rcode, answers

    def ask(self, name: str, qtype: int) -> tuple[int, list[Answer]]:
        qid = secrets.randbelow(1 << 16)
        query = build_query(qid, name, qtype)
        deadline = time.monotonic() + self.timeout
        family = socket.AF_INET6 if ":" in self.server[0] else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as udp:
            udp.connect(self.server)
            udp.send(query)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ResolveError(504, "timeout")
                udp.settimeout(left)
                try:
                    message = udp.recv(65535)
                except TimeoutError:
                    raise ResolveError(504, "timeout") from None
                except OSError:  # ICMP port unreachable: nobody answers there
                    raise ResolveError(504, "timeout") from None
                parsed = parse_answer(message, qid)
                if parsed is None:
                    continue  # another id (spoofed, or a late answer): keep waiting for ours
                rcode, truncated, answers = parsed
                if truncated:
                    return self.ask_tcp(query, qid, deadline)
                return rcode, answers

    def ask_tcp(self, query: bytes, qid: int, deadline: float) -> tuple[int, list[Answer]]:
        try:
            with socket.create_connection(self.server, timeout=max(0.1, deadline - time.monotonic())) as tcp:
                tcp.sendall(struct.pack("!H", len(query)) + query)
                (length,) = struct.unpack("!H", _exactly(tcp, 2))
                message = _exactly(tcp, length)
        except (TimeoutError, OSError):
            raise ResolveError(504, "timeout") from None
        parsed = parse_answer(message, qid)
        if parsed is None:
            raise ResolveError(502, "bad_answer")
        return parsed[0], parsed[2]


def _exactly(sock: socket.socket, n: int) -> bytes:
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise OSError("the server closed the connection")
        data += chunk
    return bytes(data)
