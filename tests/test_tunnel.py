"""The docker run's gateway (grader/runners/gateway.py) and its host side (grader/runners/tunnel.py).

No Docker here: the gateway runs as a subprocess on 127.0.0.1, so the address the app would dial as
``gateway:<port>`` is 127.0.0.1:<port> in these tests. Every server is a small one on loopback.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import os
import queue
import re
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from grader.polling import eventually
from grader.ports import free_port
from grader.runners.tunnel import Tunnel, TunnelError
from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[1]
GATEWAY = ROOT / "grader" / "runners" / "gateway.py"
TOKEN = "5e11a7c0ffee"
TIMEOUT = 5.0  # every socket operation in these tests: a hang fails instead of blocking the run
# "At once": well under the 5 s that the gateway's connect timeout, every socket here and a retried
# readiness probe would take, and never under a second (a loaded machine is no failure)
QUICK = 3.0


@contextlib.contextmanager
def closed_port() -> Iterator[int]:
    """A loopback port where nothing listens, held for the test: bound and never listening, so a
    connection is refused and no other process can take the port meanwhile (free_port() releases it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


# -- the gateway process ----------------------------------------------------------------------------


@dataclass
class GatewayProcess:
    proc: subprocess.Popen[str]
    port: int = 0
    lines: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(TIMEOUT)


def start_gateway() -> GatewayProcess:
    """Start gateway.py on a free loopback port; return once it says it listens."""
    config = json.dumps({"token": TOKEN, "port": 0, "host": "127.0.0.1"})
    proc = subprocess.Popen(
        [sys.executable, str(GATEWAY), config], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    gateway = GatewayProcess(proc)
    ready = threading.Event()

    def read() -> None:  # drain its output (a full pipe would block it) and keep the lines
        assert proc.stdout is not None
        with proc.stdout:
            for line in proc.stdout:
                gateway.lines.append(line.rstrip("\n"))
                if match := re.match(r"gateway: listening on 127\.0\.0\.1:(\d+)$", line.strip()):
                    gateway.port = int(match.group(1))
                    ready.set()
        ready.set()  # it exited: let the caller see that

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(TIMEOUT) or not gateway.port:
        gateway.stop()
        pytest.fail(f"the gateway did not start: {gateway.lines}")
    return gateway


@pytest.fixture(scope="module")
def gateway() -> Iterator[GatewayProcess]:
    process = start_gateway()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def tunnel(gateway: GatewayProcess) -> Iterator[Tunnel]:
    with Tunnel("127.0.0.1", gateway.port, TOKEN) as tun:
        yield tun


# -- small servers on loopback ----------------------------------------------------------------------


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 128  # the default backlog of 5 resets connections of a burst of 50


def serve(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    """Run a threaded TCP server whose connections are handled by `handle`; yield its port."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.settimeout(TIMEOUT)
            handle(self.request)

    server = _Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def recv_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def _echo(sock: socket.socket) -> None:
    while data := sock.recv(1 << 16):
        sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)


def _count_then_answer(sock: socket.socket) -> None:
    """Reads until the client's EOF, then answers: only works if that EOF did not cut the way back."""
    size = len(recv_all(sock))
    sock.sendall(f"got {size} bytes".encode())


@pytest.fixture(scope="module")
def echo_port() -> Iterator[int]:
    yield from serve(_echo)


@pytest.fixture(scope="module")
def count_port() -> Iterator[int]:
    yield from serve(_count_then_answer)


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"hello from {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def http_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello, bind_and_activate=False)
    server.daemon_threads = True
    server.request_queue_size = 128
    server.server_bind()
    server.server_activate()
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)


def echo_once(port: int, payload: bytes) -> bytes:
    with connect(port) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        return recv_all(sock)


def burst(n: int, fn: Callable[[int], bytes]) -> list[bytes]:
    """Run fn(0..n-1) in n threads released together, so the connections really overlap."""
    barrier = threading.Barrier(n, timeout=TIMEOUT)

    def run(i: int) -> bytes:
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def mux_answer(port: int, line: bytes) -> tuple[bytes, float]:
    """Send one line; return all that came back (b"<reset>" for a reset) and how long until the close."""
    start = time.monotonic()
    try:
        with connect(port) as sock:
            sock.sendall(line)
            answer = recv_all(sock)
    except (ConnectionResetError, BrokenPipeError):
        # A reset can arrive while connect() still waits to be scheduled, or before all is sent.
        answer = b"<reset>"
    return answer, time.monotonic() - start


# -- forward ----------------------------------------------------------------------------------------


def test_forward_carries_http(tunnel: Tunnel, http_port: int) -> None:
    local = tunnel.forward("127.0.0.1", http_port)
    response = httpx.get(f"http://127.0.0.1:{local}/books?x=1", timeout=TIMEOUT)
    assert (response.status_code, response.text) == (200, "hello from /books?x=1")
    assert tunnel.forward("127.0.0.1", http_port) == local, "forward() is idempotent per target"


def test_fifty_concurrent_forwarded_connections(tunnel: Tunnel, echo_port: int) -> None:
    local = tunnel.forward("127.0.0.1", echo_port)
    payloads = [f"connection {i} ".encode() * (i + 1) for i in range(50)]
    assert burst(50, lambda i: echo_once(local, payloads[i])) == payloads


def transfer_10mb(port: int) -> None:
    """Send 10 MB while reading the echo back (so neither side's buffers must hold it all)."""
    payload = os.urandom(10 * 1024 * 1024)
    with connect(port) as sock:
        sender = threading.Thread(target=lambda: (sock.sendall(payload), sock.shutdown(socket.SHUT_WR)))
        sender.start()
        received = recv_all(sock)
        sender.join(TIMEOUT)
    assert len(received) == len(payload)
    assert hashlib.sha256(received).digest() == hashlib.sha256(payload).digest()


def test_ten_megabytes_both_ways_through_forward(tunnel: Tunnel, echo_port: int) -> None:
    transfer_10mb(tunnel.forward("127.0.0.1", echo_port))


def test_client_half_close_keeps_the_answer_coming(tunnel: Tunnel, count_port: int) -> None:
    """The client shuts its sending side; the server reads to EOF and only then answers."""
    local = tunnel.forward("127.0.0.1", count_port)
    with connect(local) as sock:
        sock.sendall(b"x" * 1000)
        sock.shutdown(socket.SHUT_WR)
        assert recv_all(sock) == b"got 1000 bytes"


def test_server_half_close_keeps_the_request_coming(tunnel: Tunnel) -> None:
    """The server speaks and shuts its sending side first; what the client sends after still arrives."""
    heard: queue.Queue[bytes] = queue.Queue()

    def greet_then_listen(sock: socket.socket) -> None:
        sock.sendall(b"hello")
        sock.shutdown(socket.SHUT_WR)
        heard.put(recv_all(sock))

    for port in serve(greet_then_listen):
        local = tunnel.forward("127.0.0.1", port)
        with connect(local) as sock:
            assert recv_all(sock) == b"hello"  # the server's EOF reached us...
            sock.sendall(b"late words")  # ...and our side still carries data
            sock.shutdown(socket.SHUT_WR)
            assert heard.get(timeout=TIMEOUT) == b"late words"


def test_connect_to_a_closed_port_closes_the_client_quickly(tunnel: Tunnel) -> None:
    with closed_port() as closed:
        local = tunnel.forward("127.0.0.1", closed)
        answer, elapsed = mux_answer(local, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer == b"<reset>", "the client is reset, not handed a clean (and empty) answer"
    assert elapsed < QUICK, f"the client waited {elapsed:.2f} s to learn nothing is there"


def test_raw_connect_to_a_closed_port_says_why(gateway: GatewayProcess) -> None:
    with closed_port() as closed:
        answer, elapsed = mux_answer(gateway.port, f"CONNECT {TOKEN} 127.0.0.1 {closed}\n".encode())
    assert answer.startswith(b"ERR connect 127.0.0.1:"), answer
    assert answer.count(b"\n") == 1, "one line, then the gateway closes"
    assert elapsed < QUICK


# -- reverse ----------------------------------------------------------------------------------------


def test_reverse_reaches_the_host_server(tunnel: Tunnel, http_port: int) -> None:
    remote = free_port()
    assert tunnel.reverse(remote, http_port) == f"gateway:{remote}"
    # The gateway runs on loopback here, so what the app would dial as gateway:<remote> is this:
    response = httpx.get(f"http://127.0.0.1:{remote}/from-the-app", timeout=TIMEOUT)
    assert (response.status_code, response.text) == (200, "hello from /from-the-app")
    assert tunnel.reverse(remote, http_port) == f"gateway:{remote}", "same target again: a no-op"
    with pytest.raises(ValueError, match="already leads"):
        tunnel.reverse(remote, http_port + 1)


@pytest.mark.parametrize("slots", [16, 1])
def test_fifty_concurrent_reverse_connections(tunnel: Tunnel, echo_port: int, slots: int) -> None:
    """More clients than parked slots: the rest wait for replenished ones, none is dropped."""
    remote = free_port()
    tunnel.reverse(remote, echo_port, slots=slots)
    payloads = [f"app connection {i} ".encode() * (i + 1) for i in range(50)]
    assert burst(50, lambda i: echo_once(remote, payloads[i])) == payloads


def test_ten_megabytes_both_ways_through_reverse(tunnel: Tunnel, echo_port: int) -> None:
    remote = free_port()
    tunnel.reverse(remote, echo_port)
    transfer_10mb(remote)


def test_reverse_half_close(tunnel: Tunnel, count_port: int) -> None:
    remote = free_port()
    tunnel.reverse(remote, count_port)
    with connect(remote) as sock:
        sock.sendall(b"y" * 12345)
        sock.shutdown(socket.SHUT_WR)
        assert recv_all(sock) == b"got 12345 bytes"


def test_reverse_to_a_closed_host_port_closes_the_app_quickly(tunnel: Tunnel) -> None:
    remote = free_port()  # the gateway's LISTEN takes the port to open (0 is refused): picked here
    with closed_port() as closed:
        tunnel.reverse(remote, closed, slots=2)
        answer, elapsed = mux_answer(remote, b"GET / HTTP/1.1\r\n\r\n")
    assert answer == b"<reset>"
    assert elapsed < QUICK


# -- refusals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        b"LISTEN wrong-token 9999\n",
        b"CONNECT\n",
        b"HELLO " + TOKEN.encode() + b" 127.0.0.1 80\n",
        b"CONNECT " + TOKEN.encode() + b" 127.0.0.1 notaport\n",
        b"CONNECT " + TOKEN.encode() + b" 127.0.0.1 70000\n",
        b"LISTEN " + TOKEN.encode() + b" 0\n",
        b"CONNECT " + TOKEN.encode() + b" " + b"h" * 600 + b" 80\n",
        b"x" * 70000 + b"\n",
    ],
    ids=[
        "bad-token-listen",
        "short",
        "verb",
        "port-word",
        "port-range",
        "port-0",
        "long",
        "huge",
    ],
)
def test_bad_lines_are_refused_at_once(gateway: GatewayProcess, line: bytes) -> None:
    answer, elapsed = mux_answer(gateway.port, line)
    assert answer.startswith(b"ERR ") or answer == b"<reset>", answer
    assert elapsed < QUICK


def test_a_wrong_token_is_refused_where_a_server_listens(gateway: GatewayProcess, echo_port: int) -> None:
    """CONNECT to a server that answers: refused for the token alone (a gateway that ignored the token
    would connect, as it does with the right one)."""
    answer, elapsed = mux_answer(gateway.port, f"CONNECT wrong-token 127.0.0.1 {echo_port}\n".encode())
    assert answer == b"ERR bad token or malformed line\n", answer
    assert elapsed < QUICK
    with connect(gateway.port) as sock:  # the control: the same line with the token is relayed
        sock.sendall(f"CONNECT {TOKEN} 127.0.0.1 {echo_port}\n".encode())
        assert sock.recv(3) == b"OK\n"
        sock.sendall(b"through")
        sock.shutdown(socket.SHUT_WR)
        assert recv_all(sock) == b"through"


def test_the_mux_port_cannot_be_a_reverse_port(gateway: GatewayProcess) -> None:
    answer, _ = mux_answer(gateway.port, f"LISTEN {TOKEN} {gateway.port}\n".encode())
    assert answer.startswith(b"ERR ")


def test_a_bad_token_is_logged_in_one_line(gateway: GatewayProcess) -> None:
    mux_answer(gateway.port, b"CONNECT not-the-token-xyz 127.0.0.1 80\n")
    eventually(
        lambda: [line for line in gateway.lines if "bad token" in line],
        timeout=TIMEOUT,
        what="a log line about the bad token",
    )
    assert not any("not-the-token-xyz" in line for line in gateway.lines), "never log what was sent"


def test_a_wrong_token_fails_the_readiness_probe_at_once(gateway: GatewayProcess) -> None:
    start = time.monotonic()
    with pytest.raises(TunnelError, match="refused"):
        Tunnel("127.0.0.1", gateway.port, "wrong")
    assert time.monotonic() - start < QUICK, "a refusal is not retried (for the 10 s it may wait)"


def test_no_gateway_fails_the_readiness_probe_within_its_bound() -> None:
    """wait=2: the probe gives up after its 2 s, not the default 10 s."""
    start = time.monotonic()
    with closed_port() as closed, pytest.raises(TunnelError, match="did not come up within 2 s"):
        Tunnel("127.0.0.1", closed, TOKEN, wait=2.0)
    assert time.monotonic() - start < 2.0 + QUICK


def test_ping_answers_ok(gateway: GatewayProcess) -> None:
    assert mux_answer(gateway.port, f"PING {TOKEN}\n".encode())[0] == b"OK\n"


def test_a_tunnel_with_a_wrong_token_is_refused(gateway: GatewayProcess, http_port: int) -> None:
    with Tunnel("127.0.0.1", gateway.port, "wrong", wait=None) as tun:
        with pytest.raises(TunnelError, match="refused"):
            tun.reverse(free_port(), http_port, slots=1)
        local = tun.forward("127.0.0.1", http_port)
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{local}/", timeout=TIMEOUT)


# -- lifecycle --------------------------------------------------------------------------------------


def socket_count() -> int:
    fds = Path("/proc/self/fd")
    count = 0
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):  # the fd of the listing itself is gone by now
            count += os.readlink(fd).startswith("socket:")
    return count


