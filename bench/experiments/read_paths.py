"""Read paths: one user's bundle by each strategy, across bundles, round-trip delays, the rest
envelope and the memo's as-written indexes. Same answer first; then timed, interleaved blocks.

Rows of the table (column `record`):
- `request`: one timed request (latency_us and its parts), per strategy x condition x rep;
- `server`: server time per request of a block, from pg_stat_statements deltas;
- `bytes`: DataRow bytes one request receives, per strategy x bundle x sampled user;
- `equivalence`: the canonical checksum all strategies matched, per bundle (direct connection);
  and per bundle x strategy x sampled user through PostgREST (`envelope` rest), whether
  db-max-rows (1000 per node) cut the answer (`capped`, `capped_parts`);
- `rtt`: the delay the proxy actually added (SELECT 1 through it against direct);
- `pgbench`: the harness against pgbench -M prepared on the same statements, users and order at
  RTT 0 (means per bundle x strategy, from the client cells).

Request rows carry `client`: `psycopg` (the harness) for every cell, and at
`client_rtts_ms` for `client_bundles` also `pgbench` and `node-postgres`
(read_paths_clients). At `relational_rtts_ms`, supabase-js also runs on the relational variant
(spokes reference profiles; seeded with the same seed, so the same users), through a second tier
on that dataset: Promise.all, in turn, and the embed PostgREST refuses on the star (PGRST200),
rows with `variant` "relational" and envelope `tier_relational` (the star's rows carry no
variant: nothing that reads envelope `tier` sees them). Blocks are paired: in each repetition every strategy and client takes
the same users in the same order, the same number of requests (set by the block's slowest
strategy's warm-up, so that it fits the budget).
"""
from __future__ import annotations

import contextlib
import random
import time
from dataclasses import dataclass, replace

import pandas as pd

from bench.db import intent, pg, schema
from bench.experiments import adaptive, read_paths_clients
from bench.experiments import common as checks
from bench.experiments.common import Step, progress
from bench.measure import bundles, harness, netdelay, postgrest_shapes, strategies, tier, topology
from bench.measure.clients import PSYCOPG, supabase
from bench.seeding import seed

NAME = "read_paths"


@dataclass(frozen=True)
class Matrix:
    bundles: tuple[str, ...] = tuple(bundles.PARTS)
    # rpc_bundle: the function a Supabase user writes on the star (schema/rpc.sql, applied by the run)
    strategies: tuple[str, ...] = (*strategies.STRATEGIES, "rpc_bundle")
    rtts_ms: tuple[float, ...] = (0.0, 0.5, 2.0, 10.0, 40.0)
    rest_rtts_ms: tuple[float, ...] = (0.0,)  # the old envelope's cost beside the tier's (no verdict reads it)
    # PostgREST's statements sent by the client itself, each awaited: only where the client sits
    # beside the database (RTT 0); across the delayed link the tier plays PostgREST's part
    postgrest_rtts_ms: tuple[float, ...] = (0.0,)
    tier: bool = True  # HTTP requests to the tier (PostgREST's pool of 10 beside the database) at every RTT
    as_written: bool = True  # the memo's DDL (no user_id index), RTT 0 only
    reps: int = 5  # the first look: each block's comparisons called after this many repetitions
    max_reps: int = 10  # then one more at a time while one is undecided, up to this many (adaptive)
    per_decile: int = 3
    block_budget_s: float = 0.15  # per strategy x bundle x rep: requests = budget / latency, clamped
    min_requests: int = 12
    max_requests: int = 150
    warmup: int = 3
    sham: bool = True  # a twin of the one-request form in every block (checks.sham_of): the run's false-call rate
    client_rtts_ms: tuple[float, ...] = (0.0, 2.0)  # where pgbench and node-postgres run too
    client_bundles: tuple[str, ...] = ("account",)
    far_from_ms: float = 2.0  # beyond this RTT only the far bundles run (no verdict reads the others there)
    far_bundles: tuple[str, ...] = ("account",)
    # supabase-js on the relational variant (a second tier on it): Promise.all against the embed
    relational_rtts_ms: tuple[float, ...] = (0.0, 2.0)


