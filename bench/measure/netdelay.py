"""A TCP proxy that adds a round-trip delay (RTT/2 each way) in front of PostgreSQL, in user
space (no netem, no root). It forwards bytes only, so any protocol works, pipeline mode too.

Design: one epoll loop in a child process (a thread would wait for the GIL, which the client
holds for up to the 5 ms switch interval while it decodes rows). Every chunk read gets a
deadline in one heap for all connections; per direction deadlines never decrease, so bytes are
never reordered and a close (FIN) follows the bytes before it. Sockets are non-blocking with
TCP_NODELAY: a client that does not read stalls only itself (reads pause past PAUSE_BYTES).

Accuracy: the deadline is the kernel's receive time (SO_TIMESTAMPNS) + RTT/2, so a late wake-up
of the proxy costs nothing. Waits are select() on the epoll fd (microsecond timeouts) with timer
slack cut to 1 ns; a long sleep ends PREWAKE_NS early (an idle vCPU wakes ~100-200 us late), a
short one SPIN_NS early, and a bounded busy-wait lands the send. `calibrate()` measures the
proxy's own hops (~0.03 ms), which `DelayProxy(..., overhead_ms=)` takes off. What remains is
not the proxy's: after 10-40 ms idle, PostgreSQL and the client wake ~0.1-0.2 ms slower than
back to back, as they would behind a real link.
"""
from __future__ import annotations

import contextlib
import ctypes
import heapq
import os
import select
import socket
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import pq

from bench.db import passfile

SPIN_NS = 80_000  # busy-wait this close to a deadline (a short select wakes 20-50 us late)
PREWAKE_NS = 250_000  # a long sleep ends this early (it wakes up to ~200 us late)
CHUNK = 1 << 16  # below malloc's mmap threshold: no mmap/munmap per read
PAUSE_BYTES = 8 << 20  # stop reading a side while this much of its data is undelivered
SO_TIMESTAMPNS = 35  # Linux: the kernel's receive time as an SCM cmsg
PR_SET_TIMERSLACK = 29
WARMUP = 20
REFERENCE_MS = 0.5  # calibrate where the overhead matters most
IN, OUT, BROKEN = select.EPOLLIN, select.EPOLLOUT, select.EPOLLHUP | select.EPOLLERR


class _Pipe:
    """One direction of one connection: bytes read from `src`, delivered to `dst`."""

    __slots__ = ("src", "dst", "fd", "other", "out", "queued", "last_due", "reading", "eof_due", "done", "dead")

    def __init__(self, src: socket.socket, dst: socket.socket):
        self.src, self.dst, self.fd, self.other = src, dst, src.fileno(), self
        self.out = bytearray()  # due, not yet taken by dst's socket buffer
        self.queued = self.last_due = 0  # bytes read and not yet sent; last deadline
        self.reading, self.eof_due, self.done, self.dead = True, False, False, False


