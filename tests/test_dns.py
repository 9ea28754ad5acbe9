"""grader/dns.py, the suite's DNS server, checked against dnspython's reading of its messages."""

from __future__ import annotations

import socket
import struct

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from grader.dns import FORMERR, NXDOMAIN, SERVFAIL, SPOOFED, DnsServer, Record


@pytest.fixture
def server():
    with DnsServer() as running:
        yield running


def udp(server: DnsServer, wire: bytes, *, answers: int = 1) -> list[bytes]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2.0)
        sock.sendto(wire, ("127.0.0.1", server.port))
        return [sock.recv(4096) for _ in range(answers)]


def tcp(server: DnsServer, wire: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=2.0) as sock:
        sock.sendall(struct.pack("!H", len(wire)) + wire)
        data = b""
        while len(data) < 2 or len(data) < 2 + struct.unpack("!H", data[:2])[0]:
            chunk = sock.recv(4096)
            assert chunk, "the server closed the connection before the whole answer"
            data += chunk
        return data[2:]


def ask(name: str, rdtype: str = "A") -> dns.message.Message:
    return dns.message.make_query(name, rdtype, use_edns=False)


def test_udp_and_tcp_share_a_port(server):
    tcp_port = server.tcp.getsockname()[1]
    assert server.port == tcp_port
    assert server.udp.getsockname()[0] == "127.0.0.1"


def test_records_and_compression(server):
    name = server.serve(server.fresh("www"), Record.a("127.0.0.2"), Record.a("127.0.0.3", ttl=30))
    query = ask(name.upper())
    wire = udp(server, query.to_wire())[0]
    answer = dns.message.from_wire(wire)
    assert answer.id == query.id
    assert answer.flags & dns.flags.QR
    assert answer.flags & dns.flags.AA
    (rrset,) = answer.answer
    assert [r.address for r in rrset] == ["127.0.0.2", "127.0.0.3"]
    assert rrset.name.to_text() == name.upper() + "." or rrset.name.to_text().lower() == name + "."
    assert wire.lower().count(b"www-") == 1, "the owner names are pointers to the question's name"
    assert server.queries(name, "A", "udp") == 1
    assert server.queries(name) == 1


def test_cname_answers_one_step_with_a_compressed_target(server):
    target = server.fresh("web")
    alias = server.serve(server.fresh("www"), Record.cname(target, ttl=60))
    wire = udp(server, ask(alias, "AAAA").to_wire())[0]
    (rrset,) = dns.message.from_wire(wire).answer
    assert rrset.rdtype == dns.rdatatype.CNAME
    assert rrset[0].target.to_text() == target + "."
    assert wire.count(b"example") == 1, "the target's suffix is a pointer"
    assert rrset.ttl == 60


def test_rcodes_nodata_and_unknown_names(server):
    assert dns.message.from_wire(udp(server, ask("nobody.example.test").to_wire())[0]).rcode() == NXDOMAIN
    assert dns.message.from_wire(udp(server, ask("elsewhere.invalid").to_wire())[0]).rcode() == 5
    failing = server.serve(server.fresh("failing"), rcode=SERVFAIL)
    assert dns.message.from_wire(udp(server, ask(failing).to_wire())[0]).rcode() == SERVFAIL
    v4 = server.serve(server.fresh("v4"), Record.a("127.0.0.4"))
    nodata = dns.message.from_wire(udp(server, ask(v4, "AAAA").to_wire())[0])
    assert nodata.rcode() == 0
    assert not nodata.answer


def test_truncated_over_udp_whole_over_tcp(server):
    name = server.serve(server.fresh("big"), *(Record.a(f"127.0.3.{i}") for i in range(1, 6)), truncate=True)
    query = ask(name)
    cut = dns.message.from_wire(udp(server, query.to_wire())[0], ignore_trailing=True)
    assert cut.flags & dns.flags.TC
    assert len(cut.answer[0]) == 1
    whole = dns.message.from_wire(tcp(server, query.to_wire()))
    assert not whole.flags & dns.flags.TC
    assert len(whole.answer[0]) == 5
    assert whole.id == query.id
    assert server.queries(name, "A", "udp") == 1
    assert server.queries(name, "A", "tcp") == 1


def test_spoofed_answer_first_then_the_right_one(server):
    name = server.serve(server.fresh("spoofed"), Record.a("127.0.0.9"), spoof=True)
    query = ask(name)
    fake, real = (dns.message.from_wire(w) for w in udp(server, query.to_wire(), answers=2))
    assert fake.id != query.id
    assert fake.answer[0][0].address == SPOOFED
    assert real.id == query.id
    assert real.answer[0][0].address == "127.0.0.9"


def test_silent_and_pointer_loop(server):
    silent = server.serve(server.fresh("silent"), silent=True)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.3)
        sock.sendto(ask(silent).to_wire(), ("127.0.0.1", server.port))
        with pytest.raises(TimeoutError):
            sock.recv(4096)
    looping = server.serve(server.fresh("loop"), pointer_loop=True)
    wire = udp(server, ask(looping).to_wire())[0]
    with pytest.raises(dns.exception.DNSException):
        dns.message.from_wire(wire)


def test_a_malformed_query_is_formerr_and_kept(server):
    wire = bytearray(ask("x.example.test").to_wire())
    wire[7] = 1  # ANCOUNT 1
    answer = udp(server, bytes(wire))[0]
    assert answer[:2] == wire[:2]
    assert answer[3] & 0x0F == FORMERR
    assert server.problems
    assert "ANCOUNT 1" in server.problems[0]


def test_answers_carry_loopback_addresses_only():
    # No other address appears here, not even one refused: the refusals are of a family mixed up.
    with pytest.raises(ValueError):
        Record("A", "::1")
    with pytest.raises(ValueError):
        Record("AAAA", "127.0.0.1")
    assert Record.a("127.255.0.1").data == "127.255.0.1"
    assert Record.aaaa().data == "::1"