DEFAULT = Matrix()
ENVELOPES = {  # how requests reach the database: directly, or as PostgREST sends them (as whom)
    "plain": {},
    "rest": {"rest": True},  # PostgREST's statements, each awaited, Supabase Auth's claims
    "rest_service_role": {"rest": True, "role": "service_role"},  # BYPASSRLS: the same without RLS
    "rest_envelope": {"rest": "envelope"},  # the suite's older emulation: four statements pipelined
    "tier": {"rest": "tier"},  # supabase-js requests over the delayed link to the tier beside the database
}
QUICK = Matrix(rtts_ms=(0.0, 2.0), rest_rtts_ms=(0.0,), reps=3, max_reps=3, per_decile=1, block_budget_s=0.05,
               min_requests=6, max_requests=30, warmup=2, relational_rtts_ms=(2.0,))


def run(ctx) -> pd.DataFrame:
    """The dataset gets user_id indexes while it runs (an as-written one loses them again after):
    recorded first in the dataset (bench_meta.intent), so a killed run is restored by the next."""
    with intent.changing(ctx.dsn, NAME, (f"variants/{ctx.req.indexes}.sql",)):
        return _run(ctx)


def _run(ctx) -> pd.DataFrame:
    with contextlib.ExitStack() as stack:
        mx = QUICK if ctx.quick else DEFAULT
        tcp = pg.tcp_dsn(ctx.dsn)
        schema.run_files(ctx.dsn, ("schema/stats.sql", "schema/rpc.sql", "variants/indexed.sql"))  # seeded before them
        intent.checkpoint("read_paths:indexed")
        the_tier = stack.enter_context(tier.Process(tcp)) if mx.tier else None
        topology.to_server(the_tier.pid if the_tier else None)  # PostgREST sits beside the database
        rel = _relational(ctx, mx, stack)
        return _measure(ctx, mx, tcp, the_tier, rel)


def _relational(ctx, mx: Matrix, stack: contextlib.ExitStack) -> tuple[str, tier.Process] | None:
    """The relational dataset (the same seed: the same users), indexed while the run lasts, and a
    second tier on it, pinned beside the database as the first: (its TCP DSN, the tier); None where
    supabase-js or its cells do not run."""
    if not (mx.tier and mx.relational_rtts_ms and mx.client_bundles) or supabase.missing() is not None:
        return None
    if ctx.req.variant != "star" or (ctx.req.orphans and not schema.ORPHANS_ALLOWED["relational"]):
        return None  # the comparison is the star's against relational; relational forbids orphans by key
    ds = seed.seed(ctx.server, replace(ctx.req, variant="relational"), progress=False)
    stack.enter_context(intent.indexed(ds.dsn, NAME, ctx.req.indexes))  # restored as seeded after the run
    rel_tcp = pg.tcp_dsn(ds.dsn)
    rel_tier = stack.enter_context(tier.Process(rel_tcp))
    topology.to_server(rel_tier.pid)
    return rel_tcp, rel_tier


