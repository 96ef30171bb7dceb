"""PgBouncer in the path: the read strategies and the load cells through Debian's PgBouncer
(1.18, transaction mode, pool 15 as Supabase's pooler) beside direct connections, in one run.

Runs ONCE per run, at the run's largest scale. The pooler sits beside the database (as
Supavisor does); the delay proxy sits between the client and the pooler, so at RTT 2 ms the
client's round trip is to the pooler, and the pooler's to PostgreSQL is loopback.

Prepared statements: PgBouncer 1.18 does not track protocol-level prepared statements (1.21
does), so in transaction mode a statement prepared by name on one server connection is unknown
on the next (`prepared statement "_pg3_0" does not exist`, SQLSTATE 26000, or a duplicate name
on a server another client prepared it on: 42P05). The `prepared_check` rows record what
happens (pooler_prepared); measured at scale s: psycopg `prepare=True` across two
transactions fails with SQLSTATE 26000 `prepared statement "_pg3_0" does not exist`, and the
timed path's named statements over four clients taking turns fail 150 times in 200
(`prepared statement "bench_0" already exists`); unnamed, 0 in 200; pgbench -M prepared aborts
(`prepared statement "P_0" does not exist`), -M extended runs. The fall-back chosen: through the pooler every statement goes
unnamed (Parse/Bind/Execute in one round trip, planned at every execution), pgbench with
-M extended or -M simple. To separate the pooler's own cost from the loss of prepared
statements, the direct path runs both named (the suite's default) and unnamed.

Rows (column `record`), each with `path` (direct | pgbouncer) and `prepared` (named | unnamed):
- `equivalence`: the canonical checksum of every strategy on each path, per bundle (same answer first);
- `request`: one timed request, strategy x path x RTT x rep; in each repetition every
  path x strategy block takes the same users in the same order and the same number of requests;
- `rtt`: the delay the proxy actually added, per path;
- `load`: closed-loop load cells at RTT 0 by the Python load generator (`client` psycopg) and
  pgbench (`protocol` extended | simple). Budgets: direct, the senders share one pool of
  `budget` connections (10, PostgREST's; also 15, the pooler's server pool, so that the
  comparison at equal server connections is in the table, `budget` says which); through the
  pooler, each sender has its own client connections (as many application instances would)
  and PgBouncer multiplexes them onto its 15 server connections. pgbench direct uses
  min(clients, budget) connections, through the pooler all `clients`. `pooler_cpu_cores` is
  PgBouncer's CPU; it is also inside `client_side_cores` (the pooler is this process's child),
  so `client_bound` counts it against the cell, as it does the delay proxy;
- `prepared_check`: see above.
"""
from __future__ import annotations

import contextlib
import random
import time
from dataclasses import dataclass

import pandas as pd
import psutil

from bench.db import intent, pg, pgbouncer
from bench.experiments import common as checks
from bench.experiments import pooler_prepared
from bench.experiments.common import LARGEST, QUICK_LOAD, AnswerMismatch, LoadSettings, Step, progress
from bench.measure import bundles, harness, loadrun, netdelay, strategies
from bench.measure.clients import PGBENCH, PSYCOPG, pgbench, pgbench_load

NAME = "pooler"
PATHS = (("direct", "named"), ("direct", "unnamed"), ("pgbouncer", "unnamed"))


@dataclass(frozen=True)
class Matrix(LoadSettings):
    strategies: tuple[str, ...] = ("star_sequential", "star_parallel", "star_pipelined", "join_flat", "join_json")
    rtts_ms: tuple[float, ...] = (0.0, 2.0)
    reps: int = 5
    per_decile: int = 2
    block_budget_s: float = 0.12
    min_requests: int = 10
    max_requests: int = 100
    warmup: int = 3
    load_strategies: tuple[str, ...] = ("star_parallel", "join_json", "star_sequential")
    clients: tuple[int, ...] = (16, 48)
    budgets: tuple[int, ...] = (10, 15)  # direct: PostgREST's pool, and the pooler's server pool
    load_reps: int = 3
    protocols: tuple[str, ...] = ("extended", "simple")
    pgbench_s: float = 1.2
    pgbench_warmup_s: float = 0.5


