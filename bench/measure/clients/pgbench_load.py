"""Load cells driven by pgbench (C): the same statements and users as the Python load generator,
without a Python client in the way.

One pgbench process per repetition of a cell: `clients` connections (-c, one per client: pgbench has no shared pool,
so a cell's connections are min(clients, budget), the most requests a budget-limited pool has
in flight), `-j` threads (one per core), `-T` seconds; every client walks the users in order,
from the first (pgbench keeps the walking counter per client). Open loop: `-R rate` (a Poisson schedule; pgbench measures latency from each
transaction's scheduled start, lag included) with `--latency-limit` (transactions that could
not start within it are skipped and counted). The per-transaction log gives every latency; the
warm-up is dropped (each client's first pass over the users, which prepares the script's
statements, and at least `warmup_s`) and the rest is the repetition's window, one record per
repetition, in the columns of `loadrun.summarise` (histograms encoded, client and
server CPU).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace

import numpy as np

from bench.measure import bundles
from bench.measure.clients import PGBENCH, pgbench
from bench.measure.cpu import ClientCPU, ServerCPU, client_bound
from bench.results import stats

LATENCY_LIMIT_MS = 200.0  # open loop: a transaction that cannot start within this is skipped


@dataclass(frozen=True)
class Cell:
    dsn: str
    strategy: str
    bundle: str
    users: tuple[str, ...]
    mode: str = "closed"  # closed | open
    clients: int = 1
    rate: float = 0.0  # open: transactions per second
    budget: int = 10
    duration_s: float = 1.5  # measured in all: each of the `reps` processes measures duration_s / reps
    warmup_s: float = 0.3
    reps: int = 3
    protocol: str = "prepared"  # pgbench -M: simple and extended (unnamed) work through PgBouncer 1.18
    session: bool = True  # PGOPTIONS SESSION (dropped by PgBouncer: False on both sides of a pooler comparison)

    @property
    def connections(self) -> int:
        return max(1, min(self.clients, self.budget))


def args(cell: Cell) -> list[str]:
    threads = min(cell.connections, os.cpu_count() or 1)
    out = ["-c", str(cell.connections), "-j", str(threads), "-T", str(math.ceil(cell.warmup_s + cell.duration_s))]
    if cell.mode == "open":
        out += ["-R", f"{cell.rate:g}", "--latency-limit", f"{LATENCY_LIMIT_MS:g}"]
    return out


def windows(rows: list[list[str]], warmup_s: float, duration_s: float, reps: int, warm_tx: int = 0) -> list[dict]:
    """Per window: latency (from the schedule where -R), service (lag taken off), lag, skipped.

    Warm-up: each client's first `warm_tx` transactions (the script has one statement per user
    branch, prepared on its first use: a round trip each through the delay proxy) and at least
    `warmup_s` from the first transaction; the windows start when every client is warm."""
    if not rows:
        raise RuntimeError("pgbench logged no transaction")
    end = np.array([int(r[4]) + int(r[5]) / 1e6 for r in rows])
    client = np.array([int(r[0]) for r in rows])
    tx = np.array([int(r[1]) for r in rows])
    skipped = np.array([r[2] == "skipped" for r in rows])
    latency = np.array([0.0 if s else float(r[2]) for r, s in zip(rows, skipped)])
    lag = np.array([float(r[6]) if len(r) > 6 else 0.0 for r in rows])
    warm = [end[(client == c) & (tx < warm_tx)].max() for c in np.unique(client) if ((client == c) & (tx < warm_tx)).any()]
    t0 = max([end.min() + warmup_s, *warm])
    width = min(duration_s, end.max() - t0) / reps
    if width <= 0:
        raise TooShort(f"pgbench ran too short for its warm-up ({end.max() - end.min():.1f} s of transactions, warm "
                       f"after {t0 - end.min():.1f} s): raise the cell's duration")
    out = []
    for rep in range(reps):
        inside = (end > t0 + rep * width) & (end <= t0 + (rep + 1) * width)
        done = inside & ~skipped
        out.append({"rep": rep, "n": int(done.sum()), "skipped": int((inside & skipped).sum()), "window_s": width,
                    "latency": latency[done], "service": latency[done] - lag[done], "lag": lag[done]})
    return out


def _values(cell: Cell) -> list[str]:
    """The users as -D values: -M simple substitutes them into the SQL text, so they go quoted
    there (a literal uuid); the extended protocols bind them as parameters, unquoted."""
    return [f"'{u}'" for u in cell.users] if cell.protocol == "simple" else list(cell.users)


class TooShort(RuntimeError):
    """The warm-up took the whole pgbench run: no window is left to measure."""


def warm_transactions(cell: Cell) -> int:
    """Transactions each client runs before it is warm: under -M prepared one per user branch
    (each statement is prepared on its first use); the unnamed protocols prepare nothing."""
    return len(cell.users) if cell.protocol == "prepared" else 0


def run(cell: Cell, server_dsn: str | None = None) -> list[dict]:
    """One cell -> one record per repetition, each repetition its own pgbench process (its own
    connections, warm-up and `duration_s / reps` measured seconds): repetitions that are windows
    of one process share its connections and its state, and are not independent. Where the
    warm-up took a whole process (many clients sharing few server connections through a pooler,
    heavy users), it runs once more with its measured duration doubled (recorded in
    `duration_s`), then it fails."""
    one = replace(cell, reps=1, duration_s=cell.duration_s / cell.reps)
    out = []
    for rep in range(cell.reps):
        try:
            rows = _run(one, server_dsn)
        except TooShort:
            rows = _run(replace(one, duration_s=2 * one.duration_s), server_dsn)
        out += [{**r, "rep": rep, "process": rep} for r in rows]
    return out


def _run(cell: Cell, server_dsn: str | None) -> list[dict]:
    bundle = bundles.load(cell.bundle)
    order = list(range(len(cell.users)))
    server, client = ServerCPU(server_dsn or cell.dsn), ClientCPU()
    server.start()
    client.start()
    rows = pgbench.run(cell.dsn, pgbench.script(bundle, cell.strategy, order),
                       pgbench.user_variables(_values(cell), order) + ["i=0"], args(cell),
                       timeout_s=60 + 2 * (cell.warmup_s + cell.duration_s), protocol=cell.protocol,
                       session=cell.session)
    wall = client.elapsed()
    client_s, server_s = client.stop(), server.stop()
    server_cores = server_s / wall if server_s is not None else None
    client_cores = client_s / wall
    busy = server.machine_busy_s / wall
    out = []
    for w in windows(rows, cell.warmup_s, cell.duration_s, cell.reps, warm_tx=warm_transactions(cell)):
        row = {"client": PGBENCH, "strategy": cell.strategy, "bundle": cell.bundle, "mode": cell.mode,
               "clients": cell.clients, "connections": cell.connections, "rate": cell.rate, "budget": cell.budget,
               "duration_s": cell.duration_s, "protocol": cell.protocol, "rep": w["rep"], "requests": w["n"], "errors": 0,
               "skipped": w["skipped"], "window_s": w["window_s"], "throughput_rps": w["n"] / w["window_s"],
               "client_cpu_cores": client_cores, "client_cpu_max_worker": client_cores,
               "server_cpu_cores": server_cores, "machine_busy_cores": busy,
               "other_cpu_cores": busy - client_cores - (server_cores or 0.0), "machine_cores": os.cpu_count(),
               "client_side_cores": client_cores,
               "client_bound": client_bound(client_cores, server_cores, os.cpu_count() or 1)}
        for metric in ("latency", "service", "lag"):
            values = w[metric]
            row.update(stats.hist_columns(metric, stats.histogram(values), float(values.mean()) if len(values) else None))
        row["hist_pool_wait"] = ""  # no pool: one connection per client
        out.append(row)
    return out
