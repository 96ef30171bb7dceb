"""The delay proxy against plain TCP servers in this process (no PostgreSQL): bytes intact and
in order, the delay accurate and per direction, closes propagated, one slow reader isolated."""
from __future__ import annotations

import random
import socket
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from bench.measure.netdelay import DelayProxy


def _server(handle):
    """A TCP server on 127.0.0.1 running `handle(conn)` in a thread per connection."""
    srv = socket.create_server(("127.0.0.1", 0), backlog=64)

    def accept():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return srv


def _echo(conn):
    with conn:
        try:
            while data := conn.recv(65536):
                conn.sendall(data)
        except OSError:
            pass


@pytest.fixture
def echo():
    srv = _server(_echo)
    yield srv.getsockname()[1]
    srv.close()


def _connect(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def _recv_exactly(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(min(n - len(buf), 1 << 20))
        assert chunk, "connection closed early"
        buf += chunk
    return bytes(buf)


def _median_rtt_ms(port, n=50, warmup=5):
    with _connect(port) as s:
        times = []
        for _ in range(warmup + n):
            t = time.perf_counter_ns()
            s.sendall(b"x")
            _recv_exactly(s, 1)
            times.append((time.perf_counter_ns() - t) / 1e6)
    return statistics.median(times[warmup:])


def test_large_payloads_in_random_chunks_arrive_intact_and_in_order_on_concurrent_connections(echo):
    rng = random.Random(7)
    payloads = [rng.randbytes(6_000_000) for _ in range(6)]
    cuts = [sorted(rng.sample(range(1, len(p)), 400)) for p in payloads]

    def roundtrip(payload, cut):
        chunks = [payload[a:b] for a, b in zip([0, *cut], [*cut, len(payload)])]
        with _connect(proxy.port) as s:
            sender = threading.Thread(target=lambda: [s.sendall(c) for c in chunks])
            sender.start()
            got = _recv_exactly(s, len(payload))
            sender.join()
            return got

    with DelayProxy("127.0.0.1", echo, 1.0) as proxy, ThreadPoolExecutor(len(payloads)) as pool:
        results = list(pool.map(roundtrip, payloads, cuts))
    assert [r == p for r, p in zip(results, payloads)] == [True] * len(payloads)


def test_zero_delay_only_forwards(echo):
    with DelayProxy("127.0.0.1", echo, 0.0) as proxy, _connect(proxy.port) as s:
        s.sendall(b"hello")
        assert _recv_exactly(s, 5) == b"hello"


@pytest.mark.parametrize("rtt_ms", [2.0, 10.0])
def test_added_round_trip_is_the_configured_one(echo, rtt_ms):
    """Floors exact, ceilings generous: a busy machine can only add time. The accuracy is
    measured and charted in every run (fig-method-proxy-accuracy)."""
    direct = _median_rtt_ms(echo)
    with DelayProxy("127.0.0.1", echo, rtt_ms) as proxy:
        added = _median_rtt_ms(proxy.port) - direct
    assert 0.9 * rtt_ms <= added < 2 * rtt_ms, (added, direct)


def test_half_the_delay_in_each_direction():
    """A server that answers each byte with the time it received it: both legs ~RTT/2."""
    def stamp(conn):
        with conn:
            while conn.recv(1):
                conn.sendall(time.perf_counter_ns().to_bytes(8, "big"))

    srv = _server(stamp)
    up, down = [], []
    with DelayProxy("127.0.0.1", srv.getsockname()[1], 10.0) as proxy, _connect(proxy.port) as s:
        for _ in range(30):
            sent = time.perf_counter_ns()
            s.sendall(b"t")
            at_server = int.from_bytes(_recv_exactly(s, 8), "big")
            up.append((at_server - sent) / 1e6)
            down.append((time.perf_counter_ns() - at_server) / 1e6)
    srv.close()
    assert statistics.median(up) >= 4.5 and statistics.median(down) >= 4.5, (up, down)  # half each way
    assert statistics.median(up) + statistics.median(down) < 20.0, (up, down)  # not twice


def test_many_concurrent_connections_each_get_the_delay(echo):
    with DelayProxy("127.0.0.1", echo, 10.0) as proxy, ThreadPoolExecutor(30) as pool:
        medians = list(pool.map(lambda _: _median_rtt_ms(proxy.port, n=20, warmup=2), range(30)))
    assert all(9.5 <= m < 20.0 for m in medians), medians  # each delayed once, none twice


def test_a_client_that_does_not_read_stalls_only_itself(echo):
    with DelayProxy("127.0.0.1", echo, 2.0) as proxy:
        hog = _connect(proxy.port)  # sends far more than all the buffers hold and never reads
        threading.Thread(target=lambda: _swallow(hog.sendall, b"x" * 64_000_000), daemon=True).start()
        time.sleep(0.5)
        try:
            assert _median_rtt_ms(proxy.port, n=20) < 20.0  # stalled behind the hog it would never answer
        finally:
            hog.close()


def _swallow(fn, *args):
    try:
        fn(*args)
    except OSError:
        pass


def test_close_propagates_after_the_data_and_the_delay(echo):
    with DelayProxy("127.0.0.1", echo, 20.0) as proxy, _connect(proxy.port) as s:
        start = time.perf_counter()
        s.sendall(b"bye")
        s.shutdown(socket.SHUT_WR)
        assert _recv_exactly(s, 3) == b"bye"
        assert s.recv(10) == b""  # the echo server saw our FIN and closed: its FIN came back
        assert time.perf_counter() - start >= 0.019


def test_server_close_reaches_the_client():
    def greet_and_close(conn):
        conn.sendall(b"hello")
        conn.close()

    srv = _server(greet_and_close)
    with DelayProxy("127.0.0.1", srv.getsockname()[1], 2.0) as proxy, _connect(proxy.port) as s:
        assert _recv_exactly(s, 5) == b"hello"
        assert s.recv(10) == b""
    srv.close()


def test_exit_closes_connections_and_the_listener(echo):
    with DelayProxy("127.0.0.1", echo, 2.0) as proxy:
        s = _connect(proxy.port)
        s.sendall(b"a")
        assert _recv_exactly(s, 1) == b"a"
        port = proxy.port
    try:
        assert s.recv(10) == b""
    except ConnectionResetError:
        pass
    s.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)


def test_dsn_points_at_the_proxy_and_keeps_the_rest():
    proxy = DelayProxy("127.0.0.1", 5432, 2.0)
    proxy.port = 40001
    for dsn in ("host=/tmp/sock port=5432 user=bench dbname=bench_star_xs connect_timeout=3",
                "postgresql://bench@db.example:5432/bench_star_xs?connect_timeout=3"):
        params = psycopg.conninfo.conninfo_to_dict(proxy.dsn(dsn))
        assert params == {"host": "127.0.0.1", "port": "40001", "user": "bench",
                          "dbname": "bench_star_xs", "connect_timeout": "3"}


def test_a_target_that_refuses_closes_the_client():
    free = socket.create_server(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there now
    with DelayProxy("127.0.0.1", port, 2.0) as proxy, _connect(proxy.port) as s:
        assert s.recv(10) == b""