def test_close_leaves_no_thread_and_no_socket(gateway: GatewayProcess, echo_port: int) -> None:
    if not Path("/proc/self/fd").is_dir():
        skip_or_fail("counts sockets through /proc")
    before = socket_count()
    threads_before = set(threading.enumerate())
    tun = Tunnel("127.0.0.1", gateway.port, TOKEN)
    local = tun.forward("127.0.0.1", echo_port)
    remote = free_port()
    tun.reverse(remote, echo_port, slots=4)
    assert echo_once(local, b"ping") == b"ping"
    assert echo_once(remote, b"pong") == b"pong"
    held = connect(local)  # a connection still open at close() must not keep anything alive
    held.sendall(b"held")
    assert held.recv(4) == b"held"
    tunnel_threads = [t for t in set(threading.enumerate()) - threads_before if t.name.startswith("tunnel-")]
    assert len(tunnel_threads) == 1
    tun.close()
    try:
        assert not any(t.is_alive() for t in tunnel_threads), "the tunnel's thread is still running"
        with pytest.raises(OSError):
            connect(local).close()  # nothing listens on the forward port any more
        assert recv_all(held) == b"", "the open connection was closed"
    finally:
        held.close()
    eventually(socket_count, timeout=TIMEOUT, until=lambda n: n <= before, what="every socket closed")
    with pytest.raises(TunnelError, match="closed"):
        tun.forward("127.0.0.1", echo_port)
    tun.close()  # twice is fine


