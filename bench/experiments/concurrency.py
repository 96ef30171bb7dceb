"""Concurrency: many users fetching at once, through one connection budget.

Runs ONCE per run, at the run's largest scale. Rows (column `record`):
- `load`: one load cell x repetition: strategy x mode (closed: `clients` senders, no think time;
  open: Poisson arrivals at `rate`/s, latency from the intended start) x RTT x connection
  `budget`. Throughput (requests/s, statements/s), percentiles of latency, service time,
  schedule lag and pool wait (one HdrHistogram per cell, merged across worker processes; the
  encoded histograms are kept in `hist_*` so repetitions can be merged), client and server CPU,
  `client_bound` where the client, not PostgreSQL, was the bottleneck (loadrun);
- `consistency`: torn reads per (strategy, isolation) x bundle x write rate (experiments.consistency);
- `load_users`: the users every load cell cycles through (request i takes user i mod n), drawn
  uniformly from the whole population, so heavy users come in as often as they exist.
Load rows carry `client`: `psycopg` (the Python load generator, every strategy) or `pgbench`
(C, the strategies a script can express, the same statements and users; bench.measure.clients.
pgbench_load), so every under-load figure has a cell without a Python client in the way; and
`node-http` (envelope `tier`): through the PostgREST path, the memo's Promise.all against the one
request a Supabase user can make on the star (the RPC), the requests supabase-js makes replayed
by node's http client against the tier (its pool of 10 beside the database), the delay proxy on
the client's side of the link (bench.measure.clients.supabase_load). Where Node.js or the npm
packages are missing, those cells are absent and run.json says why (`tier_load`).
Open-loop rates are fractions of the best closed-loop throughput measured at RTT 0, so every
strategy is offered the same loads and the slower ones saturate first.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import pandas as pd

from bench.db import intent, pg
from bench.experiments import common, consistency
from bench.experiments.common import LARGEST, QUICK_LOAD, LoadSettings, Step, progress
from bench.measure import bundles, loadrun, netdelay, strategies, tier, topology
from bench.measure.clients import PSYCOPG, pgbench, pgbench_load, supabase, supabase_load
from bench.sql import sql_text

NAME = "concurrency"


@dataclass(frozen=True)
class Matrix(LoadSettings):
    strategies: tuple[str, ...] = tuple(strategies.STRATEGIES)
    clients: tuple[int, ...] = (1, 4, 16, 48)  # closed loop
    rtts_ms: tuple[float, ...] = (0.0, 2.0)
    open_fractions: tuple[float, ...] = (0.3, 0.6, 0.9, 1.2)  # of the best closed-loop throughput
    open_senders: int = 48  # most requests in flight in the open loop
    budgets: tuple[int, ...] = (3, 10, 30)  # the budget sweep, closed loop at budget_clients, RTT 0
    budget_clients: int = 32
    budget_strategies: tuple[str, ...] = ("star_parallel", "star_sequential", "join_json")
    budget: int = 10  # PostgREST's default pool size
    tier_strategies: tuple[str, ...] = ("star_parallel", "rpc_bundle")  # Promise.all against the RPC, through the tier
    tier_clients: tuple[int, ...] = (1, 16, 48)  # virtual users, closed loop, at every RTT
    reps: int = 3
    consistency_bundles: tuple[str, ...] = ("account", "chat")
    write_rates: tuple[float, ...] = (0.0, 50.0, 250.0)
    readers: int = 2
    consistency_s: float = 0.6
    pgbench_clients: tuple[int, ...] = (1, 10)  # pgbench connections (no pool: at most the budget)
    pgbench_s: float = 3.0  # measured in all, `reps` pgbench processes of 1 s each after their warm-up
    pgbench_warmup_s: float = 0.5  # at least; and until every connection has prepared each user's statements


DEFAULT = Matrix()
QUICK = Matrix(strategies=("star_parallel", "join_json"), clients=(1, 8), rtts_ms=(0.0, 2.0), open_fractions=(0.5, 1.1),
               open_senders=16, tier_clients=(4,), budgets=(3,), budget_clients=8, budget_strategies=("star_parallel",), reps=2,
               **QUICK_LOAD, consistency_bundles=("account",), write_rates=(200.0,), consistency_s=0.3,
               pgbench_clients=(1, 4), pgbench_s=0.9, pgbench_warmup_s=0.4)


def run(ctx) -> pd.DataFrame:
    base = {"experiment": NAME, "scale": ctx.req.scale}
    mx = QUICK if ctx.quick else DEFAULT
    tcp = pg.tcp_dsn(ctx.dsn)
    users = load_users(ctx.dsn, ctx.req.seed, mx.users)
    rng = random.Random(ctx.req.seed)
    out: list[dict] = [{"record": "load_users", "position": k, "user_id": u} for k, u in enumerate(users)]
    with intent.indexed(ctx.dsn, NAME, ctx.req.indexes):  # then as seeded, even after kill -9
        with loadrun.Runner() as runner:
            out += _closed(mx, runner, tcp, users, rng, ctx.req.seed)
            best = max(r["throughput_rps"] for r in out if r.get("rtt_ms") == 0 and r.get("client") == PSYCOPG)
            out += _open(mx, runner, tcp, users, rng, ctx.req.seed, best)
            out += _budgets(mx, runner, tcp, users, rng, ctx.req.seed)
        out += _tier(mx, tcp, users, rng)
        out += consistency.cells(tcp, ctx.req.seed, mx.consistency_bundles, mx.write_rates, mx.readers,
                                 mx.consistency_s, progress)
    return pd.DataFrame([{**base, **r} for r in out])


def load_users(dsn: str, seed: int, n: int) -> tuple[str, ...]:
    with pg.connect(dsn) as conn:
        return tuple(str(r[0]) for r in conn.execute(sql_text("caching/sample_uniform.sql"), {"seed": str(seed), "n": n}))


def _load(mx: Matrix, runner, dsn: str, strategy: str, users, seed: int, *, python: bool = True,
          by_pgbench: bool = False, **kw) -> list[dict]:
    """One cell by the Python load generator (if `python`) and, if `by_pgbench` and a script
    can express the strategy, by pgbench at the main budget. A sham (`common.SHAM` + twin) runs
    its twin, and its rows are record `load_sham`: the load cells' own false-call rate."""
    kind = common.label(strategy)
    strategy = kind["strategy"]
    record = "load" if kind["record"] == "request" else "load_sham"
    out = _pgbench_load(mx, dsn, strategy, users, **kw) if by_pgbench and strategy in pgbench.STRATEGIES else []
    out = [{**r, "record": record} for r in out]
    if not python:
        return out
    senders = kw.get("clients", 1)
    cell = loadrun.Cell(dsn, strategy, mx.bundle, users, budget=kw.pop("budget", mx.budget), duration_s=mx.rep_s,
                        warmup_s=mx.warmup_s, seed=seed, reps=mx.reps, workers=2 if senders >= mx.workers_from else 1, **kw)
    statements = strategies.shape(strategy, bundles.load(mx.bundle)).statements
    rows = runner.run(cell, server_dsn=dsn)
    return out + [{"record": record, "client": PSYCOPG, "statements_per_s": r["throughput_rps"] * statements, **r}
                  for r in rows]


