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
- `trigger_signup`, `trigger_failure`: the trigger flow; `lock`: waits of spoke inserts.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass

import pandas as pd

from .. import experiments, pg, schema
from . import integrity_census as census
from . import integrity_costs as costs
from . import integrity_faults as faults

NAME = "integrity"
SCRATCH = "bench_integrity_scratch"


@dataclass(frozen=True)
class Matrix:
    signups: int = 1000  # per approach; the same schedule for each
    fault_p: float = 0.1  # probability of each fault kind per signup
    reps: int = 3
    census_scale_cap: str = "s"  # orphan datasets are seeded at min(scale, cap) to fit the budget
    orphans: float = 0.02
    inserts: int = 300  # per spoke x FK condition x rep
    bulk_rows: dict | None = None  # per scale; None = BULK_ROWS
    heavy_rows: int = 5000  # audit rows of the user deleted by cascade
    cascade_reps: int = 5
    lock_waits: int = 20
    lock_hold_ms: float = 20.0


BULK_ROWS = {"xs": 20_000, "s": 100_000, "m": 200_000, "l": 1_000_000, "xl": 1_000_000}
DEFAULT = Matrix()
QUICK = Matrix(signups=150, fault_p=0.12, census_scale_cap="xs", inserts=40, bulk_rows={s: 5_000 for s in BULK_ROWS},
               heavy_rows=1000, cascade_reps=3, lock_waits=5, lock_hold_ms=10.0)


def scratch(server: str) -> str:
    """A fresh star database with the RPC function and the admin trigger, no data."""
    dsn = pg.tcp_dsn(pg.create_database(server, SCRATCH))
    schema.apply(dsn, "star")
    schema.run_files(dsn, ("integrity/signup/rpc_function.sql", "integrity/signup/admin_trigger.sql"))
    return dsn


def run(ctx) -> pd.DataFrame:
    mx = QUICK if ctx.quick else DEFAULT
    base = {"experiment": NAME, "scale": ctx.req.scale}
    dsn = scratch(ctx.server)
    out = run_faults(dsn, mx, ctx.req.seed, base)
    experiments.progress(f"integrity {ctx.req.scale}: faults")
    out += census.run(ctx, mx, base)
    experiments.progress(f"integrity {ctx.req.scale}: orphan census")
    out += costs.run(dsn, mx, ctx.req, base)
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
                    ctl.execute("TRUNCATE auth.users, public.profiles, public.user_state, public.user_roles, "
                                "public.auth_audit_log CASCADE")
                    schema.run_files(dsn, ("integrity/signup/triggers_" + ("on" if approach == "trigger" else "off") + ".sql",))
                    cond = {**base, "strategy": approach, "rep": rep}
                    out += _slice(approach, conns[approach], dsn, ctl, part, cond)
                    faults.settle(ctl, dbname)
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