def test_gateway_exits_on_sigterm_within_two_seconds(echo_port: int) -> None:
    process = start_gateway()
    try:
        with Tunnel("127.0.0.1", process.port, TOKEN) as tun:
            tun.reverse(free_port(), echo_port, slots=2)  # parked slots and ...
            held = connect(tun.forward("127.0.0.1", echo_port))  # ... a live relay must not hold it up
            held.sendall(b"up")
            assert held.recv(2) == b"up"
            start = time.monotonic()
            process.proc.send_signal(signal.SIGTERM)
            code = process.proc.wait(timeout=2)
            held.close()
        assert code == 0, process.lines
        assert time.monotonic() - start < 2
        eventually(
            lambda: process.lines[-1:] == ["gateway: stopped"], timeout=TIMEOUT, what="a last log line"
        )
    finally:
        process.stop()


# -- reverse UDP ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def udp_echo_port() -> Iterator[int]:
    """A UDP server on loopback that answers each datagram, prefixed, to where it came from."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop = threading.Event()

    def serve_udp() -> None:
        while not stop.is_set():
            try:
                data, addr = sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            sock.sendto(b"echo:" + data, addr)

    thread = threading.Thread(target=serve_udp, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    stop.set()
    thread.join(TIMEOUT)
    sock.close()


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def udp_ask(port: int, payload: bytes, timeout: float = TIMEOUT) -> bytes:
    """Send one datagram to 127.0.0.1:port and return the first answer (bounded, resent on loss)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        deadline = time.monotonic() + timeout
        while True:
            sock.sendto(payload, ("127.0.0.1", port))
            try:
                return sock.recvfrom(65535)[0]
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise
                # UDP may lose a datagram: asking again is what every UDP client does


