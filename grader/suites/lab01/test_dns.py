"""DNS"""

from __future__ import annotations

import itertools
import json
from typing import Any

from lab01_kit import get

from grader.checks import check
from grader.dns import NXDOMAIN, REFUSED, SERVFAIL, SPOOFED, DnsServer, Record
from grader.polling import TimedOut, eventually
from grader.rawhttp import RawConnection, RawResponse

DNS_TIMEOUT = 1.0  # the manifest's [app.env]
LEEWAY = 3.0  # seconds the grader waits beyond DNS_TIMEOUT for the answer
FIELDS = ["name", "type", "answers", "cname_chain"]


def resolve(conn: RawConnection, name: str, qtype: str | None = "A") -> RawResponse:
    target = f"/resolve?name={name}" + (f"&type={qtype}" if qtype is not None else "")
    conn.send(f"GET {target} HTTP/1.1\r\nHost: lab\r\n\r\n".encode())
    return conn.response(timeout=DNS_TIMEOUT + LEEWAY)


def body_of(conn: RawConnection, response: RawResponse, dns: DnsServer, status: int) -> Any:
    """The JSON body of an answer expected with `status`; a query the DNS server could not read is
    reported as such (the server answered it FORMERR)."""
    if dns.problems:
        conn.fail(
            f"the grader's DNS server received a malformed query: {dns.problems[-1]}",
            expected="a standard query: QR 0, opcode 0, one question, its name uncompressed, QCLASS 1",
        )
    if response.status != status:
        conn.fail(f"the answer was {response.status_line}: {response.body[:200]!r}", expected=str(status))
    content_type = (response.header("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        conn.fail(f"Content-Type was {response.header('content-type')!r}", expected="application/json")
    try:
        return json.loads(response.body)
    except ValueError:
        conn.fail(f"the body is not JSON: {response.body[:200]!r}", expected="a JSON object")


def expect_error(conn: RawConnection, response: RawResponse, dns: DnsServer, status: int, code: str) -> None:
    body = body_of(conn, response, dns, status)
    if body != {"error": code}:
        conn.fail(f"the body was {json.dumps(body)[:200]}", expected=json.dumps({"error": code}))


def expect_answer(
    conn: RawConnection, got: Any, expected: dict[str, Any], *, ttl_at_most: bool = False
) -> None:
    """The answer's JSON, as expected; with `ttl_at_most`, each ttl may be any number from 0 to the one
    expected (an answer from the cache may show the time it has left)."""
    if not isinstance(got, dict) or sorted(got) != sorted(FIELDS):
        keys = sorted(got) if isinstance(got, dict) else type(got).__name__
        conn.fail(f"the JSON object has the fields {keys}", expected=f"exactly the fields {FIELDS}")
    shown = dict(got)
    if ttl_at_most and isinstance(got["answers"], list) and len(got["answers"]) == len(expected["answers"]):
        shown["answers"] = [
            _ttl_within(answer, want)
            for answer, want in zip(got["answers"], expected["answers"], strict=True)
        ]
    if shown != expected:
        conn.fail(f"the answer was {json.dumps(got)[:600]}", expected=json.dumps(expected))


def _ttl_within(answer: Any, want: dict[str, Any]) -> Any:
    """`answer` with the ttl expected when its own is from 0 to that one (a countdown), else as it is."""
    ttl = answer.get("ttl") if isinstance(answer, dict) else None
    if isinstance(ttl, int) and 0 <= ttl <= want["ttl"]:
        return {**answer, "ttl": want["ttl"]}
    return answer


def records(name: str, qtype: str, *data: str, ttl: int = 300) -> list[dict[str, Any]]:
    return [{"name": name, "type": qtype, "ttl": ttl, "data": item} for item in data]


def expect_queries(
    conn: RawConnection, dns: DnsServer, name: str, qtype: str, transport: str, count: int
) -> None:
    seen = dns.queries(name, qtype, transport)
    if seen != count:
        conn.fail(
            f"the grader's DNS server received {seen} {transport.upper()} queries for {name} {qtype}",
            expected=f"{count}",
        )


@check(
    "GET /resolve asks the DNS server over UDP and answers the A and AAAA records as JSON",
    points=3,
    hint="Build the query with struct: a 12-byte header (id, flags with RD, QDCOUNT 1), then the name as "
    "length-prefixed labels ending in a zero byte, QTYPE (A 1, AAAA 28) and QCLASS 1. Send it with a UDP "
    "socket to DNS_SERVER. In the answer, names may be compression pointers (two bytes starting with "
    "bits 11) to an earlier offset of the message. Write AAAA data with socket.inet_ntop.",
    rules=["R7.2", "R7.3", "R7.4", "R7.9"],
)
def test_resolve_a(raw, dns):
    conn = raw()
    name = dns.serve(
        dns.fresh("www"), Record.a("127.0.0.2"), Record.a("127.0.0.3", ttl=300), Record.aaaa(ttl=60)
    )
    got = body_of(conn, resolve(conn, name, "A"), dns, 200)
    expect_answer(
        conn,
        got,
        {
            "name": name,
            "type": "A",
            "answers": records(name, "A", "127.0.0.2", "127.0.0.3"),
            "cname_chain": [],
        },
    )
    expect_queries(conn, dns, name, "A", "udp", 1)
    expect_queries(conn, dns, name, "A", "tcp", 0)  # complete (no TC; AA is set, as an authority's is)
    got = body_of(conn, resolve(conn, name.upper() + ".", "AAAA"), dns, 200)
    expect_answer(
        conn,
        got,
        {"name": name, "type": "AAAA", "answers": records(name, "AAAA", "::1", ttl=60), "cname_chain": []},
    )
    expect_queries(conn, dns, name, "AAAA", "udp", 1)


@check(
    "GET /resolve answers 400 to a missing or malformed name, or a type other than A, AAAA, CNAME",
    points=1,
    hint="Check the query string before asking anything: one `name` of dot-separated labels of 1 to 63 "
    "letters, digits or hyphens, and `type` A, AAAA or CNAME (A when absent). Answer "
    '{"error": "bad_request"} with 400 otherwise.',
    rules=["R7.1"],
)
def test_bad_request(raw, dns):
    conn = raw()
    name = dns.serve(dns.fresh("ok"), Record.a("127.0.0.4"))
    got = body_of(conn, resolve(conn, name, None), dns, 200)  # type absent: A
    expect_answer(
        conn, got, {"name": name, "type": "A", "answers": records(name, "A", "127.0.0.4"), "cname_chain": []}
    )
    for target in (
        "/resolve",
        "/resolve?type=A",
        f"/resolve?name={name}&type=MX",
        "/resolve?name=a..example.test",
        f"/resolve?name={'x' * 64}.example.test",
        "/resolve?name=bad_label!.example.test",
    ):
        conn = raw()  # a 400 closes the connection (rule 3.7)
        expect_error(conn, get(conn, target), dns, 400, "bad_request")


@check(
    "GET /resolve follows a CNAME chain, asking each name, and lists the chain; type=CNAME does not follow",
    points=2,
    hint="When the answer to `name` holds a CNAME and no record of the type asked, ask again for the CNAME's "
    "target (the server answers one step at a time), until the records come. cname_chain lists the targets "
    "in the order they were followed; the answers are the last name's records.",
    rules=["R7.5"],
)
def test_cname_chain(raw, dns):
    conn = raw()
    last = dns.serve(dns.fresh("end"), Record.a("127.0.0.5", ttl=120))
    middle = dns.serve(dns.fresh("middle"), Record.cname(last))
    first = dns.serve(dns.fresh("alias"), Record.cname(middle))
    got = body_of(conn, resolve(conn, first, "A"), dns, 200)
    expected = {
        "name": first,
        "type": "A",
        "answers": records(last, "A", "127.0.0.5", ttl=120),
        "cname_chain": [middle, last],
    }
    expect_answer(conn, got, expected)
    for name in (first, middle, last):
        expect_queries(conn, dns, name, "A", "udp", 1)
    got = body_of(conn, resolve(conn, first, "CNAME"), dns, 200)
    expect_answer(
        conn,
        got,
        {"name": first, "type": "CNAME", "answers": records(first, "CNAME", middle), "cname_chain": []},
    )


@check(
    "a CNAME loop, or a chain of more than 8 CNAMEs, answers 502 cname_loop instead of asking forever",
    points=2,
    hint="Remember the names already followed and count them: a name seen twice, or a ninth CNAME, ends the "
    'lookup with 502 {"error": "cname_loop"}.',
    rules=["R7.6"],
)
def test_cname_loop(raw, dns):
    conn = raw()
    one, two = dns.fresh("ping"), dns.fresh("pong")
    dns.serve(one, Record.cname(two))
    dns.serve(two, Record.cname(one))
    expect_error(conn, resolve(conn, one, "A"), dns, 502, "cname_loop")
    names = [dns.fresh(f"hop{i}") for i in range(10)]
    for name, target in itertools.pairwise(names):
        dns.serve(name, Record.cname(target))
    dns.serve(names[-1], Record.a("127.0.0.6"))
    expect_error(conn, resolve(conn, names[0], "A"), dns, 502, "cname_loop")
    names = [dns.fresh(f"step{i}") for i in range(9)]
    for name, target in itertools.pairwise(names):
        dns.serve(name, Record.cname(target))
    dns.serve(names[-1], Record.a("127.0.0.7"))
    got = body_of(conn, resolve(conn, names[0], "A"), dns, 200)  # 8 CNAMEs: still served
    expect_answer(
        conn,
        got,
        {
            "name": names[0],
            "type": "A",
            "answers": records(names[-1], "A", "127.0.0.7"),
            "cname_chain": names[1:],
        },
    )


@check(
    "NXDOMAIN answers 404 nxdomain, at the end of a CNAME chain too; a name without such records 200 []",
    points=2,
    hint="The rcode is the low 4 bits of the flags: 3 is NXDOMAIN (the name does not exist): answer 404 "
    '{"error": "nxdomain"}. An rcode 0 without records of the type asked (NODATA) is an empty list.',
    rules=["R7.7"],
)
def test_nxdomain(raw, dns):
    conn = raw()
    missing = dns.serve(dns.fresh("missing"), rcode=NXDOMAIN)
    expect_error(conn, resolve(conn, missing, "A"), dns, 404, "nxdomain")
    dangling = dns.serve(dns.fresh("dangling"), Record.cname(dns.fresh("gone")))
    expect_error(conn, resolve(conn, dangling, "A"), dns, 404, "nxdomain")
    v4only = dns.serve(dns.fresh("v4only"), Record.a("127.0.0.8"))
    got = body_of(conn, resolve(conn, v4only, "AAAA"), dns, 200)
    expect_answer(conn, got, {"name": v4only, "type": "AAAA", "answers": [], "cname_chain": []})


@check(
    "SERVFAIL or REFUSED answers 502 servfail; a DNS server that never answers 504 timeout",
    points=2,
    hint='Any rcode other than 0 and 3 is the server\'s failure: 502 {"error": "servfail"}. Give the UDP '
    'socket a timeout (DNS_TIMEOUT seconds in all) and answer 504 {"error": "timeout"} when it expires.',
    rules=["R7.8"],
)
def test_server_failures(raw, dns):
    conn = raw()
    for rcode in (SERVFAIL, REFUSED):
        name = dns.serve(dns.fresh("failing"), rcode=rcode)
        expect_error(conn, resolve(conn, name, "A"), dns, 502, "servfail")
    silent = dns.serve(dns.fresh("silent"), silent=True)
    expect_error(conn, resolve(conn, silent, "A"), dns, 504, "timeout")


@check(
    "a truncated UDP answer (TC) is asked again over TCP, and the whole answer is served",
    points=2,
    hint="Bit 0x0200 of the flags (TC) says the UDP answer was cut. Send the same query over TCP to the same "
    "address, prefixed by its length on two bytes, and read the two-byte length and then exactly that "
    "many bytes of the answer.",
    rules=["R7.9"],
)
def test_truncated_retry_tcp(raw, dns):
    conn = raw()
    addresses = [f"127.0.2.{i}" for i in range(1, 13)]
    name = dns.serve(dns.fresh("big"), *(Record.a(a) for a in addresses), truncate=True)
    got = body_of(conn, resolve(conn, name, "A"), dns, 200)
    expect_answer(
        conn, got, {"name": name, "type": "A", "answers": records(name, "A", *addresses), "cname_chain": []}
    )
    expect_queries(conn, dns, name, "A", "tcp", 1)


@check(
    "an answer whose id is not the query's is ignored, and the right answer still used",
    points=2,
    hint="Pick a random 16-bit id per query and compare it with the answer's first two bytes: a datagram "
    "with another id (a late answer, or a spoofing attempt) is dropped, and the socket read again until "
    "the right one comes or the time is up.",
    rules=["R7.10"],
)
def test_wrong_id_ignored(raw, dns):
    conn = raw()
    name = dns.serve(dns.fresh("spoofed"), Record.a("127.0.0.9"), spoof=True)
    got = body_of(conn, resolve(conn, name, "A"), dns, 200)
    if isinstance(got, dict) and SPOOFED in json.dumps(got.get("answers")):
        conn.fail(
            f"the answer used the spoofed datagram ({SPOOFED}, another id): {json.dumps(got)[:300]}",
            expected="127.0.0.9",
        )
    expect_answer(
        conn, got, {"name": name, "type": "A", "answers": records(name, "A", "127.0.0.9"), "cname_chain": []}
    )


@check(
    "a name asked again within its TTL is answered from the cache, without a new query",
    points=2,
    hint="Keep each answer with the time it expires (now + its smallest TTL, on time.monotonic) under "
    "(name, type); use it until then. The ttl shown may count down.",
    rules=["R7.11"],
)
def test_cached_for_ttl(raw, dns):
    conn = raw()
    name = dns.serve(dns.fresh("cached"), Record.a("127.0.0.10", ttl=300))
    expected = {"name": name, "type": "A", "answers": records(name, "A", "127.0.0.10"), "cname_chain": []}
    expect_answer(conn, body_of(conn, resolve(conn, name, "A"), dns, 200), expected)
    dns.serve(name, Record.a("127.0.0.11", ttl=300))  # what a new query would get
    expect_answer(conn, body_of(conn, resolve(conn, name, "A"), dns, 200), expected, ttl_at_most=True)
    expect_queries(conn, dns, name, "A", "udp", 1)


@check(
    "once its TTL has passed, a name is asked again and the new answer served",
    points=2,
    hint="An entry of the cache is good until its expiry time only: past it, ask the DNS server again "
    "(and cache the new answer).",
    rules=["R7.11"],
)
def test_cache_expires(raw, dns):
    conn = raw()
    name = dns.serve(dns.fresh("shortlived"), Record.a("127.0.0.12", ttl=1))
    first = body_of(conn, resolve(conn, name, "A"), dns, 200)
    expect_answer(
        conn,
        first,
        {"name": name, "type": "A", "answers": records(name, "A", "127.0.0.12", ttl=1), "cname_chain": []},
    )
    dns.serve(name, Record.a("127.0.0.13", ttl=300))
    fresh = {"name": name, "type": "A", "answers": records(name, "A", "127.0.0.13"), "cname_chain": []}

    def latest() -> Any:
        return body_of(conn, resolve(conn, name, "A"), dns, 200)

    try:
        eventually(latest, timeout=6.0, interval=0.2, until=lambda got: got == fresh, what="a new answer")
    except TimedOut as exc:
        conn.fail(
            f"6 s after an answer with a TTL of 1 s, /resolve still answered {json.dumps(exc.last)[:300]} "
            f"({dns.queries(name, 'A')} queries in all)",
            expected=json.dumps(fresh),
        )


@check(
    "a malformed answer (a compression pointer that points to itself) answers 502 bad_answer",
    points=2,
    hint="Follow a compression pointer only backwards, to an offset before the name being read (or count "
    'the jumps), and check every length against the message\'s end: answer 502 {"error": "bad_answer"} '
    "instead of looping forever or crashing.",
    rules=["R7.4"],
)
def test_pointer_loop(raw, dns):
    conn = raw()
    name = dns.serve(dns.fresh("looping"), pointer_loop=True)
    expect_error(conn, resolve(conn, name, "A"), dns, 502, "bad_answer")
