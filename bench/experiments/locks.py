"""Locks: the lock manager (an experiment of its own, so a second server can run it alone). A statement holds one relation lock per table and
index it touches. Up to PostgreSQL 17 a backend had 16 fast-path slots; locks beyond them go to
the shared lock table, under the LockManager LWLocks, which contend at high concurrency.
PostgreSQL 18 sizes the fast-path slots from max_locks_per_transaction (64 by default -> 64
slots). Measured: the relation locks each statement holds and how many were fast-path (pg_locks),
then the narrow join (3 tables) and a wide one (9 tables with auth.users) under closed-loop load,
with the backends sampled for LockManager waits while it runs. Runs once, at the run's largest
scale; rows `record="locks"`, one per cell x repetition, with the lock counts of the statement.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import pandas as pd
import psycopg

from bench.db import intent, pg
from bench.experiments.common import LARGEST, QUICK_LOAD, LoadSettings, Step, progress
from bench.measure import loadrun
from bench.measure.wire import Wire, lean
from bench.sql import sql_text

NAME = "locks"


@dataclass(frozen=True)
class Matrix(LoadSettings):
    lock_clients: tuple[int, ...] = (1, 32)
    budget: int = 10  # PostgREST's default pool size, as in concurrency
    reps: int = 3


DEFAULT = Matrix()
QUICK = Matrix(lock_clients=(1, 8), reps=2, **QUICK_LOAD)

QUERIES = {"narrow_join": "queries/account/join_json.sql", "wide_join": "queries/concurrency/wide_join.sql"}
LOCKS = sql_text("queries/concurrency/relation_locks.sql")


def relation_locks(dsn: str, query: str, user_id: str) -> dict:
    """Locks held after one execution of `query` (prepared and warmed, as under load), less the
    locks the counting statement itself takes."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        lean(conn)
        wire = Wire(conn)
        uid = [user_id.encode()]
        for _ in range(6):  # past the plan cache's five custom plans
            wire.execute(query, uid)
        base = wire.batch([("BEGIN", []), (LOCKS, []), ("ROLLBACK", [])])[1]
        cached = wire.batch([("BEGIN", []), (query, uid), (LOCKS, []), ("ROLLBACK", [])])[2]
        conn.execute("BEGIN")  # planned afresh (an unnamed statement): the planner opens every index
        conn.execute(query.replace("$1", "%s"), [user_id], prepare=False)
        planned = conn.execute(LOCKS).fetchone()
        conn.execute("ROLLBACK")
        n = lambda res, col: int(res.get_value(0, col))  # noqa: E731
        return {"locks": n(cached, 0) - n(base, 0), "fastpath_locks": n(cached, 1) - n(base, 1),
                "locks_planned": planned[0] - n(base, 0), "fastpath_locks_planned": planned[1] - n(base, 1)}


class WaitSampler:
    """Samples pg_stat_activity every `every_s` on its own connection while a cell runs."""

    def __init__(self, dsn: str, every_s: float = 0.02):
        self.dsn, self.every_s = dsn, every_s
        self.samples: list[tuple] = []
        self.done = threading.Event()

    def _loop(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            query = sql_text("queries/concurrency/lock_waits.sql")
            while not self.done.wait(self.every_s):
                self.samples.append(conn.execute(query).fetchone())

    def __enter__(self):
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()

    def summary(self) -> dict:
        active = sum(s[0] for s in self.samples)
        return {"wait_samples": len(self.samples), "active_backends_mean": active / max(1, len(self.samples)),
                "lock_manager_wait_share": sum(s[1] for s in self.samples) / active if active else 0.0,
                "lock_wait_share": sum(s[2] for s in self.samples) / active if active else 0.0}


def cells(mx, runner, dsn: str, users, seed: int) -> list[dict]:
    out = []
    for name, path in QUERIES.items():
        held = relation_locks(dsn, sql_text(path), users[0])
        for clients in mx.lock_clients:
            cell = loadrun.Cell(dsn, name, mx.bundle, users, clients=clients, budget=mx.budget, duration_s=mx.rep_s,
                                warmup_s=mx.warmup_s, seed=seed, reps=mx.reps, workers=2 if clients >= mx.workers_from else 1, query_file=path)
            with WaitSampler(dsn) as waits:
                rows = runner.run(cell, server_dsn=dsn)
            out += [{"record": "locks", "rtt_ms": 0.0, "statements_per_s": r["throughput_rps"], **held,
                     **waits.summary(), **r} for r in rows]
    return out


def run(ctx) -> pd.DataFrame:
    from bench.experiments.concurrency import load_users

    mx = QUICK if ctx.quick else DEFAULT
    tcp = pg.tcp_dsn(ctx.dsn)
    users = load_users(ctx.dsn, ctx.req.seed, mx.users)
    with intent.indexed(ctx.dsn, NAME, ctx.req.indexes), loadrun.Runner() as runner:  # then as seeded, even after kill -9
        out = cells(mx, runner, tcp, users, ctx.req.seed)
    progress(f"locks {ctx.req.scale}: {len(QUERIES)} joins x {len(mx.lock_clients)} client counts")
    return pd.DataFrame([{"experiment": NAME, "scale": ctx.req.scale, **r} for r in out])


STEPS = (Step(run, at=LARGEST),)