def test_reverse_udp_carries_datagrams_both_ways(tunnel: Tunnel, udp_echo_port: int) -> None:
    remote = free_udp_port()
    assert tunnel.reverse_udp(remote, udp_echo_port) == f"gateway:{remote}"
    assert udp_ask(remote, b"where is example.test?") == b"echo:where is example.test?"
    assert tunnel.reverse_udp(remote, udp_echo_port) == f"gateway:{remote}", "same ports again: a no-op"
    with pytest.raises(ValueError, match="already leads"):
        tunnel.reverse_udp(remote, udp_echo_port + 1)


def test_each_app_address_gets_its_own_answers(tunnel: Tunnel, udp_echo_port: int) -> None:
    """Twenty clients at once, each from its own port: every one gets its own answer, none another's."""
    remote = free_udp_port()
    tunnel.reverse_udp(remote, udp_echo_port)
    payloads = [f"client {i} ".encode() * (i + 1) for i in range(20)]
    answers = burst(20, lambda i: udp_ask(remote, payloads[i]))
    assert answers == [b"echo:" + p for p in payloads]


def test_a_large_datagram_arrives_whole(tunnel: Tunnel, udp_echo_port: int) -> None:
    remote = free_udp_port()
    tunnel.reverse_udp(remote, udp_echo_port)
    payload = os.urandom(60_000)
    assert udp_ask(remote, payload) == b"echo:" + payload


