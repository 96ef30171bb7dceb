"""A TCP proxy that adds a round-trip delay (half in each direction) in front of PostgreSQL.

The kernel here has no netem and the suite needs no root, so the delay is added in user space.
What makes it accurate:
- it runs in its own process: a thread in the client's process would wait for the GIL (the
  client decodes rows while a packet is due) and overshoot by milliseconds;
- every chunk read is stamped on arrival and released at arrival + RTT/2, in order, one
  heap for all connections; a close (FIN) is delayed the same way, after the data before it;
- it waits with select(), whose timeout has microsecond resolution (epoll's is a millisecond),
  until SPIN_S before the deadline, then polls for the last stretch: select and sleep
  overshoot by tens of microseconds, a bounded spin does not;
- the proxy's own forwarding cost (two extra socket hops, measured by `calibrate()` at RTT 0)
  is taken off the scheduled delay, so the delay *added* matches the configured RTT.
`measure_added_rtt` checks the result: SELECT 1 through the proxy against direct.
"""
from __future__ import annotations

import heapq
import multiprocessing as mp
import select
import socket
import statistics
import time

import psycopg

SPIN_S = 0.0002
CHUNK = 1 << 16


def _forward(listener: socket.socket, target: tuple[str, int], one_way_s: float, ready) -> None:
    """The proxy's loop (runs in a child process until terminated)."""
    peer: dict[socket.socket, socket.socket] = {}
    reading: list[socket.socket] = [listener]
    due: list = []  # (deadline, seq, destination, data or None for FIN)
    half_closed: set[socket.socket] = set()
    seq = 0
    clock = time.perf_counter
    ready.set()
    while True:
        now = clock()
        while due and due[0][0] <= now:
            _, _, dest, data = heapq.heappop(due)
            _deliver(dest, data, peer, reading, half_closed)
        if due:
            wait = due[0][0] - clock() - SPIN_S
            readable, _, _ = select.select(reading, [], [], max(0.0, wait))
        else:
            readable, _, _ = select.select(reading, [], [])
        stamp = clock()
        for sock in readable:
            if sock is listener:
                client, _ = listener.accept()
                server = socket.create_connection(target)
                for s in (client, server):
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                peer[client], peer[server] = server, client
                reading += [client, server]
                continue
            try:
                data = sock.recv(CHUNK)
            except OSError:
                data = b""
            if not data:
                reading.remove(sock)
            seq += 1
            heapq.heappush(due, (stamp + one_way_s, seq, peer[sock], data or None))


def _deliver(dest, data, peer, reading, half_closed) -> None:
    try:
        if data is not None:
            dest.sendall(data)
            return
        dest.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    half_closed.add(dest)
    other = peer[dest]
    if other in half_closed:  # both directions done
        for s in (dest, other):
            if s in reading:
                reading.remove(s)
            half_closed.discard(s)
            peer.pop(s, None)
            s.close()


class DelayProxy:
    """`with DelayProxy(host, port, rtt_ms) as proxy: psycopg.connect(proxy.dsn(dsn))`."""

    def __init__(self, target_host: str, target_port: int, rtt_ms: float, overhead_ms: float = 0.0):
        self.target = (target_host, target_port)
        self.rtt_ms = rtt_ms
        self.overhead_ms = overhead_ms
        self.port = 0
        self._proc = None

    def __enter__(self) -> DelayProxy:
        self._start(max(0.0, (self.rtt_ms - self.overhead_ms) / 2_000))
        return self

    def _start(self, one_way_s: float) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        self.port = listener.getsockname()[1]
        ctx = mp.get_context("fork")
        ready = ctx.Event()
        self._proc = ctx.Process(target=_forward, args=(listener, self.target, one_way_s, ready), daemon=True)
        self._proc.start()
        listener.close()
        if not ready.wait(10):
            raise RuntimeError("the delay proxy did not start")

    def __exit__(self, *exc) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.join(5)
            self._proc = None

    def dsn(self, dsn: str) -> str:
        params = psycopg.conninfo.conninfo_to_dict(dsn)
        params.update(host="127.0.0.1", port=self.port)
        return psycopg.conninfo.make_conninfo(**params)


def _round_trips(dsn: str, n: int) -> list[float]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for _ in range(20):  # warm-up
            conn.execute("SELECT 1", prepare=True).fetchone()
        out = []
        for _ in range(n):
            t = time.perf_counter()
            conn.execute("SELECT 1", prepare=True).fetchone()
            out.append((time.perf_counter() - t) * 1_000)
        return out


def measure_added_rtt(direct_dsn: str, proxied_dsn: str, n: int = 200, configured_ms: float | None = None) -> dict:
    """Median SELECT 1 round trip through the proxy minus direct, measured in alternating rounds."""
    direct, proxied = [], []
    for _ in range(4):
        direct += _round_trips(direct_dsn, n // 4)
        proxied += _round_trips(proxied_dsn, n // 4)
    d, p = statistics.median(direct), statistics.median(proxied)
    added = [x - d for x in proxied]
    return {"configured_ms": configured_ms, "direct_median_ms": d, "proxied_median_ms": p, "added_ms": p - d,
            "added_p95_ms": statistics.quantiles(added, n=20)[-1], "n": len(proxied)}


def calibrate(direct_dsn: str, n: int = 300) -> float:
    """Milliseconds a zero-delay proxy adds to a round trip (its two extra socket hops)."""
    host, port = target_of(direct_dsn)
    with DelayProxy(host, port, 0.0) as proxy:
        return max(0.0, measure_added_rtt(direct_dsn, proxy.dsn(direct_dsn), n)["added_ms"])


def target_of(dsn: str) -> tuple[str, int]:
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    return params.get("host") or "127.0.0.1", int(params.get("port") or 5432)


def accuracy_table(direct_dsn: str, rtts_ms=(0.0, 0.5, 2.0, 10.0, 40.0), n: int = 200) -> list[dict]:
    """Configured against added RTT for each delay (the proxy's accuracy benchmark)."""
    overhead = calibrate(direct_dsn)
    rows = []
    for rtt in rtts_ms:
        with DelayProxy(*target_of(direct_dsn), rtt, overhead_ms=overhead if rtt else 0.0) as proxy:
            m = measure_added_rtt(direct_dsn, proxy.dsn(direct_dsn), n, configured_ms=rtt)
        m["error_ms"] = m["added_ms"] - rtt
        m["error_pct"] = 100 * m["error_ms"] / rtt if rtt else None
        m["overhead_ms"] = overhead
        rows.append(m)
    return rows
