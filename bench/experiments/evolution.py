"""Schema evolution while the application runs: the memo's "just link to center" and the changes
a loaded spoke needs, with what signups, sign-ins, profile edits, spoke writes and reads felt.

Once per run, at its largest scale, on a scratch copy of the seeded dataset (made with it as the
template; the seeded dataset is never changed), indexed as the read paths leave it. Steady load
runs in background threads the whole time (bench.measure.steady_load); each change runs with a
baseline window before it (bench.measure.migration records its locks and who waited).

Changes (`change`) x conditions (`condition`):
- `recipe_star` (the memo's CREATE TABLE user_preferences ... REFERENCES auth.users) and
  `recipe_relational` (the same table referencing profiles), each `no_long_txn`, `long_txn` (a
  transaction that wrote the referenced table stays open `hold_s`) and `long_txn_lock_timeout`
  (the same, the change with lock_timeout and a retry loop);
- on the loaded spoke auth_audit_log, `no_long_txn`: `add_column_default`, `set_not_null`,
  `index_plain`, `index_concurrently`, `fk_plain`, `fk_not_valid`, `fk_validate`;
- the relational migration of an existing spoke: `repoint_spoke` (user_roles -> profiles, NOT
  VALID) and `repoint_validate`.

Each recipe cell runs `reps` times (column `rep`; the timeline is kept for the first), each
spoke change once.

Rows (column `record`): `impact` (one per change x condition x request kind: requests, waited,
errors, `delayed` (slower than twice the baseline's p99, at least 10 ms), latency from the
intended start during and before the change), `lock` (one per relation
lock the change took), `change` (duration, attempts, outcome), `request` (every request of the
recipe cells, for the timeline).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bench.db import pg, schema, scratch
from bench.experiments.common import LARGEST, Step, progress
from bench.measure import migration, steady_load
from bench.sql import sql_text

NAME = "evolution"
SCRATCH = "bench_evolution_scratch"
CONDITIONS = ("no_long_txn", "long_txn", "long_txn_lock_timeout")
HOLDS = {"recipe_star": "integrity/flow/hold_update_last_sign_in.sql",  # a sign-in that stays open
         "recipe_relational": "evolution/load/profile_update.sql"}  # a profile edit that stays open
SPOKE = ("add_column_default", "set_not_null", "index_plain", "index_concurrently", "fk_plain", "fk_not_valid",
         "fk_validate", "repoint_spoke", "repoint_validate")
UNDO = {"recipe_star": "undo_recipe", "recipe_relational": "undo_recipe", "index_plain": "undo_index",
        "fk_plain": "undo_fk"}
NOT_IN_TRANSACTION = ("index_concurrently",)
VARIANT = {"recipe_relational": "relational", "repoint_spoke": "relational", "repoint_validate": "relational"}


@dataclass(frozen=True)
class Matrix:
    rates: tuple = (("signup", 20), ("sign_in", 20), ("profile_update", 10), ("spoke_write", 40), ("read", 15))
    load_users: int = 2000
    baseline_s: float = 0.6  # load before each change, the comparison
    window_s: float = 0.3  # the change's window is at least this long (a fast change still shows its effect)
    settle_s: float = 0.3  # after the window, before the next change
    hold_s: float = 1.5  # the long transaction
    lock_timeout_ms: int = 100
    retry_pause_s: float = 0.2
    reps: int = 3  # of each recipe cell (the spoke changes run once: several take seconds at m)


DEFAULT = Matrix()
QUICK = Matrix(rates=(("signup", 15), ("sign_in", 15), ("profile_update", 10), ("spoke_write", 20), ("read", 10)),
               load_users=300, baseline_s=0.3, window_s=0.2, settle_s=0.1, hold_s=0.5, reps=1)


def plan(reps: int = 1) -> list[tuple[str, str, int]]:
    """(change, condition, repetition): the recipe cells `reps` times, interleaved, then each
    spoke change once."""
    cells = [(c, cond, rep) for rep in range(reps) for c in HOLDS for cond in CONDITIONS]
    return cells + [(c, "no_long_txn", 0) for c in SPOKE]


def run(ctx) -> pd.DataFrame:
    mx = QUICK if ctx.quick else DEFAULT
    base = {"experiment": NAME, "scale": ctx.req.scale}
    with scratch.locked(ctx.server, SCRATCH):  # a second run refuses, naming this one
        return _run(ctx, mx, base)


def _run(ctx, mx, base: dict) -> pd.DataFrame:
    dsn = scratch.copy_of(ctx.server, ctx.dsn, SCRATCH)
    try:
        schema.run_files(dsn, ("variants/indexed.sql",))
        with pg.connect(dsn, autocommit=True) as conn:
            users = [str(r[0]) for r in conn.execute(sql_text("caching/sample_uniform.sql"),
                                                     {"seed": str(ctx.req.seed), "n": mx.load_users + 1})]
        held_user, users = users[0], users[1:]  # the long transaction's row is no load request's
        out = []
        with steady_load.SteadyLoad(dsn, dict(mx.rates), users, ctx.req.seed) as load:
            time.sleep(mx.baseline_s)
            for change, cond, rep in plan(mx.reps):
                out += cycle(dsn, load, change, cond, held_user, mx,
                             {**base, "variant": VARIANT.get(change, "star"), "rep": rep})
            progress(f"evolution {ctx.req.scale}: {len(plan(mx.reps))} changes under load")
    finally:
        scratch.drop(ctx.server, SCRATCH)
    return pd.DataFrame(out)


def cycle(dsn: str, load: steady_load.SteadyLoad, change: str, cond: str, held_user: str, mx: Matrix,
          base: dict) -> list[dict]:
    holder = None
    if cond != "no_long_txn":
        holder = migration.Holder(dsn, sql_text(HOLDS[change]), {"id": held_user}, mx.hold_s)
    outcome = migration.perform(dsn, sql_text(f"evolution/changes/{change}.sql"),
                                transactional=change not in NOT_IN_TRANSACTION,
                                lock_timeout_ms=mx.lock_timeout_ms if cond == "long_txn_lock_timeout" else 0,
                                retry_pause_s=mx.retry_pause_s, holder=holder)
    time.sleep(max(0.0, mx.window_s - outcome.duration_us / 1e6) + mx.settle_s)
    if change in UNDO:
        schema.run_files(dsn, (f"evolution/changes/{UNDO[change]}.sql",))
    cell = {**base, "change": change, "strategy": change, "condition": cond}
    rows = [{**cell, "record": "change", "duration_us": outcome.duration_us, "attempts": outcome.attempts,
             "error": outcome.error, "held_s": outcome.held_s}]
    rows += [{**cell, "record": "lock", "relation": rel, "mode": mode, "granted": granted}
             for rel, mode, granted in sorted(outcome.locks)]
    rows += impact(load, outcome, mx, cell)
    if change in HOLDS and base.get("rep", 0) == 0:
        rows += timeline(load, outcome, mx, cell)
    time.sleep(mx.baseline_s)
    return rows


def _window(outcome: migration.Outcome, mx: Matrix) -> tuple[int, int]:
    return outcome.start_ns, max(outcome.end_ns, outcome.start_ns + int(mx.window_s * 1e9))


def waited(requests, blocked) -> list[bool]:
    """Whether each request was seen waiting on a lock (a sample of its kind inside its run time)."""
    return [any(k == r.kind and r.start_ns <= t <= r.end_ns for t, k in blocked) for r in requests]


def impact(load: steady_load.SteadyLoad, outcome: migration.Outcome, mx: Matrix, cell: dict) -> list[dict]:
    t0, t1 = _window(outcome, mx)
    during = load.between(t0, t1)
    before = load.between(t0 - int(mx.baseline_s * 1e9), t0)
    flags = waited(during, outcome.blocked)
    rows = []
    for kind, _ in mx.rates:
        mine = [(r, w) for r, w in zip(during, flags) if r.kind == kind]
        lat = np.array([(r.end_ns - r.intended_ns) / 1_000 for r, _ in mine if r.error is None])
        ref = np.array([(r.end_ns - r.intended_ns) / 1_000 for r in before if r.kind == kind and r.error is None])
        slow_us = slow_threshold(ref)
        rows.append({**cell, "record": "impact", "kind": kind, "window_s": (t1 - t0) / 1e9, "requests": len(mine),
                     "waited": sum(w for _, w in mine), "slow_threshold_us": slow_us,
                     "delayed": int((lat > slow_us).sum()) if len(lat) else 0, "errors": sum(r.error is not None for r, _ in mine),
                     "error_codes": ",".join(sorted({r.error for r, _ in mine if r.error})),
                     "change_us": outcome.duration_us, **_stats(lat, ""), **_stats(ref, "baseline_")})
    return rows


def slow_threshold(baseline_us: np.ndarray) -> float:
    """A request is delayed when it took more than twice the baseline's p99 (at least 10 ms)."""
    return max(10_000.0, 2 * float(np.percentile(baseline_us, 99))) if len(baseline_us) else 10_000.0


def _stats(lat: np.ndarray, prefix: str) -> dict:
    if not len(lat):
        return {f"{prefix}p50_us": np.nan, f"{prefix}p99_us": np.nan, f"{prefix}max_us": np.nan}
    return {f"{prefix}p50_us": float(np.percentile(lat, 50)), f"{prefix}p99_us": float(np.percentile(lat, 99)),
            f"{prefix}max_us": float(lat.max())}


def timeline(load: steady_load.SteadyLoad, outcome: migration.Outcome, mx: Matrix, cell: dict) -> list[dict]:
    t0, t1 = _window(outcome, mx)
    span = load.between(t0 - int(mx.baseline_s * 1e9), t1 + int(mx.settle_s * 1e9))
    return [{**cell, "record": "request", "kind": r.kind, "t_ms": (r.intended_ns - t0) / 1e6,
             "latency_from_intended_us": (r.end_ns - r.intended_ns) / 1_000, "error": r.error} for r in span]


STEPS = (Step(run, at=LARGEST),)  # once per run, at its largest scale