def _pgbench_load(mx: Matrix, dsn: str, strategy: str, users, **kw) -> list[dict]:
    cell = pgbench_load.Cell(dsn, strategy, mx.bundle, users, mode=kw["mode"], clients=kw.get("clients", 1),
                             rate=kw.get("rate", 0.0), budget=mx.budget, duration_s=mx.pgbench_s,
                             warmup_s=mx.pgbench_warmup_s, reps=mx.reps)
    statements = strategies.shape(strategy, bundles.load(mx.bundle)).statements
    return [{"record": "load", "statements_per_s": r["throughput_rps"] * statements, **r}
            for r in pgbench_load.run(cell, server_dsn=dsn)]


def _closed(mx, runner, tcp, users, rng, seed) -> list[dict]:
    out = []
    overhead = netdelay.calibrate(tcp) if any(mx.rtts_ms) else 0.0
    for rtt in mx.rtts_ms:
        with netdelay.link(tcp, rtt, overhead) as (dsn, added):
            for clients in sorted(set(mx.clients) | set(mx.pgbench_clients)):
                lineup = [*mx.strategies, *common.sham_of(mx.strategies)]
                rng.shuffle(lineup)
                for strategy in lineup:
                    out += [{**r, "rtt_ms": rtt, "rtt_added_ms": (added or {}).get("added_ms", 0.0)}
                            for r in _load(mx, runner, dsn, strategy, users, seed, python=clients in mx.clients,
                                           by_pgbench=clients in mx.pgbench_clients, mode="closed", clients=clients)]
            progress(f"concurrency closed loop: RTT {rtt:g} ms")
    return out