DEFAULT = Matrix()
QUICK = Matrix(strategies=DEFAULT.strategies, rtts_ms=(0.0, 2.0), reps=3, per_decile=1, block_budget_s=0.03,
               min_requests=5, max_requests=20, warmup=2, load_strategies=("star_parallel", "join_json"),
               clients=(16,), budgets=(10,), load_reps=2, **QUICK_LOAD,
               protocols=("extended",), pgbench_s=0.6, pgbench_warmup_s=0.4)
SKIPPED = "pgbouncer is not installed (apt-get install pgbouncer): no pooler cells in this run"


def run(ctx) -> pd.DataFrame:
    base = {"experiment": NAME, "scale": ctx.req.scale}
    if not pgbouncer.installed():
        progress(f"pooler: {SKIPPED}")
        return pd.DataFrame([{**base, "record": "skipped", "reason": SKIPPED}])
    mx = QUICK if ctx.quick else DEFAULT
    tcp = pg.tcp_dsn(ctx.dsn)
    with intent.indexed(ctx.dsn, NAME, ctx.req.indexes, ("schema/stats.sql",)):  # then as seeded, even after kill -9
        return _run(mx, ctx, tcp, base)


def _run(mx: Matrix, ctx, tcp: str, base: dict) -> pd.DataFrame:
    bouncer = pgbouncer.start(tcp)
    try:
        pooled = bouncer.dsn(tcp)
        out = [{"record": "pooler", "pgbouncer_version": version(), "pool_size": pgbouncer.POOL_SIZE,
                "pool_mode": "transaction"}]
        out += pooler_prepared.cells(pooled)
        out += reads(mx, ctx, tcp, pooled)
        progress("pooler: read strategies direct and through PgBouncer")
        out += load(mx, ctx, tcp, pooled, bouncer)
        progress("pooler: load cells direct and through PgBouncer")
    finally:
        bouncer.stop()
    return pd.DataFrame([{**base, **r} for r in out])


def version() -> str:
    import subprocess
    done = subprocess.run([pgbouncer.BINARY, "--version"], capture_output=True, text=True)
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else ""


def _target(path: str, tcp: str, pooled: str) -> str:
    return pooled if path == "pgbouncer" else tcp


def same_answers(sources: dict, bundle, users, names, types) -> str:
    """Every strategy on every path returns the canonical bundle of the first; the checksum."""
    texts = []
    for user in users:
        answers = {(key, name): bundles.canonical(strategies.STRATEGIES[name](src, bundle, user).answer, types)
                   for key, src in sources.items() for name in names}
        reference = next(iter(answers.values()))
        wrong = [f"{k[0]}/{k[1]}:{n}" for (k, n), text in answers.items() if text != reference]
        if wrong:
            raise AnswerMismatch(f"bundle {bundle.name}, user {user}: {', '.join(wrong)} differ")
        texts.append(reference)
    return bundles.checksum(texts)


