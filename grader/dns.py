"""A small authoritative DNS server the suite runs on loopback: UDP and TCP on one port, scripted per name.

Every name it serves is registered by a check (`serve`), usually under a fresh name (`fresh`) so the
app's cache and other checks never meet it. What a name answers is scripted: its records (a CNAME
answers one step, so the app has to follow it), an rcode (NXDOMAIN, SERVFAIL), a truncated UDP answer
(TC set, only the first record; the whole answer over TCP), a spoofed answer with another id sent first,
silence, or an answer whose name is a compression pointer to itself. Every well-formed query is counted
per name, type and transport; a malformed one is answered FORMERR and its reason kept in `problems`.

Network rule: answers carry loopback addresses only (127.0.0.0/8, ::1); `Record` refuses any other.
The app reaches the server through the `expose_udp` fixture:

    with DnsServer() as dns:
        name = dns.serve(dns.fresh("www"), Record.a("127.0.0.2"))
        env = {"DNS_SERVER": expose_udp(dns.port)}

`python -m grader.dns [--port 5353]` serves a small demo zone, to try a resolver by hand.
"""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass, field

ZONE = "example.test"
TYPES = {"A": 1, "CNAME": 5, "AAAA": 28}
TYPE_NAMES = {code: name for name, code in TYPES.items()}
NOERROR, FORMERR, SERVFAIL, NXDOMAIN, REFUSED = 0, 1, 2, 3, 5
HEADER = struct.Struct("!HHHHHH")
MAX_QUERY = 512  # bytes: a query (one question) is far smaller; anything longer is refused unread
SPOOFED = "127.6.6.6"  # what the spoofed answer (the one with the wrong id) says


@dataclass(frozen=True)
class Record:
    type: str  # A, AAAA or CNAME
    data: str  # a loopback address, or the target name of a CNAME
    ttl: int = 300

    def __post_init__(self) -> None:
        if self.type == "A" and ipaddress.IPv4Address(self.data) not in ipaddress.IPv4Network("127.0.0.0/8"):
            raise ValueError(f"{self.data}: answers carry loopback addresses only (127.0.0.0/8)")
        if self.type == "AAAA" and ipaddress.IPv6Address(self.data) != ipaddress.IPv6Address("::1"):
            raise ValueError(f"{self.data}: the only IPv6 address in answers is ::1")
        if self.type not in TYPES:
            raise ValueError(f"{self.type}: not a type this server serves")

    @classmethod
    def a(cls, address: str, ttl: int = 300) -> Record:
        return cls("A", address, ttl)

    @classmethod
    def aaaa(cls, ttl: int = 300) -> Record:
        return cls("AAAA", "::1", ttl)

    @classmethod
    def cname(cls, target: str, ttl: int = 300) -> Record:
        return cls("CNAME", normal(target), ttl)

    def rdata(self, packer: _Packer) -> bytes:
        if self.type == "A":
            return ipaddress.IPv4Address(self.data).packed
        if self.type == "AAAA":
            return ipaddress.IPv6Address(self.data).packed
        return packer.name(self.data, offset=packer.size + 2)  # after the rdlength still to be written


@dataclass
class Script:
    """What one name answers."""

    records: list[Record] = field(default_factory=list)
    rcode: int = NOERROR
    truncate: bool = False  # over UDP: TC set and the first record only; over TCP the whole answer
    spoof: bool = False  # over UDP: an answer with another id (saying SPOOFED) first, then the right one
    silent: bool = False  # no answer at all
    pointer_loop: bool = False  # the answer's owner name is a compression pointer to itself


def normal(name: str) -> str:
    return name.lower().rstrip(".")


class _Packer:
    """A DNS message's bytes, names compressed against the suffixes already written."""

    def __init__(self, start: bytes) -> None:
        self.data = bytearray(start)
        self.suffixes: dict[str, int] = {}

    @property
    def size(self) -> int:
        return len(self.data)

    def learn(self, name: str, offset: int) -> None:
        """Register the suffixes of a name written uncompressed at `offset` (the question's)."""
        labels = normal(name).split(".")
        for i in range(len(labels)):
            self.suffixes.setdefault(".".join(labels[i:]), offset)
            offset += 1 + len(labels[i])

    def name(self, name: str, *, offset: int | None = None) -> bytes:
        """The wire form of `name` to be written at `offset` (default: the end), compressed."""
        at = self.size if offset is None else offset
        labels = normal(name).split(".") if normal(name) else []
        out = bytearray()
        for i in range(len(labels)):
            suffix = ".".join(labels[i:])
            if suffix in self.suffixes:
                return bytes(out + struct.pack("!H", 0xC000 | self.suffixes[suffix]))
            if at + len(out) < 0x3FFF:
                self.suffixes[suffix] = at + len(out)
            encoded = labels[i].encode("ascii")
            out += bytes([len(encoded)]) + encoded
        return bytes(out + b"\x00")