def _measure(ctx, mx: Matrix, tcp: str, the_tier, rel: tuple[str, tier.Process] | None = None) -> pd.DataFrame:
    base = {"experiment": NAME, "scale": ctx.req.scale}
    sample = checks.sample_users(ctx.dsn, ctx.req.seed, mx.per_decile)
    users = [u["id"] for u in sample]
    out: list[dict] = []
    checksums: dict[str, str] = {}
    tier_names = [s for s in mx.strategies if s in strategies.TIER_STRATEGIES]
    for name in mx.bundles:
        checksums[name] = checks.same_answer(tcp, bundles.load(name), users, mx.strategies)
        out.append({**base, "record": "equivalence", "bundle": name, "checksum": checksums[name]})
        out += [{**base, **r} for r in checks.rest_answers(tcp, bundles.load(name), users, mx.strategies,
                                                          postgrest_shapes.MAX_ROWS)]
        if the_tier is not None:
            out += [{**base, **r} for r in checks.rest_answers(tcp, bundles.load(name), users, tier_names,
                                                              postgrest_shapes.MAX_ROWS, "tier", rest="tier",
                                                              tier=("127.0.0.1", the_tier.port))]
        if name in mx.client_bundles:
            read_paths_clients.check_answers(tcp, bundles.load(name), users, checksums[name])
        out += [{**base, **r} for r in checks.wire_bytes(tcp, bundles.load(name), sample, mx.strategies)]
    if rel is not None:  # the relational dataset's answer is the star's, for the same users
        out += [{**base, **r} for r in read_paths_clients.check_relational(rel[0], mx.client_bundles, users, checksums)]
    rng = random.Random(ctx.req.seed)
    orders: list[list[int]] = []  # per repetition, for everyone (timed_cells adds them as it needs them)
    overhead = netdelay.calibrate(tcp) if any(mx.rtts_ms) else 0.0
    for rtt in mx.rtts_ms:
        with netdelay.link(tcp, rtt, overhead) as (dsn, added), contextlib.ExitStack() as here_stack:
            if added:
                out.append({**base, "record": "rtt", "rtt_ms": rtt, **added})
            tier_addr = None
            if the_tier is not None:  # the client's link to the tier is the delayed one; the tier's to PostgreSQL is not
                port = here_stack.enter_context(netdelay.DelayProxy("127.0.0.1", the_tier.port, rtt, overhead)).port \
                    if rtt else the_tier.port
                tier_addr = ("127.0.0.1", port)
            envelopes = ("plain", *(("rest",) if rtt in mx.postgrest_rtts_ms else ()),
                         *(("rest_envelope",) if rtt in mx.rest_rtts_ms else ()), *(("tier",) if tier_addr else ()))
            cond = {**base, "rtt_ms": rtt, "indexes": "indexed", "cache": "warm"}
            counts: dict = {}
            taken: dict = {}
            here = replace(mx, bundles=mx.far_bundles) if rtt > mx.far_from_ms else mx
            cpu0, wall0, before = netdelay.DelayProxy.live_cpu_s(), time.perf_counter(), len(out)
            out += timed_cells(here, dsn, ctx.dsn, users, rng, cond, envelopes, orders, counts, tier_addr, taken)
            if rtt:  # what the delay proxies cost the client's core while the harness's blocks ran
                out.append({**base, "record": "proxy", "rtt_ms": rtt, "proxy_cpu_s": netdelay.DelayProxy.live_cpu_s() - cpu0,
                            "wall_s": time.perf_counter() - wall0,
                            "requests": sum(r["record"] in ("request", "sham") for r in out[before:])})
            if rtt in mx.client_rtts_ms and mx.client_bundles:
                reps = max((n for (b, _), n in taken.items() if b in mx.client_bundles), default=mx.reps)
                out += read_paths_clients.cells(mx, dsn, tcp, users, orders[:reps], counts, cond, checksums,
                                                tier_addr=tier_addr)  # supabase-js over the same link to the tier
                if rel is not None and rtt in mx.relational_rtts_ms:
                    t0 = time.perf_counter()
                    port = here_stack.enter_context(netdelay.DelayProxy("127.0.0.1", rel[1].port, rtt, overhead)).port \
                        if rtt else rel[1].port
                    out += read_paths_clients.relational_cells(mx, rel[0], users, orders[:reps], counts, cond,
                                                               checksums, ("127.0.0.1", port))
                    progress(f"read_paths {ctx.req.scale}: RTT {rtt:g} ms, relational (supabase-js) "
                             f"{time.perf_counter() - t0:.1f} s")
        progress(f"read_paths {ctx.req.scale}: RTT {rtt:g} ms")
    if mx.as_written:
        schema.run_files(ctx.dsn, ("variants/as-written.sql",))
        slow = Matrix(reps=mx.reps, max_reps=mx.reps, per_decile=mx.per_decile, block_budget_s=mx.block_budget_s,
                      min_requests=4, max_requests=mx.min_requests, warmup=1, bundles=mx.bundles)
        out += timed_cells(slow, tcp, ctx.dsn, users, rng, {**base, "rtt_ms": 0.0, "indexes": "as-written", "cache": "warm"},
                           ("plain",), orders)
    schema.run_files(ctx.dsn, ("variants/indexed.sql",))
    out += read_paths_clients.fidelity(out, base)  # from the pgbench cells: same statements, users, order
    schema.run_files(ctx.dsn, (f"variants/{ctx.req.indexes}.sql",))  # the dataset as it was seeded
    return checks.with_fanout(pd.DataFrame(out), users, {str(u["id"]): u for u in sample})