class _Loop:
    def __init__(self, listener: socket.socket, target: tuple[str, int], one_way_ns: int, control: int):
        self.listener, self.target, self.one_way_ns, self.control = listener, target, one_way_ns, control
        self.epoll = select.epoll()
        for fd in (control, listener.fileno()):
            self.epoll.register(fd, IN)
        self.pipes: dict[int, _Pipe] = {}  # by src fd
        self.masks: dict[int, int] = {}  # what epoll waits for on each socket
        self.due: list = []  # heap of (deadline_ns, seq, pipe, data or None for EOF)
        self.seq = 0

    def run(self) -> None:
        clock = time.monotonic_ns
        while True:
            self.release(clock())
            wait = self.due[0][0] - clock() if self.due else None
            if wait is not None:
                wait = max(0, wait - (PREWAKE_NS if wait > PREWAKE_NS + SPIN_NS else SPIN_NS)) / 1e9
            if select.select([self.epoll], [], [], wait)[0] and not self.handle(self.epoll.poll(0)):
                return
            if self.due and self.due[0][0] - clock() <= SPIN_NS:
                deadline = self.due[0][0]
                while clock() < deadline:  # bounded: at most SPIN_NS
                    pass

    def handle(self, events) -> bool:
        for fd, event in events:
            if fd == self.control:
                return False  # the parent closed our stdin (or died)
            if fd == self.listener.fileno():
                self.accept()
            elif (pipe := self.pipes.get(fd)) is not None:
                if event & OUT:
                    self.flush(pipe.other)
                if pipe.dead:
                    continue
                if pipe.reading and event & (IN | BROKEN):
                    self.read(pipe)
                elif event & BROKEN:
                    self.drop(pipe)  # reset while we only had bytes to send it
        return True

    def watch(self, pipe: _Pipe) -> None:
        """Tell epoll what to wait for on both sockets of `pipe`'s connection."""
        for p in (pipe, pipe.other):
            mask = (IN if p.reading and p.queued < PAUSE_BYTES else 0) | (OUT if p.other.out else 0)
            old = self.masks.get(p.fd, 0)
            if p.dead or mask == old:
                continue
            if not old:
                self.epoll.register(p.fd, mask)
            elif mask:
                self.epoll.modify(p.fd, mask)
            else:
                self.epoll.unregister(p.fd)  # nothing to wait for (and no HUP to spin on)
            self.masks[p.fd] = mask

    def accept(self) -> None:
        try:
            client, _ = self.listener.accept()
        except OSError:
            return  # the client went away already
        try:
            server = socket.create_connection(self.target, timeout=5)  # local: immediate
        except OSError:
            return client.close()  # the target refused: the client sees a close
        up, down = _Pipe(client, server), _Pipe(server, client)
        up.other, down.other = down, up
        for pipe in (up, down):
            pipe.src.setblocking(False)
            pipe.src.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.one_way_ns:
                pipe.src.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            self.pipes[pipe.fd] = pipe
        self.watch(up)

    def read(self, pipe: _Pipe) -> None:
        try:
            if self.one_way_ns:
                data, ancillary, _, _ = pipe.src.recvmsg(CHUNK, socket.CMSG_SPACE(16))
            else:
                data, ancillary = pipe.src.recv(CHUNK), []
        except BlockingIOError:
            return
        except OSError:
            data, ancillary = b"", []  # a reset reads as a close
        due = _arrival_ns(ancillary) + self.one_way_ns if self.one_way_ns else 0
        pipe.last_due = due = max(due, pipe.last_due)
        pipe.queued += len(data)
        pipe.reading = bool(data)
        self.seq += 1
        heapq.heappush(self.due, (due, self.seq, pipe, data or None))
        self.watch(pipe)

    def release(self, now: int) -> None:
        while self.due and self.due[0][0] <= now:
            _, _, pipe, data = heapq.heappop(self.due)
            if not pipe.dead:
                if data is None:
                    pipe.eof_due = True
                else:
                    pipe.out += data
                self.flush(pipe)

    def flush(self, pipe: _Pipe) -> None:
        if pipe.out:
            try:
                sent = pipe.dst.send(pipe.out)
            except BlockingIOError:
                sent = 0
            except OSError:
                return self.drop(pipe)
            del pipe.out[:sent]
            pipe.queued -= sent
        if pipe.eof_due and not pipe.out and not pipe.done:
            pipe.done = True
            try:
                pipe.dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            if pipe.other.done:
                return self.drop(pipe)
        self.watch(pipe)

    def drop(self, pipe: _Pipe) -> None:
        for p in (pipe, pipe.other):
            p.dead = True
            self.pipes.pop(p.fd, None)
            self.masks.pop(p.fd, None)
            p.src.close()  # which also takes it out of epoll


def _arrival_ns(ancillary) -> int:
    """When the kernel received the data, on the monotonic clock (now if it did not say)."""
    now = time.monotonic_ns()
    for level, kind, raw in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(raw) >= 16:
            sec, nsec = struct.unpack("qq", raw[:16])
            return now - max(0, time.time_ns() - (sec * 1_000_000_000 + nsec))
    return now


def _serve(target_host: str, target_port: int, one_way_ns: int) -> None:
    """The child process: print the port, forward until stdin closes (the parent is done or dead)."""
    try:
        ctypes.CDLL(None).prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # the spin still lands the deadline, at some CPU cost
    listener = socket.create_server(("127.0.0.1", 0), backlog=512)
    listener.setblocking(False)
    loop = _Loop(listener, (target_host, target_port), one_way_ns, sys.stdin.fileno())
    print(listener.getsockname()[1], flush=True)
    loop.run()  # returning ends the process: the kernel closes every socket (FIN to each peer)


