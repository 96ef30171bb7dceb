"""Read paths: one user's bundle by each strategy, across bundles, round-trip delays, the rest
envelope and the memo's as-written indexes. Same answer first; then timed, interleaved blocks.

Rows of the table (column `record`):
- `request`: one timed request (latency_us and its parts), per strategy x condition x rep;
- `server`: server time per request of a block, from pg_stat_statements deltas;
- `bytes`: DataRow bytes one request receives, per strategy x bundle x sampled user;
- `equivalence`: the canonical checksum all strategies matched, per bundle;
- `rtt`: the delay the proxy actually added (SELECT 1 through it against direct);
- `pgbench`: the same statements timed by pgbench -M prepared (harness fidelity).
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass

import pandas as pd

from bench.measure import bundles, harness, netdelay, strategies
from bench.db import intent, pg, schema
from bench.config import UsageError
from bench.experiments.common import Step, progress
from bench.experiments import common as checks


NAME = "read_paths"


@dataclass(frozen=True)
class Matrix:
    bundles: tuple[str, ...] = tuple(bundles.PARTS)
    strategies: tuple[str, ...] = tuple(strategies.STRATEGIES)
    rtts_ms: tuple[float, ...] = (0.0, 0.5, 2.0, 10.0, 40.0)
    rest_rtts_ms: tuple[float, ...] = (0.0, 2.0)  # the envelope's cost; one client round trip per request
    as_written: bool = True  # the memo's DDL (no user_id index), RTT 0 only
    reps: int = 3
    per_decile: int = 3
    block_budget_s: float = 0.15  # per strategy x bundle x rep: requests = budget / latency, clamped
    min_requests: int = 12
    max_requests: int = 150
    warmup: int = 3
    pgbench_s: int = 2  # seconds per pgbench script (fidelity check at RTT 0)


DEFAULT = Matrix()
ENVELOPES = {  # how requests reach the database: directly, or as PostgREST sends them (as whom)
    "plain": {},
    "rest": {"rest": True},
    "rest_service_role": {"rest": True, "role": "service_role"},  # BYPASSRLS: the envelope without RLS
}
QUICK = Matrix(rtts_ms=(0.0, 2.0), rest_rtts_ms=(0.0,), reps=3, per_decile=1, block_budget_s=0.05,
               min_requests=6, max_requests=30, warmup=2, pgbench_s=1)


def run(ctx) -> pd.DataFrame:
    """The dataset gets user_id indexes while it runs (an as-written one loses them again after):
    recorded first in the dataset (bench_meta.intent), so a killed run is restored by the next."""
    with intent.changing(ctx.dsn, NAME, (f"variants/{ctx.req.indexes}.sql",)):
        return _run(ctx)


def _run(ctx) -> pd.DataFrame:
    mx = QUICK if ctx.quick else DEFAULT
    base = {"experiment": NAME, "scale": ctx.req.scale}
    tcp = pg.tcp_dsn(ctx.dsn)
    sample = checks.sample_users(ctx.dsn, ctx.req.seed, mx.per_decile)
    users = [u["id"] for u in sample]
    out: list[dict] = []
    schema.run_files(ctx.dsn, ("schema/stats.sql", "variants/indexed.sql"))  # datasets seeded before stats.sql
    intent.checkpoint("read_paths:indexed")
    for name in mx.bundles:
        out.append({**base, "record": "equivalence", "bundle": name,
                    "checksum": checks.same_answer(tcp, bundles.load(name), users, mx.strategies)})
        out += [{**base, **r} for r in checks.wire_bytes(tcp, bundles.load(name), sample, mx.strategies)]
    rng = random.Random(ctx.req.seed)
    overhead = netdelay.calibrate(tcp) if any(mx.rtts_ms) else 0.0
    for rtt in mx.rtts_ms:
        with netdelay.link(tcp, rtt, overhead) as (dsn, added):
            if added:
                out.append({**base, "record": "rtt", "rtt_ms": rtt, **added})
            envelopes = ("plain", "rest") if rtt in mx.rest_rtts_ms else ("plain",)
            out += timed_cells(mx, dsn, ctx.dsn, users, rng, {**base, "rtt_ms": rtt, "indexes": "indexed", "cache": "warm"},
                          envelopes)
        progress(f"read_paths {ctx.req.scale}: RTT {rtt:g} ms")
    if mx.as_written:
        schema.run_files(ctx.dsn, ("variants/as-written.sql",))
        slow = Matrix(reps=mx.reps, per_decile=mx.per_decile, block_budget_s=mx.block_budget_s,
                      min_requests=4, max_requests=mx.min_requests, warmup=1, bundles=mx.bundles)
        out += timed_cells(slow, tcp, ctx.dsn, users, rng, {**base, "rtt_ms": 0.0, "indexes": "as-written", "cache": "warm"},
                      ("plain",))
    schema.run_files(ctx.dsn, ("variants/indexed.sql",))
    out += checks.pgbench_fidelity(tcp, sample, mx, base)
    if ctx.cold:
        out += _cold_cells(mx, ctx, tcp, users, {**base, "rtt_ms": 0.0, "indexes": "indexed", "envelope": "plain"})
    return checks.with_fanout(pd.DataFrame(out), users, {str(u["id"]): u for u in sample})


def timed_cells(mx: Matrix, dsn: str, stats_dsn: str, users: list, rng: random.Random, cond: dict,
           envelopes: tuple[str, ...]) -> list[dict]:
    """Every strategy x bundle x envelope, `reps` times; strategy order shuffled per repetition."""
    out = []
    sources = {env: strategies.Source(dsn, **ENVELOPES[env]) for env in envelopes}
    try:
        for rep in range(mx.reps):
            order = list(range(len(users)))  # this repetition's users, the same for every strategy
            rng.shuffle(order)
            for name in mx.bundles:
                bundle = bundles.load(name)
                for env, src in sources.items():
                    lineup = list(mx.strategies)
                    rng.shuffle(lineup)
                    for strategy in lineup:
                        out += _block(mx, src, bundle, strategy, users, order, stats_dsn,
                                      {**cond, "bundle": name, "envelope": env, "rep": rep})
    finally:
        for src in sources.values():
            src.close()
    return out


def _cold_cells(mx: Matrix, ctx, tcp: str, users: list, cond: dict) -> list[dict]:
    """Each strategy x bundle after a server restart (shared buffers empty) and, where the
    kernel allows, a dropped OS page cache; every sampled user fetched once, no warm-up."""
    if ctx.external:
        raise UsageError("cold mode restarts the server, which the suite only does for its embedded one")
    out = []
    for rep in range(mx.reps):
        for name in mx.bundles:
            for strategy in mx.strategies:
                pg.Embedded().restart()
                os_cache = pg.drop_os_cache()
                with strategies.Source(tcp) as src:
                    records = harness.time_block(strategies.STRATEGIES[strategy], src, bundles.load(name),
                                                 users, len(users), 0)
                shape = strategies.shape(strategy, bundles.load(name))
                out += [{**cond, "bundle": name, "rep": rep, "strategy": strategy, "cache": "cold",
                         "os_page_cache": os_cache, "statements": shape.statements, "round_trips": shape.round_trips,
                         "connections": shape.connections, "record": "request", **r} for r in records]
    return out


def _block(mx, src, bundle, strategy, users, order, stats_dsn, cond) -> list[dict]:
    """One strategy x bundle: untimed warm-up, then as many requests as fit the block's budget
    (at least min_requests), taking the repetition's users in its shuffled order."""
    fn = strategies.STRATEGIES[strategy]
    t0 = time.perf_counter()
    harness.time_block(fn, src, bundle, users, 0, mx.warmup, order)
    per_request_us = (time.perf_counter() - t0) * 1e6 / max(1, mx.warmup)
    n = harness.requests_for(per_request_us, mx.block_budget_s, mx.min_requests, mx.max_requests)
    checks.reset_statements(stats_dsn)
    records = harness.time_block(fn, src, bundle, users, n, 0, order)
    server = checks.server_time(stats_dsn)
    shape = strategies.shape(strategy, bundle)
    row = {**cond, "strategy": strategy, "statements": shape.statements, "round_trips": shape.round_trips,
           "connections": shape.connections}
    out = [{**row, "record": "request", **r} for r in records]
    out.append({**row, "record": "server", "requests": n,
                "server_us": server[0] / n if server else None,  # per request, all its statements
                "server_calls": server[1] / n if server else None})  # statements per request, as the server saw them
    return out


def measured_rtts(table: pd.DataFrame) -> list[dict]:
    """The delay the proxy actually added, per scale and configured RTT (for run.json)."""
    rtt = table[table.record == "rtt"] if "record" in table else table.iloc[0:0]
    if rtt.empty:
        return []
    return rtt[["scale", "rtt_ms", "added_ms", "added_p95_ms", "overhead_ms", "n"]].to_dict("records")


def run_meta(table: pd.DataFrame) -> dict:
    """What run.json records of this experiment: the delay the proxy really added."""
    return {"rtt_measured": measured_rtts(table)}


STEPS = (Step(run),)
