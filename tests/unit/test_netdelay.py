"""The delay proxy against a plain TCP echo server: bytes intact and in order, delay accurate."""
import socket
import statistics
import threading
import time

import pytest

from bench.netdelay import DelayProxy


@pytest.fixture
def echo():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)

    def serve(conn):
        with conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while data := conn.recv(65536):
                conn.sendall(data)

    def accept():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield srv.getsockname()[1]
    srv.close()


def _connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def _recv_exactly(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        assert chunk, "connection closed early"
        buf += chunk
    return bytes(buf)


def test_large_payloads_arrive_intact_and_in_order_on_many_connections(echo):
    payloads = [bytes((i + k) % 251 for k in range(300_000)) for i in range(4)]
    with DelayProxy("127.0.0.1", echo, 1.0) as proxy:
        socks = [_connect(proxy.port) for _ in payloads]
        senders = [threading.Thread(target=s.sendall, args=(p,)) for s, p in zip(socks, payloads)]
        for t in senders:
            t.start()
        for s, p in zip(socks, payloads):
            assert _recv_exactly(s, len(p)) == p
        for t in senders:
            t.join()
        for s in socks:
            s.close()


def test_close_propagates(echo):
    with DelayProxy("127.0.0.1", echo, 2.0) as proxy:
        s = _connect(proxy.port)
        s.sendall(b"bye")
        s.shutdown(socket.SHUT_WR)
        assert _recv_exactly(s, 3) == b"bye"
        s.settimeout(5)
        assert s.recv(10) == b""  # the echo server saw our FIN and closed: EOF came back through
        s.close()


@pytest.mark.parametrize("rtt_ms", [2.0, 10.0])
def test_added_round_trip_within_ten_percent(echo, rtt_ms):
    def median_rtt(port, n=40):
        s = _connect(port)
        times = []
        for _ in range(n):
            t = time.perf_counter()
            s.sendall(b"x")
            _recv_exactly(s, 1)
            times.append((time.perf_counter() - t) * 1000)
        s.close()
        return statistics.median(times[5:])

    direct = median_rtt(echo)
    with DelayProxy("127.0.0.1", echo, rtt_ms) as proxy:
        added = median_rtt(proxy.port) - direct
    assert abs(added - rtt_ms) <= 0.1 * rtt_ms, added
