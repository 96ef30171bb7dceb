"""Load generation against a shared connection pool: closed loop and open loop.

- Closed loop: `clients` threads, each sending its next request as soon as the last one
  returns (no think time). Latency is the service time; a stalled server slows the senders
  down, so it hides its own tail.
- Open loop: requests arrive on a Poisson schedule at a target rate (seeded RNG), and each
  request's latency is measured from its INTENDED start. When every sender is busy, the
  requests behind start late: the schedule lag is recorded and charged to their latency, so a
  stall is not hidden (coordinated omission, as wrk2 and HdrHistogram's authors describe it).

Every request leases its connections from one `SharedPool` with a fixed budget (PostgREST's
default is 10); the time spent waiting for the pool is recorded per request. A `Lease` has the
interface the read strategies use (`strategies.Source`), so they run unchanged: star_parallel
takes its parts' connections from the same budget, the others one connection per request.
"""
from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from psycopg_pool import ConnectionPool

from bench.measure import postgrest, strategies
from bench.measure.wire import Wire, lean

WARMUP_S = 0.3


class _TimedPool:
    """The shared pool as one request sees it: every checkout adds its wait to the request."""

    def __init__(self, pool: ConnectionPool, lease: Lease):
        self._pool, self._lease = pool, lease

    @contextlib.contextmanager
    def connection(self, timeout: float | None = None):
        t = time.perf_counter_ns()
        with self._pool.connection(timeout=timeout) as conn:
            self._lease.wait_ns += time.perf_counter_ns() - t  # parts of one request add up
            yield conn


CHECKOUT_S, OPEN_S = 20.0, 15.0


class SharedPool:
    """`budget` connections shared by every sender of one process; a wire per connection."""

    def __init__(self, dsn: str, budget: int = 10, fanout_threads: int = 8, rest: bool = False,
                 role: str = "authenticated", prepared: bool = True):
        # A checkout waits at most CHECKOUT_S and the pool at most OPEN_S to fill: far above any
        # queue a cell builds (milliseconds), short enough that a server gone mid-run is reported
        # within a minute rather than after the pool's defaults (120 s, then 30 s per new pool).
        self.pool = ConnectionPool(dsn, min_size=budget, max_size=budget, open=True, configure=lean,
                                   kwargs=strategies.connect_kwargs(prepared), timeout=CHECKOUT_S)
        self.pool.wait(timeout=OPEN_S)
        self.budget = budget
        self.executor = ThreadPoolExecutor(fanout_threads)  # star_parallel_threads' parts
        self.wires: dict[int, Wire] = {}
        self.rest, self.role = rest, role
        self.tokens = postgrest.Tokens(dsn, role) if rest is True else None

    def close(self) -> None:
        if self.tokens is not None:
            self.tokens.close()
        self.executor.shutdown()
        self.pool.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @contextlib.contextmanager
    def lease(self, dedicated: bool = True):
        """One request's Source: with `dedicated`, one connection held for the whole request."""
        lease = Lease(self)
        if not dedicated:
            yield lease
            return
        with lease.pool.connection() as conn:
            lease.wire = self.pooled(conn)
            yield lease

    pooled = strategies.Source.pooled


class Lease:
    """What `strategies.*` expect of a Source, for one request on the shared pool."""

    requests = strategies.Source.requests
    count_bytes = False
    http = None  # a direct connection's lease: never through the tier

    def __init__(self, shared: SharedPool):
        self.shared = shared
        self.pool = _TimedPool(shared.pool, self)
        self.executor = shared.executor
        self.rest, self.role, self.tokens, self.claims = shared.rest, shared.role, shared.tokens, None
        self.wire: Wire | None = None
        self.wait_ns = 0

    def pooled(self, conn) -> Wire:
        return self.shared.pooled(conn)


def strategy_op(shared: SharedPool, strategy: str, bundle, users) -> Callable[[int], int]:
    """Request i: `strategy` for users[i % len(users)] on a lease; returns its pool wait (ns)."""
    fn = strategies.STRATEGIES[strategy]
    dedicated = strategies.shape(strategy, bundle).connections == 1

    def op(i: int) -> int:
        with shared.lease(dedicated) as lease:
            fn(lease, bundle, users[i % len(users)])
        return lease.wait_ns
    return op