class DelayProxy:
    """`with DelayProxy(host, port, rtt_ms) as proxy: psycopg.connect(proxy.dsn(dsn))`.

    `overhead_ms` (from `calibrate`) is taken off the scheduled delay so that the delay the
    proxy adds is `rtt_ms`. With rtt_ms == 0 it only forwards."""

    def __init__(self, target_host: str, target_port: int, rtt_ms: float, overhead_ms: float = 0.0):
        self.target = (target_host, int(target_port))
        self.rtt_ms, self.overhead_ms = float(rtt_ms), float(overhead_ms)
        self.port = 0
        self._proc: subprocess.Popen | None = None

    LIVE: set = set()  # the proxies running now, whose CPU `live_cpu_s` sums

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the proxy process has used so far."""
        return cpu_seconds(self._proc.pid) if self._proc else 0.0

    @classmethod
    def live_cpu_s(cls) -> float:
        return sum(p.cpu_s() for p in list(cls.LIVE))

    def __enter__(self) -> DelayProxy:
        one_way_ns = max(0, round((self.rtt_ms - self.overhead_ms) * 500_000)) if self.rtt_ms > 0 else 0
        code = "import sys; sys.path.insert(0, sys.argv[1]); from bench.measure.netdelay import _serve; " \
               "_serve(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))"
        root = str(Path(__file__).resolve().parents[1])
        args = [sys.executable, "-c", code, root, self.target[0], str(self.target[1]), str(one_way_ns)]
        self._proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self._proc.stdout.readline().strip()
        if not line.isdigit():
            self.__exit__()
            raise RuntimeError("the delay proxy did not start (its error is printed above)")
        self.port = int(line)
        DelayProxy.LIVE.add(self)
        return self

    def __exit__(self, *exc) -> None:
        DelayProxy.LIVE.discard(self)
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.stdin.close()  # the child sees EOF, closes every socket and exits
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()

    def dsn(self, dsn: str) -> str:
        """`dsn` with host and port pointing at the proxy (a passfile line for the server's own
        host:port would no longer match, so its password is resolved first)."""
        params = passfile.pin_password(dsn)
        params.pop("hostaddr", None)
        params.update(host="127.0.0.1", port=self.port)
        return psycopg.conninfo.make_conninfo(**params)


def target_of(dsn: str) -> tuple[str, int]:
    """(host, port) of a TCP DSN, for `DelayProxy`."""
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    return params.get("host") or "127.0.0.1", int(params.get("port") or 5432)


def _round_trip_ms(pgconn) -> float:
    start = time.perf_counter_ns()
    res = pgconn.exec_(b"SELECT 1")  # simple protocol, one round trip, no Python-side decoding
    elapsed = time.perf_counter_ns() - start
    if res.status != pq.ExecStatus.TUPLES_OK:
        raise RuntimeError(f"SELECT 1 failed: {res.error_message!r}")
    return elapsed / 1e6


def measure_added_rtt(direct_dsn: str, proxied_dsn: str, n: int = 200, configured_ms: float | None = None) -> dict:
    """SELECT 1 round trips on one direct and one proxied connection, alternating (the order
    flips every pair), after WARMUP pairs; `added_ms` is the median of the paired differences."""
    direct: list[float] = []
    proxied: list[float] = []
    with psycopg.connect(direct_dsn, autocommit=True) as d, psycopg.connect(proxied_dsn, autocommit=True) as p:
        for i in range(WARMUP + n):
            for conn, out in ((d, direct), (p, proxied))[:: 1 if i % 2 else -1]:
                out.append(_round_trip_ms(conn.pgconn))
    direct, proxied = direct[WARMUP:], proxied[WARMUP:]
    added = [b - a for a, b in zip(direct, proxied)]
    return {"configured_ms": configured_ms, "direct_median_ms": statistics.median(direct),
            "proxied_median_ms": statistics.median(proxied), "added_ms": statistics.median(added),
            "added_p95_ms": statistics.quantiles(added, n=20)[-1], "n": n}


def calibrate(direct_dsn: str, n: int = 400) -> float:
    """Milliseconds the proxy adds beyond its scheduled delay (its extra hops), measured at
    REFERENCE_MS with nothing taken off; pass it to DelayProxy(..., overhead_ms=)."""
    with DelayProxy(*target_of(direct_dsn), REFERENCE_MS) as proxy:
        added = measure_added_rtt(direct_dsn, proxy.dsn(direct_dsn), n)["added_ms"]
    return max(0.0, added - REFERENCE_MS)


def accuracy_table(direct_dsn: str, rtts_ms=(0.0, 0.5, 2.0, 10.0, 40.0), n: int = 200) -> list[dict]:
    """Configured against added RTT per delay, calibrated as the experiments use the proxy."""
    overhead = calibrate(direct_dsn)
    rows = []
    for rtt in rtts_ms:
        with DelayProxy(*target_of(direct_dsn), rtt, overhead_ms=overhead if rtt else 0.0) as proxy:
            m = measure_added_rtt(direct_dsn, proxy.dsn(direct_dsn), n, configured_ms=rtt)
        m["error_ms"] = m["added_ms"] - rtt
        m["error_pct"] = 100 * m["error_ms"] / rtt if rtt else None
        rows.append({**m, "overhead_ms": overhead})
    return rows


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def link(tcp: str, rtt_ms: float, overhead_ms: float):
    """RTT 0: the direct TCP connection. Otherwise the delay proxy in front of it, and the delay
    it actually adds, measured with SELECT 1 through it against direct."""
    if not rtt_ms:
        yield tcp, None
        return
    with DelayProxy(*target_of(tcp), rtt_ms, overhead_ms=overhead_ms) as proxy:
        proxied = proxy.dsn(tcp)
        yield proxied, {**measure_added_rtt(tcp, proxied, configured_ms=rtt_ms), "overhead_ms": overhead_ms}


if __name__ == "__main__":  # python -m bench.measure.netdelay [TCP DSN]: the accuracy table
    from bench.db import pg

    table = accuracy_table(sys.argv[1] if len(sys.argv) > 1 else pg.Embedded().start().dsn(tcp=True))
    print(f"calibrated overhead {table[0]['overhead_ms']:.3f} ms\nconfigured_ms added_ms p95_ms error_ms error_%")
    for r in table:
        pct = "" if r["error_pct"] is None else f"{r['error_pct']:+.1f}"
        print(f"{r['configured_ms']:13.2f} {r['added_ms']:8.3f} {r['added_p95_ms']:6.3f} {r['error_ms']:+8.3f} {pct:>7}")