def _open(mx, runner, tcp, users, rng, seed, best_rps: float) -> list[dict]:
    """Poisson arrivals at fractions of the best closed-loop throughput, by the Python load
    generator only: its p99 from the intended start is what 03 charts. pgbench's open loop (`-R`)
    ran here too until no chart or verdict read it (1.6 min at m)."""
    out = []
    for fraction in mx.open_fractions:
        lineup = list(mx.strategies)
        rng.shuffle(lineup)
        for strategy in lineup:
            rows = _load(mx, runner, tcp, strategy, users, seed, mode="open", clients=mx.open_senders,
                         rate=round(fraction * best_rps, 1))
            out += [{**r, "rtt_ms": 0.0, "load_fraction": fraction} for r in rows]
    progress(f"concurrency open loop: {len(mx.open_fractions)} rates up to {max(mx.open_fractions) * best_rps:.0f}/s")
    return out


def _budgets(mx, runner, tcp, users, rng, seed) -> list[dict]:
    out = []
    for budget in mx.budgets:
        for strategy in mx.budget_strategies:
            rows = _load(mx, runner, tcp, strategy, users, seed, mode="closed", clients=mx.budget_clients, budget=budget)
            out += [{**r, "rtt_ms": 0.0, "sweep": "budget"} for r in rows]
    progress(f"concurrency budget sweep: {mx.budgets}")
    return out


def _tier(mx, tcp, users, rng) -> list[dict]:
    """Promise.all against the RPC through the PostgREST path: the tier beside the database (on
    the server's cores), node on the client's side of the delayed link; a sham twin of the RPC."""
    if supabase.missing() is not None:
        return []
    tokens = tuple(supabase.bearers(tcp, list(users)))
    out = []
    overhead = netdelay.calibrate(tcp) if any(mx.rtts_ms) else 0.0
    with tier.Process(tcp, pool_size=mx.budget) as the_tier:
        topology.to_server(the_tier.pid)
        for rtt in mx.rtts_ms:
            with netdelay.DelayProxy("127.0.0.1", the_tier.port, rtt, overhead) as proxy:
                for clients in mx.tier_clients:
                    lineup = [*mx.tier_strategies, *common.sham_of(mx.tier_strategies)]
                    rng.shuffle(lineup)
                    for strategy in lineup:
                        kind = common.label(strategy)
                        cell = supabase_load.Cell(kind["strategy"], mx.bundle, users, tokens, clients=clients,
                                                  budget=mx.budget, duration_s=mx.rep_s, warmup_s=mx.warmup_s,
                                                  reps=mx.reps)
                        record = "load" if kind["record"] == "request" else "load_sham"
                        statements = strategies.shape(kind["strategy"], bundles.load(mx.bundle)).statements
                        out += [{**r, "record": record, "rtt_ms": rtt, "statements_per_s": r["throughput_rps"] * statements}
                                for r in supabase_load.run(cell, ("127.0.0.1", proxy.port), tcp, the_tier.pid,
                                                           proxy.pid)]
            progress(f"concurrency through the PostgREST tier: RTT {rtt:g} ms")
    return out


def run_meta(table: pd.DataFrame) -> dict:
    """For run.json: whether the load through the PostgREST tier ran, and why not."""
    why = supabase.missing()
    return {"tier_load": {"client": supabase_load.REPLAY, "driver": "supabase-js's requests replayed by node's http",
                          **({"absent": why} if why else supabase.version())}}


STEPS = (Step(run, at=LARGEST),)