def test_udp_and_tcp_share_a_port_number(tunnel: Tunnel, udp_echo_port: int, echo_port: int) -> None:
    """A DNS server listens on one port for both: the app reaches both at the same address."""
    remote = free_port()
    tunnel.reverse(remote, echo_port, slots=2)
    tunnel.reverse_udp(remote, udp_echo_port)
    assert echo_once(remote, b"over tcp") == b"over tcp"
    assert udp_ask(remote, b"over udp") == b"echo:over udp"


def test_udp_to_a_host_port_where_nothing_listens_is_lost_not_fatal(
    tunnel: Tunnel, udp_echo_port: int
) -> None:
    remote = free_udp_port()
    tunnel.reverse_udp(remote, free_udp_port())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.3)
        sock.sendto(b"anyone?", ("127.0.0.1", remote))
        with pytest.raises(TimeoutError):
            sock.recvfrom(100)
    other = free_udp_port()  # the relay is still working for other ports
    tunnel.reverse_udp(other, udp_echo_port)
    assert udp_ask(other, b"still there") == b"echo:still there"


@pytest.mark.parametrize(
    "line",
    [b"UDP wrong-token 5353\n", b"UDP " + TOKEN.encode() + b" 0\n", b"UDP " + TOKEN.encode() + b"\n"],
    ids=["bad-token", "port-0", "short"],
)
def test_bad_udp_lines_are_refused(gateway: GatewayProcess, line: bytes) -> None:
    answer, elapsed = mux_answer(gateway.port, line)
    assert answer.startswith(b"ERR ") or answer == b"<reset>", answer
    assert elapsed < QUICK


def raw_udp_relay(gateway_port: int, port: int) -> socket.socket:
    sock = connect(gateway_port)
    sock.sendall(f"UDP {TOKEN} {port}\n".encode())
    assert sock.recv(3) == b"OK\n"
    return sock


def read_frame(sock: socket.socket) -> tuple[int, bytes]:
    import struct

    header = b""
    while len(header) < 6:
        chunk = sock.recv(6 - len(header))
        assert chunk, "the relay connection closed"
        header += chunk
    client, length = struct.unpack("!IH", header)
    data = b""
    while len(data) < length:
        data += sock.recv(length - len(data))
    return client, data


def test_a_new_relay_connection_takes_the_port_over(gateway: GatewayProcess) -> None:
    """A host that reconnects gets the port; the old connection is closed; answers reach the app."""
    import struct

    port = free_udp_port()
    first = raw_udp_relay(gateway.port, port)
    second = raw_udp_relay(gateway.port, port)
    try:
        assert recv_all(first) == b"", "the first relay connection was closed"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as app:
            app.settimeout(TIMEOUT)
            app.sendto(b"question", ("127.0.0.1", port))
            client, data = read_frame(second)
            assert data == b"question"
            second.sendall(struct.pack("!IH", client, 6) + b"answer")
            assert app.recvfrom(100)[0] == b"answer"
    finally:
        first.close()
        second.close()


def test_closing_the_relay_frees_the_gateways_udp_port(gateway: GatewayProcess, udp_echo_port: int) -> None:
    port = free_udp_port()
    with Tunnel("127.0.0.1", gateway.port, TOKEN) as tun:
        tun.reverse_udp(port, udp_echo_port)
        assert udp_ask(port, b"x") == b"echo:x"

    def bindable() -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
            return True

    eventually(bindable, timeout=TIMEOUT, what="the gateway's UDP port closed")