@dataclass
class Query:
    id: int
    flags: int
    name: str  # as sent, lower-cased by `normal` for lookups
    qtype: int
    question: bytes  # the question section's bytes, echoed in the answer


def parse_query(data: bytes) -> Query:
    """A query as this server accepts it; ValueError says what is wrong with it."""
    if len(data) < HEADER.size:
        raise ValueError(f"a message of {len(data)} bytes is shorter than a DNS header (12)")
    qid, flags, qd, an, ns, _ar = HEADER.unpack_from(data)
    if flags & 0x8000:
        raise ValueError("the QR bit is set: that is an answer, not a query")
    if (flags >> 11) & 0xF:
        raise ValueError(f"opcode {(flags >> 11) & 0xF}, not 0 (a standard query)")
    if qd != 1 or an or ns:
        raise ValueError(f"QDCOUNT {qd}, ANCOUNT {an}, NSCOUNT {ns}: a query has one question, no answers")
    labels, at = [], HEADER.size
    while True:
        if at >= len(data):
            raise ValueError("the question's name runs past the end of the message")
        length = data[at]
        if length & 0xC0:
            raise ValueError("the question's name is compressed (a query's only name is written whole)")
        at += 1
        if length == 0:
            break
        labels.append(data[at : at + length].decode("ascii", "replace"))
        at += length
    if at + 4 > len(data):
        raise ValueError("the question ends before its QTYPE and QCLASS")
    qtype, qclass = struct.unpack_from("!HH", data, at)
    if qclass != 1:
        raise ValueError(f"QCLASS {qclass}, not 1 (IN)")
    if at + 4 != len(data) and not _ar:
        raise ValueError(f"{len(data) - at - 4} bytes after the question")
    return Query(qid, flags, ".".join(labels), qtype, data[HEADER.size : at + 4])