def reads(mx: Matrix, ctx, tcp: str, pooled: str) -> list[dict]:
    base = {"bundle": mx.bundle, "indexes": "indexed", "cache": "warm", "client": PSYCOPG}
    bundle = bundles.load(mx.bundle)
    sample = checks.sample_users(ctx.dsn, ctx.req.seed, mx.per_decile)
    users = [u["id"] for u in sample]
    with pg.connect(ctx.dsn) as conn:
        types = bundles.column_types(conn)
    rng = random.Random(ctx.req.seed)
    orders = [rng.sample(range(len(users)), len(users)) for _ in range(mx.reps)]
    out: list[dict] = []
    sources = {key: strategies.Source(_target(key[0], tcp, pooled), prepared=key[1] == "named") for key in PATHS}
    try:
        checksum = same_answers(sources, bundle, users, mx.strategies, types)
    finally:
        for src in sources.values():
            src.close()
    out += [{**base, "record": "equivalence", "path": p, "prepared": m, "checksum": checksum} for p, m in PATHS]
    overhead = netdelay.calibrate(tcp) if any(mx.rtts_ms) else 0.0
    for rtt in mx.rtts_ms:
        with contextlib.ExitStack() as stack:
            sources = {}
            for key in PATHS:
                dsn, added = stack.enter_context(netdelay.link(_target(key[0], tcp, pooled), rtt, overhead))
                if added:
                    out.append({**base, "record": "rtt", "rtt_ms": rtt, "path": key[0], "prepared": key[1], **added})
                sources[key] = stack.enter_context(strategies.Source(dsn, prepared=key[1] == "named"))
            out += _timed(mx, sources, bundle, users, orders, rng, ctx.dsn, {**base, "rtt_ms": rtt})
        progress(f"pooler: reads at RTT {rtt:g} ms")
    return checks.with_fanout(pd.DataFrame(out), users, {str(u["id"]): u for u in sample}).to_dict("records")


def _timed(mx, sources, bundle, users, orders, rng, stats_dsn, cond) -> list[dict]:
    """Per repetition, every path x strategy block (order shuffled) on the same users in the same
    order; one request count for all, from the slowest block's warm-up."""
    slowest = 0.0
    for src in sources.values():
        for name in mx.strategies:
            fn = strategies.STRATEGIES[name]
            harness.time_block(fn, src, bundle, users, 0, mx.warmup, orders[0])
            t0 = time.perf_counter()
            harness.time_block(fn, src, bundle, users, 0, mx.warmup, orders[0])
            slowest = max(slowest, (time.perf_counter() - t0) * 1e6 / max(1, mx.warmup))
    n = harness.requests_for(slowest, mx.block_budget_s, mx.min_requests, mx.max_requests)
    out = []
    for rep, order in enumerate(orders):
        lineup = [(key, name) for key in sources for name in mx.strategies]
        rng.shuffle(lineup)
        for key, name in lineup:
            fn, src = strategies.STRATEGIES[name], sources[key]
            harness.time_block(fn, src, bundle, users, 0, mx.warmup, order)
            checks.reset_statements(stats_dsn)
            records = harness.time_block(fn, src, bundle, users, n, 0, order)
            server = checks.server_time(stats_dsn)
            shape = strategies.shape(name, bundle)
            row = {**cond, "strategy": name, "path": key[0], "prepared": key[1], "rep": rep,
                   "statements": shape.statements, "round_trips": shape.round_trips, "connections": shape.connections}
            out += [{**row, "record": "request", **r} for r in records]
            out.append({**row, "record": "server", "requests": n, "server_us": server[0] / n if server else None,
                        "server_calls": server[1] / n if server else None})
    return out