def timed_cells(mx: Matrix, dsn: str, stats_dsn: str, users: list, rng: random.Random, cond: dict,
                envelopes: tuple[str, ...], orders: list[list[int]] | None = None,
                counts: dict | None = None, tier_addr: tuple[str, int] | None = None,
                reps_taken: dict | None = None) -> list[dict]:
    """Every strategy x bundle x envelope, at least `reps` times and, while a comparison in the
    block is undecided, one repetition more at a time up to `max_reps` (`adaptive`; how many each
    block took goes into `reps_taken`). Repetition r takes users in orders[r] (extended here as
    needed: shared with the other clients); strategy order shuffled per repetition; one request
    count per bundle x envelope, the same for every strategy and repetition (filled into `counts`)."""
    out = []
    counts = {} if counts is None else counts
    reps_taken = {} if reps_taken is None else reps_taken
    orders = [] if orders is None else orders
    sources = {env: strategies.Source(stats_dsn, **ENVELOPES[env], tier=tier_addr) if env == "tier"
               else strategies.Source(dsn, **ENVELOPES[env]) for env in envelopes}
    rows: dict = {(name, env): [] for name in mx.bundles for env in sources}
    active = list(rows)
    try:
        for rep in range(max(mx.reps, mx.max_reps)):
            while len(orders) <= rep:
                orders.append(rng.sample(range(len(users)), len(users)))
            order = orders[rep]
            for name, env in active:
                bundle, src = bundles.load(name), sources[env]
                lineup = [x for x in mx.strategies if env != "tier" or x in strategies.TIER_STRATEGIES]
                lineup += checks.sham_of(lineup) if mx.sham else []
                rng.shuffle(lineup)
                if (name, env) not in counts:
                    counts[name, env] = _block_requests(mx, src, bundle, lineup, users, order)
                for strategy in lineup:
                    rows[name, env] += _block(mx, src, bundle, strategy, users, order, counts[name, env], stats_dsn,
                                              {**cond, "bundle": name, "envelope": env, "rep": rep, "client": PSYCOPG})
                reps_taken[name, env] = rep + 1
            if rep + 1 >= mx.reps:  # enough for a first look: keep only the blocks still undecided
                active = [k for k in active if adaptive.undecided(rows[k])]
            if not active:
                break
    finally:
        for src in sources.values():
            src.close()
    for key, got in rows.items():
        out += [{**r, "reps_taken": reps_taken.get(key)} for r in got]
    return out


def _block_requests(mx, src, bundle, lineup, users, order) -> int:
    """Requests per block: as many as the slowest strategy fits in the block's budget (clamped),
    timed on a second warm-up pass (the first prepares statements and fills caches)."""
    slowest = 0.0
    for strategy in lineup:
        harness.time_block(checks.strategy_fn(strategy), src, bundle, users, 0, mx.warmup, order)
        t0 = time.perf_counter()
        harness.time_block(checks.strategy_fn(strategy), src, bundle, users, 0, mx.warmup, order)
        slowest = max(slowest, (time.perf_counter() - t0) * 1e6 / max(1, mx.warmup))
    return harness.requests_for(slowest, mx.block_budget_s, mx.min_requests, mx.max_requests)


def _block(mx, src, bundle, strategy, users, order, n, stats_dsn, cond) -> list[dict]:
    """One strategy x bundle: untimed warm-up, then `n` requests taking the repetition's users in
    its shuffled order."""
    fn = checks.strategy_fn(strategy)
    harness.time_block(fn, src, bundle, users, 0, mx.warmup, order)
    checks.reset_statements(stats_dsn)
    records = harness.time_block(fn, src, bundle, users, n, 0, order)
    server = checks.server_time(stats_dsn)
    kind = checks.label(strategy)
    shape = strategies.shape(kind["strategy"], bundle)
    row = {**cond, "strategy": kind["strategy"], "statements": shape.statements, "round_trips": shape.round_trips,
           "connections": shape.connections}
    out = [{**row, "record": kind["record"], **r} for r in records]
    if kind["record"] == "sham":
        return out
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
    """What run.json records of this experiment: the delay the proxy really added, and which
    read-path clients ran (their versions) or why one could not."""
    return {"rtt_measured": measured_rtts(table), "read_path_clients": read_paths_clients.meta()}


STEPS = (Step(run),)