class DnsServer:
    def __init__(self, port: int = 0) -> None:
        self.scripts: dict[str, Script] = {}
        self.counts: Counter[tuple[str, str, str]] = Counter()  # (name, type, "udp"|"tcp")
        self.problems: list[str] = []
        self._lock = threading.Lock()
        self._fresh = itertools.count(1)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.udp, self.tcp = self._bind(port)
        self.port: int = self.udp.getsockname()[1]

    # -- scripting -----------------------------------------------------------------------------------
    def fresh(self, label: str) -> str:
        """A name no check asked before: `<label>-<n>.example.test`."""
        return f"{label}-{next(self._fresh)}.{ZONE}"

    def serve(self, name: str, *records: Record, **behaviour: object) -> str:
        with self._lock:
            self.scripts[normal(name)] = Script(list(records), **behaviour)  # type: ignore[arg-type]
        return normal(name)

    def queries(self, name: str, qtype: str | None = None, transport: str | None = None) -> int:
        with self._lock:
            return sum(
                n
                for (qname, kind, via), n in self.counts.items()
                if qname == normal(name) and qtype in (None, kind) and transport in (None, via)
            )

    # -- answering -----------------------------------------------------------------------------------
    def answers(self, data: bytes, transport: str) -> list[bytes]:
        """The messages to send back for one query (none, one, or a spoofed one and the right one)."""
        try:
            query = parse_query(data)
        except ValueError as exc:
            with self._lock:
                self.problems.append(f"over {transport.upper()}: {exc}")
            if len(data) < 2:
                return []
            return [data[:2] + struct.pack("!HHHHH", 0x8000 | FORMERR, 0, 0, 0, 0)]
        name = normal(query.name)
        kind = TYPE_NAMES.get(query.qtype, str(query.qtype))
        with self._lock:
            self.counts[(name, kind, transport)] += 1
            script = self.scripts.get(name)
        if script is None:
            script = Script(rcode=NXDOMAIN if name.endswith("." + ZONE) else REFUSED)
        if script.silent:
            return []
        if script.pointer_loop:
            return [self._looping(query)]
        records = [r for r in script.records if r.type == "CNAME"]
        if kind != "CNAME" and not records:
            records = [r for r in script.records if r.type == kind]
        truncated = script.truncate and transport == "udp" and len(records) > 1
        if truncated:
            records = records[:1]
        answer = self._message(query, query.id, records, script.rcode, truncated=truncated)
        if script.spoof and transport == "udp":
            fake = [Record.a(SPOOFED, records[0].ttl if records else 300)] if kind == "A" else records
            return [self._message(query, (query.id + 0x1111) & 0xFFFF, fake, script.rcode), answer]
        return [answer]

    def _message(
        self, query: Query, qid: int, records: list[Record], rcode: int, *, truncated: bool = False
    ) -> bytes:
        flags = 0x8000 | 0x0400 | (query.flags & 0x0100) | (0x0200 if truncated else 0) | rcode
        packer = _Packer(HEADER.pack(qid, flags, 1, len(records), 0, 0) + query.question)
        packer.learn(query.name, HEADER.size)
        owner = normal(query.name)
        for record in records:
            head = packer.name(owner)
            packer.data += head
            packer.data += struct.pack("!HHI", TYPES[record.type], 1, record.ttl)
            rdata = record.rdata(packer)
            packer.data += struct.pack("!H", len(rdata)) + rdata
        return bytes(packer.data)

    def _looping(self, query: Query) -> bytes:
        """An answer whose record's owner name is a pointer to itself: a reader must not follow it forever."""
        start = HEADER.pack(query.id, 0x8400 | (query.flags & 0x0100), 1, 1, 0, 0) + query.question
        at = len(start)
        return start + struct.pack("!HHHIH", 0xC000 | at, 1, 1, 300, 4) + bytes([127, 0, 0, 1])

    # -- sockets -------------------------------------------------------------------------------------
    @staticmethod
    def _bind(port: int) -> tuple[socket.socket, socket.socket]:
        for _ in range(1 if port else 50):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind(("127.0.0.1", port))
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                tcp.bind(("127.0.0.1", udp.getsockname()[1]))
            except OSError:
                udp.close()
                tcp.close()
                if port:
                    raise
                continue
            tcp.listen(16)
            udp.settimeout(0.1)
            tcp.settimeout(0.1)
            return udp, tcp
        raise OSError("no port free for both UDP and TCP on 127.0.0.1")

    def start(self) -> DnsServer:
        for target in (self._serve_udp, self._serve_tcp):
            thread = threading.Thread(target=target, name=f"dns-{target.__name__}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _serve_udp(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.udp.recvfrom(MAX_QUERY + 1)
            except TimeoutError:
                continue
            except OSError:
                return
            if len(data) > MAX_QUERY:
                continue
            for message in self.answers(data, "udp"):
                with contextlib.suppress(OSError):
                    self.udp.sendto(message, peer)

    def _serve_tcp(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.tcp.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._tcp_connection, args=(conn,), daemon=True).start()

    def _tcp_connection(self, conn: socket.socket) -> None:
        conn.settimeout(5.0)
        with conn, contextlib.suppress(OSError):
            while not self._stop.is_set():
                prefix = _read_exactly(conn, 2)
                if prefix is None:
                    return
                (length,) = struct.unpack("!H", prefix)
                if length > MAX_QUERY:
                    with self._lock:
                        self.problems.append(f"over TCP: a length prefix of {length} bytes for a query")
                    return
                data = _read_exactly(conn, length)
                if data is None:
                    with self._lock:
                        self.problems.append(f"over TCP: the connection ended inside a {length}-byte query")
                    return
                for message in self.answers(data, "tcp"):
                    conn.sendall(struct.pack("!H", len(message)) + message)

    def close(self) -> None:
        self._stop.set()
        for sock in (self.udp, self.tcp):
            sock.close()
        for thread in self._threads:
            thread.join(timeout=1.0)

    def __enter__(self) -> DnsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_exactly(conn: socket.socket, n: int) -> bytes | None:
    """n bytes, or None when the peer closes (or stalls past the socket's timeout) first."""
    data = bytearray()
    while len(data) < n:
        try:
            chunk = conn.recv(n - len(data))
        except TimeoutError:
            return None
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def demo(server: DnsServer) -> None:
    """A small zone to try a resolver by hand."""
    server.serve(f"www.{ZONE}", Record.cname(f"web.{ZONE}", ttl=60))
    server.serve(f"web.{ZONE}", Record.a("127.0.0.1", ttl=60), Record.aaaa(ttl=60))
    server.serve(f"big.{ZONE}", *(Record.a(f"127.0.1.{i}") for i in range(1, 41)), truncate=True)
    server.serve(f"spoofed.{ZONE}", Record.a("127.0.0.2"), spoof=True)
    server.serve(f"broken.{ZONE}", rcode=SERVFAIL)
    server.serve(f"silent.{ZONE}", silent=True)
    server.serve(f"loop.{ZONE}", pointer_loop=True)


def main() -> None:
    import argparse
    import time

    parser = argparse.ArgumentParser(description=f"A demo DNS server for {ZONE} on 127.0.0.1 (UDP and TCP).")
    parser.add_argument("--port", type=int, default=5353)
    args = parser.parse_args()
    server = DnsServer(args.port)
    demo(server)
    with server:
        print(f"serving {', '.join(sorted(server.scripts))} on 127.0.0.1:{server.port} (UDP and TCP)")
        print("names not listed answer NXDOMAIN; Ctrl-C stops")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


if __name__ == "__main__":
    main()