class PoolerCPU:
    """PgBouncer's CPU seconds over a cell (it runs as a child process of this one)."""

    def __init__(self, pid: int):
        self.proc = psutil.Process(pid)

    def _now(self) -> float:
        t = self.proc.cpu_times()
        return t.user + t.system

    def __enter__(self):
        self.t0, self.w0 = self._now(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.cores = (self._now() - self.t0) / (time.perf_counter() - self.w0)


def load(mx: Matrix, ctx, tcp: str, pooled: str, bouncer) -> list[dict]:
    from bench.experiments.concurrency import load_users

    users = load_users(ctx.dsn, ctx.req.seed, mx.users)
    rng = random.Random(ctx.req.seed + 1)
    bundle = bundles.load(mx.bundle)
    out: list[dict] = [{"record": "load_users", "position": k, "user_id": u} for k, u in enumerate(users)]
    with loadrun.Runner() as runner:
        for clients in mx.clients:
            lineup = list(mx.load_strategies)
            rng.shuffle(lineup)
            for strategy in lineup:
                conns = strategies.shape(strategy, bundle).connections
                cells = [("direct", "named", b, tcp, b) for b in mx.budgets]
                cells += [("direct", "unnamed", mx.budgets[0], tcp, mx.budgets[0]),
                          ("pgbouncer", "unnamed", pgbouncer.POOL_SIZE, pooled, clients * conns)]
                for path, prepared, server_conns, dsn, budget in cells:
                    cell = loadrun.Cell(dsn, strategy, mx.bundle, users, budget=budget, duration_s=mx.rep_s,
                                        warmup_s=mx.warmup_s, seed=ctx.req.seed, reps=mx.load_reps, clients=clients,
                                        workers=2 if clients >= mx.workers_from else 1, prepared=prepared == "named")
                    with PoolerCPU(bouncer.proc.pid) as cpu:
                        rows = runner.run(cell, server_dsn=tcp)
                    out += [{**r, "record": "load", "client": PSYCOPG, "path": path, "prepared": prepared,
                             "server_connections": server_conns, "pooler_cpu_cores": cpu.cores, "rtt_ms": 0.0,
                             "statements_per_s": r["throughput_rps"] * strategies.shape(strategy, bundle).statements}
                            for r in rows]
                if strategy in pgbench.STRATEGIES:
                    out += _pgbench(mx, tcp, pooled, bouncer, strategy, users, clients)
    return out


def _pgbench(mx, tcp, pooled, bouncer, strategy, users, clients) -> list[dict]:
    """pgbench -M extended/simple direct (min(clients, budget) connections) and through the
    pooler (all `clients`); no SESSION settings on either side (PgBouncer drops `options`)."""
    out = []
    budget = mx.budgets[0]
    for protocol in mx.protocols:
        for path, dsn, cap in (("direct", tcp, budget), ("pgbouncer", pooled, clients)):
            cell = pgbench_load.Cell(dsn, strategy, mx.bundle, users, clients=clients, budget=cap,
                                     duration_s=mx.pgbench_s, warmup_s=mx.pgbench_warmup_s, reps=mx.load_reps,
                                     protocol=protocol, session=False)
            with PoolerCPU(bouncer.proc.pid) as cpu:
                rows = pgbench_load.run(cell, server_dsn=tcp)
            out += [{**r, "record": "load", "client": PGBENCH, "path": path, "prepared": "unnamed",
                     "server_connections": cell.connections if path == "direct" else pgbouncer.POOL_SIZE,
                     "pooler_cpu_cores": cpu.cores, "rtt_ms": 0.0,
                     "statements_per_s": r["throughput_rps"] * len(pgbench.statements(bundles.load(mx.bundle), strategy))}
                    for r in rows]
    return out


def run_meta(table: pd.DataFrame) -> dict:
    """run.json: whether the pooler ran (or why not), its version, pool, and the fall-back."""
    if table.empty or "record" not in table:
        return {"pooler": {"ran": False, "reason": "no pooler rows"}}
    skipped = table[table.record == "skipped"]
    if len(skipped):
        return {"pooler": {"ran": False, "reason": skipped.reason.iloc[0]}}
    info = table[table.record == "pooler"].iloc[0]
    checks_ = table[table.record == "prepared_check"]
    return {"pooler": {"ran": True, "version": info.pgbouncer_version, "pool_mode": "transaction",
                       "pool_size": int(info.pool_size), "topology": "client -> delay proxy -> PgBouncer -> PostgreSQL "
                       "(the pooler beside the database; loopback)", "prepared_statements": pooler_prepared.FALLBACK,
                       "prepared_check": checks_[["check", "outcome", "sqlstate", "error", "attempts", "errors"]]
                       .to_dict("records")}}


STEPS = (Step(run, at=LARGEST),)
