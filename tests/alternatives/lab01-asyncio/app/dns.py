"""/resolve on asyncio: a datagram endpoint per query, asyncio.open_connection when truncated, a jump
counter against compression loops, a dict cache with expiry times."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import random
import re
import struct
import time

SERVER = os.environ.get("DNS_SERVER", "127.0.0.1:53")
TIMEOUT = float(os.environ.get("DNS_TIMEOUT", "2"))
QTYPES = {"A": 1, "AAAA": 28, "CNAME": 5}
LABEL = re.compile(r"[A-Za-z0-9-]{1,63}")
RNG = random.SystemRandom()

# (name, qtype) -> (expires at, [(owner, type, ttl, data)])
CACHE: dict[tuple[str, str], tuple[float, list[tuple[str, str, int, str]]]] = {}


class Failure(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status, self.code = status, code


def name_ok(name: str) -> bool:
    return 0 < len(name) <= 253 and all(LABEL.fullmatch(part) for part in name.split("."))


def decode_name(msg: bytes, pos: int) -> tuple[str, int]:
    parts: list[str] = []
    after = -1
    jumps = 0
    while True:
        if pos >= len(msg):
            raise Failure(502, "bad_answer")
        size = msg[pos]
        if size >= 0xC0:
            jumps += 1
            if jumps > 64 or pos + 1 >= len(msg):
                raise Failure(502, "bad_answer")
            if after < 0:
                after = pos + 2
            pos = ((size & 0x3F) << 8) | msg[pos + 1]
            continue
        if size >= 0x40:
            raise Failure(502, "bad_answer")
        if size == 0:
            return ".".join(parts).lower(), (after if after >= 0 else pos + 1)
        parts.append(msg[pos + 1 : pos + 1 + size].decode("ascii", "replace"))
        pos += 1 + size


def decode(msg: bytes) -> tuple[int, int, bool, list[tuple[str, str, int, str]]]:
    if len(msg) < 12:
        raise Failure(502, "bad_answer")
    qid, flags, qd, an = struct.unpack("!HHHH", msg[:8])
    pos = 12
    for _ in range(qd):
        pos = decode_name(msg, pos)[1] + 4
    out = []
    for _ in range(an):
        owner, pos = decode_name(msg, pos)
        if pos + 10 > len(msg):
            raise Failure(502, "bad_answer")
        rtype, _, ttl, length = struct.unpack("!HHIH", msg[pos : pos + 10])
        pos += 10
        data = msg[pos : pos + length]
        if len(data) < length:
            raise Failure(502, "bad_answer")
        if rtype == 1 and length == 4:
            out.append((owner, "A", ttl, str(ipaddress.IPv4Address(data))))
        elif rtype == 28 and length == 16:
            out.append((owner, "AAAA", ttl, str(ipaddress.IPv6Address(data))))
        elif rtype == 5:
            out.append((owner, "CNAME", ttl, decode_name(msg, pos)[0]))
        pos += length
    return qid, flags, bool(flags & 0x200), out


class _Waiter(asyncio.DatagramProtocol):
    def __init__(self, qid: int) -> None:
        self.qid = qid
        self.answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: object) -> None:
        if len(data) >= 2 and struct.unpack("!H", data[:2])[0] == self.qid and not self.answer.done():
            self.answer.set_result(data)  # any other id is dropped

    def error_received(self, exc: Exception) -> None:
        pass


def _address() -> tuple[str, int]:
    host, _, port = SERVER.rpartition(":")
    return host.strip("[]"), int(port)


async def query(name: str, qtype: str) -> tuple[int, list[tuple[str, str, int, str]]]:
    qid = RNG.getrandbits(16)
    wire = b"".join(len(p).to_bytes(1, "big") + p.encode() for p in name.split(".")) + b"\0"
    packet = struct.pack("!6H", qid, 0x0100, 1, 0, 0, 0) + wire + struct.pack("!HH", QTYPES[qtype], 1)
    loop = asyncio.get_running_loop()
    transport, waiter = await loop.create_datagram_endpoint(lambda: _Waiter(qid), remote_addr=_address())
    try:
        transport.sendto(packet)
        msg = await asyncio.wait_for(waiter.answer, TIMEOUT)
    except TimeoutError:
        raise Failure(504, "timeout") from None
    finally:
        transport.close()
    _, flags, truncated, records = decode(msg)
    if truncated:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(*_address()), TIMEOUT)
            try:
                writer.write(len(packet).to_bytes(2, "big") + packet)
                size = int.from_bytes(await asyncio.wait_for(reader.readexactly(2), TIMEOUT), "big")
                msg = await asyncio.wait_for(reader.readexactly(size), TIMEOUT)
            finally:
                writer.close()
        except (TimeoutError, OSError, asyncio.IncompleteReadError):
            raise Failure(504, "timeout") from None
        answer_id, flags, _, records = decode(msg)
        if answer_id != qid:
            raise Failure(502, "bad_answer")
    return flags & 0xF, records


async def step(name: str, qtype: str) -> list[tuple[str, str, int, str]]:
    hit = CACHE.get((name, qtype))
    now = time.monotonic()
    if hit and hit[0] > now:
        return [(o, t, min(ttl, int(hit[0] - now)), d) for o, t, ttl, d in hit[1]]
    rcode, records = await query(name, qtype)
    if rcode == 3:
        raise Failure(404, "nxdomain")
    if rcode:
        raise Failure(502, "servfail")
    if records:
        CACHE[(name, qtype)] = (now + min(r[2] for r in records), records)
    return records


async def resolve(name: str, qtype: str) -> dict:
    seen = [name]
    current = name
    while True:
        records = await step(current, qtype)
        wanted = [r for r in records if r[0] == current and r[1] == qtype]
        aliases = [r[3] for r in records if r[0] == current and r[1] == "CNAME"]
        if wanted or qtype == "CNAME" or not aliases:
            break
        if aliases[0] in seen or len(seen) > 8:
            raise Failure(502, "cname_loop")
        seen.append(aliases[0])
        current = aliases[0]
    return {
        "name": name,
        "type": qtype,
        "answers": [{"name": o, "type": t, "ttl": ttl, "data": d} for o, t, ttl, d in wanted],
        "cname_chain": seen[1:],
    }
