"""grader.faultproxy: a TCP proxy a suite cuts and restores between the app and one of its services.

Plain-socket tests on a loopback echo server, then a real broker: a pika client through the proxy
loses its connection when the proxy cuts, cannot connect during the outage, and connects again after.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from grader.faultproxy import FaultProxy
from grader.polling import eventually
from tests.conftest import skip_or_fail
from tests.test_tunnel import TIMEOUT, closed_port, connect, echo_once, recv_all, serve


def _echo(sock: socket.socket) -> None:
    while data := sock.recv(1 << 16):
        sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)


@pytest.fixture(scope="module")
def echo_port() -> Iterator[int]:
    yield from serve(_echo)


@pytest.fixture
def proxy(echo_port: int) -> Iterator[FaultProxy]:
    with FaultProxy("127.0.0.1", echo_port) as started:
        yield started


def is_reset(port: int) -> bool:
    """Connect and send: True when the connection is reset or closed without an answer."""
    try:
        with connect(port) as sock:
            sock.sendall(b"ping")
            sock.shutdown(socket.SHUT_WR)
            return recv_all(sock) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


def test_it_relays_both_ways(proxy: FaultProxy) -> None:
    assert echo_once(proxy.port, b"hello through the proxy") == b"hello through the proxy"
    assert proxy.accepted == 1
    assert not proxy.down


def test_cut_resets_open_connections_and_refuses_new_ones_until_restore(proxy: FaultProxy) -> None:
    held = connect(proxy.port)
    held.sendall(b"up")
    assert held.recv(2) == b"up"
    assert proxy.connections == 1
    proxy.cut()
    try:
        assert held.recv(1) == b"", "the open connection ended"
    except ConnectionResetError:
        pass  # a reset: what the proxy sends
    finally:
        held.close()
    eventually(lambda: proxy.connections == 0, timeout=TIMEOUT, what="the relay ended")
    assert is_reset(proxy.port), "a new connection during the outage is reset"
    assert proxy.refused >= 1
    proxy.restore()
    assert echo_once(proxy.port, b"back") == b"back"


def test_outage_restores_even_when_the_block_fails(proxy: FaultProxy) -> None:
    def fail_during_outage() -> None:
        with proxy.outage():
            assert proxy.down
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fail_during_outage()
    assert not proxy.down
    assert echo_once(proxy.port, b"ok") == b"ok"


def test_an_unreachable_upstream_resets_the_client_at_once() -> None:
    with closed_port() as closed, FaultProxy("127.0.0.1", closed) as proxy:
        assert is_reset(proxy.port)


def test_url_keeps_scheme_credentials_path_and_query() -> None:
    proxy = FaultProxy("127.0.0.1", 5672)
    proxy.port = 40000
    url = "amqp://lab:s%40cret@rabbitmq:5672/lab?heartbeat=10"
    assert proxy.url(url) == "amqp://lab:s%40cret@127.0.0.1:40000/lab?heartbeat=10"
    assert proxy.url(url, hostport="gateway:40000") == "amqp://lab:s%40cret@gateway:40000/lab?heartbeat=10"
    assert proxy.url("redis://127.0.0.1:6379/3", hostport="h:1") == "redis://h:1/3"


def test_stop_closes_the_listener_and_every_connection(echo_port: int) -> None:
    proxy = FaultProxy("127.0.0.1", echo_port).start()
    held = connect(proxy.port)
    held.sendall(b"x")
    assert held.recv(1) == b"x"
    proxy.stop()
    try:
        assert recv_all(held) == b""
    except ConnectionResetError:
        pass  # closed either way
    finally:
        held.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=TIMEOUT).close()
    proxy.stop()  # twice is fine


def test_a_broker_client_sees_the_outage_and_reconnects_after_it() -> None:
    """A real AMQP client (pika) against the machine's RabbitMQ, through the proxy."""
    import pika
    import pika.exceptions

    from tests.test_services import LOCAL_AMQP, _reachable

    if not _reachable("rabbitmq"):
        message = "no local RabbitMQ"
        skip_or_fail(message)
    with FaultProxy.for_url(LOCAL_AMQP, 5672) as proxy:
        url = proxy.url(LOCAL_AMQP)
        client = pika.BlockingConnection(pika.URLParameters(url))
        channel = client.channel()
        channel.queue_declare("", exclusive=True)
        with proxy.outage():
            with pytest.raises(pika.exceptions.AMQPError):
                channel.queue_declare("", exclusive=True)  # the open connection was reset
            parameters = pika.URLParameters(url)
            parameters.connection_attempts = 1
            with pytest.raises(pika.exceptions.AMQPError):
                pika.BlockingConnection(parameters)  # and a new one cannot open
        again = pika.BlockingConnection(pika.URLParameters(url))
        again.channel().queue_declare("", exclusive=True)
        again.close()
