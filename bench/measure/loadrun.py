"""One load cell, spread over worker processes when one Python process would be the bottleneck.

A Python sender process saturates one core well before PostgreSQL does (the GIL), so a cell
can run in `workers` processes: each gets its share of the senders, of the arrival rate (its
own Poisson stream, seeded per worker) and of the connection budget, they start together at an
agreed wall-clock instant, and their HdrHistograms are merged (HdrHistogram's add is exact:
merged counts equal one histogram of all samples). Client CPU is measured per worker process,
server CPU on the PostgreSQL backends (psutil, /proc) over the same interval. A cell is flagged
client-bound by bench.measure.cpu's rule, which counts the delay proxy's CPU as the client's.
"""
from __future__ import annotations

import os
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from multiprocessing import get_context

from hdrh.histogram import HdrHistogram

from bench.measure import bundles, loadgen
from bench.measure.cpu import ClientCPU, ServerCPU, client_bound
from bench.results import stats
from bench.sql import sql_text

METRICS = ("latency_us", "service_us", "lag_us", "pool_wait_us")


@dataclass(frozen=True)
class Cell:
    dsn: str
    strategy: str
    bundle: str
    users: tuple[str, ...]
    mode: str = "closed"  # closed | open
    clients: int = 1  # closed: senders; open: most requests in flight (senders)
    rate: float = 0.0  # open: arrivals per second
    budget: int = 10  # connections in the shared pool
    duration_s: float = 1.0
    seed: int = 0
    workers: int = 1
    rest: bool = False
    warmup_s: float = loadgen.WARMUP_S  # before each repetition, not recorded
    reps: int = 1  # measured repetitions on the same pool, each after its own warm-up
    query_file: str = ""  # instead of a strategy: one statement from bench/sql (the lock cells)
    prepared: bool = True  # False: unnamed statements (through PgBouncer 1.18)


def _share(total: float, workers: int, k: int) -> int:
    return int(total // workers + (1 if k < total % workers else 0))


def run_worker(cell: Cell, k: int, start_at: float, probe: ServerCPU | None = None) -> list[dict]:
    """Worker k's share of the cell, per repetition: encoded histograms and its CPU time."""
    budget, senders = max(1, _share(cell.budget, cell.workers, k)), max(1, _share(cell.clients, cell.workers, k))
    with loadgen.SharedPool(cell.dsn, budget, fanout_threads=3 * senders, rest=cell.rest,
                          prepared=cell.prepared) as shared:
        if cell.query_file:
            op = loadgen.statement_op(shared, sql_text(cell.query_file), list(cell.users))
        else:
            op = loadgen.strategy_op(shared, cell.strategy, bundles.load(cell.bundle), list(cell.users))
        for i in range(min(2 * budget, 20)):  # every connection prepares its statements before timing
            op(i)
        time.sleep(max(0.0, start_at - time.time()))
        started_at = time.time()
        out = []
        for rep in range(cell.reps):
            if probe is not None:
                probe.start()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            if cell.mode == "open":
                sched = loadgen.poisson_schedule(cell.rate / cell.workers, cell.warmup_s + cell.duration_s,
                                                 (cell.seed * 100 + rep) * 100 + k)
                samples = loadgen.open_loop(op, sched, senders, cell.warmup_s)
            else:
                samples = loadgen.closed_loop(op, senders, cell.duration_s, cell.warmup_s)
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            server_s = probe.stop() if probe is not None else None
            values = samples.arrays_us()
            out.append({"hist": {m: stats.histogram(v).encode() for m, v in values.items()},
                        "sum": {m: float(v.sum()) for m, v in values.items()}, "n": len(samples.end),
                        "errors": samples.errors, "window_s": samples.window_ns / 1e9, "cpu_s": cpu, "wall_s": wall,
                        "started_at": started_at, "server_cpu_cores": server_s / wall if server_s is not None else None,
                        "machine_busy_cores": probe.machine_busy_s / wall if probe is not None else None})
    return out


def _ready(pause_s: float) -> int:
    time.sleep(pause_s)  # held, so the next task goes to another worker
    return os.getpid()


def merge_workers(parts: list[dict]) -> dict[str, HdrHistogram]:
    return {m: stats.merge(HdrHistogram.decode(p["hist"][m]) for p in parts) for m in METRICS}


class Runner:
    """Runs cells; worker processes (spawned once, reused) for cells with workers > 1."""

    def __init__(self, max_workers: int = 2):
        self.max_workers = max_workers
        self.pool: Executor | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.shutdown()

    def run(self, cell: Cell, server_dsn: str | None = None) -> list[dict]:
        """One cell -> one record per repetition: throughput, merged percentiles, pool wait, CPU."""
        cell = replace(cell, workers=min(cell.workers, self.max_workers))
        probe, side = ServerCPU(server_dsn or cell.dsn), ClientCPU()
        side.start()
        if cell.workers == 1:
            per_worker = [run_worker(cell, 0, 0.0, probe)]
        else:
            if self.pool is None:
                self.pool = ProcessPoolExecutor(self.max_workers, mp_context=get_context("spawn"))
                list(self.pool.map(_ready, [0.3] * self.max_workers))  # every worker spawned and imported
            start_at = time.time() + 0.4 + 0.03 * cell.budget  # pools opened and warmed before the common start
            futures = [self.pool.submit(run_worker, cell, k, start_at) for k in range(cell.workers)]
            time.sleep(max(0.0, start_at - time.time()))
            probe.start()
            t0 = time.perf_counter()
            per_worker = [f.result() for f in futures]
            server_s, elapsed = probe.stop(), time.perf_counter() - t0
            for w in per_worker[0]:  # the repetitions run back to back: the cell's average for each
                w["server_cpu_cores"] = server_s / elapsed if server_s is not None else None
                w["machine_busy_cores"] = probe.machine_busy_s / elapsed
        side_cores = side.stop() / side.elapsed()  # senders, workers and the delay proxy, over the cell
        return [summarise(cell, [w[rep] for w in per_worker], rep, side_cores) for rep in range(cell.reps)]


def summarise(cell: Cell, parts: list[dict], rep: int, side_cores: float | None = None) -> dict:
    hists = merge_workers(parts)
    n = sum(p["n"] for p in parts)
    window = max(p["window_s"] for p in parts) or float("nan")
    worker_cpu = [p["cpu_s"] / p["wall_s"] for p in parts]
    row = {k: v for k, v in asdict(cell).items() if k not in ("dsn", "users", "reps", "query_file", "warmup_s")}
    row.update(rep=rep, start_skew_s=max(p["started_at"] for p in parts) - min(p["started_at"] for p in parts),
               requests=n, errors=sum(p["errors"] for p in parts), window_s=window, throughput_rps=n / window,
               client_cpu_cores=sum(worker_cpu), client_cpu_max_worker=max(worker_cpu),
               server_cpu_cores=parts[0]["server_cpu_cores"],
               machine_busy_cores=parts[0]["machine_busy_cores"],
               other_cpu_cores=(parts[0]["machine_busy_cores"] - sum(worker_cpu) - (parts[0]["server_cpu_cores"] or 0.0)),
               client_side_cores=max(side_cores or 0.0, sum(worker_cpu)), machine_cores=os.cpu_count())
    row["client_bound"] = client_bound(row["client_side_cores"], row["server_cpu_cores"], os.cpu_count() or 1,
                                       gil_cores=max(worker_cpu))
    for metric, h in hists.items():
        row.update(stats.hist_columns(metric.removesuffix("_us"), h,
                                      sum(p["sum"][metric] for p in parts) / n if n else None))
    return row