def statement_op(shared: SharedPool, query: str, users) -> Callable[[int], int]:
    """Request i: one statement for users[i % len(users)] on one leased connection, rows decoded."""
    def op(i: int) -> int:
        with shared.lease() as lease:
            lease.wire.rows(lease.wire.execute(query, [str(users[i % len(users)]).encode()]))
        return lease.wait_ns
    return op


@dataclass
class Samples:
    """Per request, in ns on one perf_counter clock: intended start, actual start, end, pool wait.
    Closed loop: intended == actual start."""

    intended: list[int] = field(default_factory=list)
    start: list[int] = field(default_factory=list)
    end: list[int] = field(default_factory=list)
    wait: list[int] = field(default_factory=list)
    errors: int = 0
    window_ns: int = 0  # the measured window (after warm-up)

    def add(self, intended: int, start: int, end: int, wait: int) -> None:
        self.intended.append(intended)  # list.append is atomic under the GIL: senders share one
        self.start.append(start)
        self.end.append(end)
        self.wait.append(wait)

    def arrays_us(self) -> dict[str, np.ndarray]:
        i, s, e = (np.asarray(x, dtype=np.int64) for x in (self.intended, self.start, self.end))
        return {"latency_us": (e - i) / 1e3, "service_us": (e - s) / 1e3, "lag_us": (s - i) / 1e3,
                "pool_wait_us": np.asarray(self.wait, dtype=np.int64) / 1e3}


def _send(op, i: int, intended: int, measured_from: int, out: Samples) -> None:
    start = time.perf_counter_ns()
    try:
        wait = op(i)
    except Exception:  # noqa: BLE001 - a failed request is counted, never dropped silently
        out.errors += 1
        return
    end = time.perf_counter_ns()
    if intended >= measured_from:
        out.add(intended, start, end, wait)


def closed_loop(op, clients: int, duration_s: float, warmup_s: float = WARMUP_S) -> Samples:
    """`clients` senders with no think time for warmup_s + duration_s; warm-up not recorded."""
    out = Samples()
    counter = itertools.count()
    t0 = time.perf_counter_ns()
    measured_from = t0 + int(warmup_s * 1e9)
    stop = measured_from + int(duration_s * 1e9)

    def sender():
        while (now := time.perf_counter_ns()) < stop:
            _send(op, next(counter), now, measured_from, out)
    _run_threads(sender, clients)
    out.window_ns = stop - measured_from
    return out


def poisson_schedule(rate_per_s: float, duration_s: float, seed: int) -> np.ndarray:
    """Arrival offsets (s) of a Poisson process at `rate_per_s` over `duration_s`."""
    rng = np.random.default_rng(seed)
    n = int(rate_per_s * duration_s * 1.5) + 16
    t = np.cumsum(rng.exponential(1.0 / rate_per_s, n))
    return t[t < duration_s]


def open_loop(op, schedule_s, senders: int, warmup_s: float = WARMUP_S) -> Samples:
    """Request k is intended to start at schedule_s[k]; `senders` threads take requests in order,
    sleep until the intended start if early, and start late (lag) if every sender was busy.
    Requests intended before warmup_s are sent but not recorded."""
    out = Samples()
    counter = itertools.count()
    sched = (np.asarray(schedule_s, dtype=float) * 1e9).astype(np.int64)
    t0 = time.perf_counter_ns() + 20_000_000  # 20 ms for the senders to start
    measured_from = t0 + int(warmup_s * 1e9)

    def sender():
        while (k := next(counter)) < len(sched):
            intended = t0 + int(sched[k])
            delay = intended - time.perf_counter_ns()
            if delay > 0:
                time.sleep(delay / 1e9)
            _send(op, k, intended, measured_from, out)
    _run_threads(sender, senders)
    out.window_ns = max(out.end, default=measured_from) - measured_from  # until the last answer
    return out


def _run_threads(target, n: int) -> None:
    threads = [threading.Thread(target=target, daemon=True) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
