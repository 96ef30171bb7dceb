"""Integrity and write paths: what the star pattern costs when things go wrong.

Writes happen in a scratch database of the suite's (`bench_integrity_scratch`, the star schema,
recreated each run); the seeded dataset is never written. The orphan census seeds its own
datasets (`bench_census_<variant>_<scale>`).

Rows of the table (column `record`):
- `signup`: one successful, fault-free signup per approach (latency_us), interleaved reps;
- `fault`: one faulty signup: fault kind, step in flight, what the client saw;
- `census`: users per inconsistency class an approach left after one rep of the schedule;
- `orphans`, `probe`: orphan census per variant (see integrity_census);
- `fk_insert`, `bulk`, `cascade`: costs of foreign keys (see integrity_costs);
- `trigger_signup`, `trigger_failure`: the trigger flow; `lock`: waits of spoke inserts;
  `multixact`: multixacts made by concurrent audit bursts; `soft_refs`: dangling pointers.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass

import pandas as pd

from bench.db import pg, schema
from bench.db import scratch as scratch_db
from bench.experiments import integrity_census as census
from bench.experiments import integrity_costs as costs
from bench.experiments import integrity_faults as faults
from bench.experiments import integrity_flow as flow
from bench.experiments.common import LARGEST, Step, progress

NAME = "integrity"
SCRATCH = "bench_integrity_scratch"
TRUNCATE = "TRUNCATE auth.users, public.profiles, public.user_state, public.user_roles, public.auth_audit_log CASCADE"


@dataclass(frozen=True)
class Matrix:
    signups: int = 400  # per approach; the same schedule for each
    fault_p: float = 0.1  # probability of each fault kind per signup
    reps: int = 3
    census_scale_cap: str = "s"  # orphan datasets are seeded at min(scale, cap) to fit the budget
    orphans: float = 0.02
    users: int = 10_000  # user pool of the cost experiments
    inserts: int = 150  # per spoke x FK condition x rep
    warmup: int = 20
    bulk_rows: int = 0  # 0: integrity_costs.BULK_ROWS[scale]
    heavy_rows: int = 5000  # audit rows of the user deleted by cascade
    cascade_reps: int = 5
    lock_waits: int = 20
    lock_hold_ms: float = 20.0
    burst_clients: int = 4  # concurrent audit writers in the multixact bursts
    burst_inserts: int = 200  # per writer
    delete_percent: int = 4  # chat sessions deleted by the soft-reference workload


DEFAULT = Matrix()
QUICK = Matrix(signups=60, fault_p=0.15, census_scale_cap="xs", users=500, inserts=20, warmup=3, bulk_rows=5_000,
               heavy_rows=1000, cascade_reps=3, lock_waits=5, lock_hold_ms=10.0, burst_inserts=20)


def scratch(server: str) -> str:
    """A fresh star database with the RPC function and the admin trigger, no data."""
    dsn = pg.tcp_dsn(pg.create_database(server, SCRATCH))
    schema.apply(dsn, "star")
    schema.run_files(dsn, ("integrity/signup/rpc_function.sql", "integrity/signup/admin_trigger.sql"))
    return dsn


def run(ctx) -> pd.DataFrame:
    """In the scratch database, locked for the whole step (a second run refuses, naming this one)
    and dropped after it succeeds."""
    with scratch_db.locked(ctx.server, SCRATCH):
        out = _run(ctx, scratch(ctx.server))
        scratch_db.drop(ctx.server, SCRATCH)
    return out


def _run(ctx, dsn: str) -> pd.DataFrame:
    mx = QUICK if ctx.quick else DEFAULT
    base = {"experiment": NAME, "scale": ctx.req.scale}
    out = run_faults(dsn, mx, ctx.req.seed, base)
    progress(f"integrity {ctx.req.scale}: faults")
    rng = random.Random(ctx.req.seed)
    with pg.connect(dsn, autocommit=True) as conn:
        conn.execute(TRUNCATE)
        out += flow.trigger_failure(conn, dsn, rng, base)
        out += flow.trigger_signups(conn, dsn, mx, rng, base)
        schema.run_files(dsn, ("integrity/signup/triggers_on.sql",))
        users = costs.user_pool(conn, mx.users)
        out += costs.fk_inserts(conn, mx, users, rng, base)
        out += costs.bulk(conn, mx, ctx.req.scale, rng, base)
        out += costs.cascade(conn, mx, base)
        progress(f"integrity {ctx.req.scale}: foreign-key costs")
        out += flow.lock_waits(dsn, mx, rng, users, base)
        out += flow.multixact_bursts(dsn, mx, rng, users, base)
        out += flow.soft_references(conn, mx, rng, base)
    return pd.DataFrame(out)


def run_faults(dsn: str, mx: Matrix, seed: int, base: dict) -> list[dict]:
    """Every approach over the same schedule, one rep's slice at a time in shuffled order; the
    scratch tables are emptied before each slice and censused after it."""
    plan = faults.schedule(seed, mx.signups, mx.fault_p)
    rng = random.Random(seed)
    dbname = SCRATCH
    out = []
    with pg.connect(dsn, autocommit=True) as ctl:
        conns = {a: pg.connect(dsn, autocommit=True) for a in faults.APPROACHES}
        try:
            for rep in range(mx.reps):
                part = plan[rep::mx.reps]
                lineup = list(faults.APPROACHES)
                rng.shuffle(lineup)
                for approach in lineup:
                    faults.settle(ctl, dbname)
                    ctl.execute(TRUNCATE)
                    schema.run_files(dsn, ("integrity/signup/triggers_" + ("on" if approach == "trigger" else "off") + ".sql",))
                    cond = {**base, "strategy": approach, "rep": rep}
                    rows = _slice(approach, conns[approach], dsn, ctl, part, cond)
                    faults.settle(ctl, dbname)
                    left = faults.rows_left(ctl, [r["user_id"] for r in rows if r["record"] == "fault"])
                    out += [{**r, "rows_left": left[r["user_id"]]} if r["record"] == "fault" else r for r in rows]
                    for cls, users in faults.census(ctl).items():
                        out.append({**cond, "record": "census", "class": cls, "users": users, "signups": len(part),
                                    "faulty": sum(f.kind != "none" for _, f in part)})
        finally:
            for c in conns.values():
                c.close()
    schema.run_files(dsn, ("integrity/signup/triggers_on.sql",))
    return out


def _slice(approach: str, conn, dsn: str, ctl, part, cond: dict) -> list[dict]:
    out = []
    for s, fault in part:
        if fault.kind == "none":
            t0 = time.perf_counter_ns()
            outcome = faults.signup(approach, conn, dsn, s)
            elapsed = (time.perf_counter_ns() - t0) / 1_000
            row = {**cond, "record": "signup", "condition": "no_fault", "outcome": outcome}
            out.append({**row, "latency_us": elapsed} if outcome == "ok" else row)
        else:
            out.append({**cond, "record": "fault", **faults.faulty_signup(approach, dsn, ctl, s, fault)})
    return out


def orphan_census(ctx) -> list[dict]:
    """Once per run, at the run's largest scale (capped: see integrity_census)."""
    return census.run(ctx, QUICK if ctx.quick else DEFAULT, {"experiment": NAME})


STEPS = (Step(run), Step(orphan_census, at=LARGEST))
