"""Caching, warm and truly cold: what "each table cached independently" gives each read path.

At every scale of the run, on the seeded dataset (indexed, as read_paths leaves it; only read),
for the 'account' bundle and every strategy of bench.measure.strategies (called, not copied):

- `cache` conditions: `warm` (the users' pages fetched once before the timed pass), `shared_cold`
  (the bundle's relations evicted from shared buffers before every request; the OS page cache
  keeps them) and `cold` (evicted from shared buffers and from the OS page cache before every
  request, after a checkpoint; the eviction's counts are on each request's row);
- `condition` (the sampling): users drawn uniformly from the whole population, and separately with probability
  proportional to their activity (audit rows); a fresh sample per repetition, the same users in
  the same order for every strategy and condition of a repetition.

Rows (column `record`):
- `request`: one timed bundle: latency_us, user_id, rows, and for cold cells what was evicted;
- `buffers`: per cell, shared blocks hit and read and read time per request (pg_stat_statements,
  track_io_timing on in every cell), the proof that a cold cell read from disk;
- `explain`: EXPLAIN (ANALYZE, BUFFERS) of the joined statement for one user per sampling, cold
  and then warm.

Tagged cells, at the run's largest scale only: `small_buffers`, warm cells again with the embedded
server restarted with shared_buffers = SMALL_BUFFERS (far below the bundle relations' size at m),
so most of a bundle's pages come from the OS page cache; the rows carry `shared_buffers` and
run.json records the setting (`tagged_settings`). The server is restarted back to its defaults
afterwards (bench.db.restart). Skipped, and said so, on a server given by DSN.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass

import pandas as pd
import psycopg

from bench.db import intent, pg, schema
from bench.experiments import common
from bench.experiments.common import LARGEST, Step, progress
from bench.measure import blockstats, bundles, eviction, harness, strategies
from bench.sql import sql_text

NAME = "caching"
CONDITIONS = ("warm", "shared_cold", "cold")
SAMPLINGS = ("uniform", "activity")
STRATEGY_NAMES = tuple(strategies.STRATEGIES)
IO_TIMING = "-c track_io_timing=on"
SMALL_BUFFERS = "16MB"


@dataclass(frozen=True)
class Matrix:
    bundle: str = "account"
    reps: int = 7  # a t interval over 5 repetitions of 10 cold requests straddled most margins
    users: int = 24  # per repetition and sampling
    warmup: int = 1  # untimed passes over a repetition's users before a warm cell


DEFAULT = Matrix()
QUICK = Matrix(reps=3, users=3)
SMALL = Matrix(reps=3)  # the tagged small-shared_buffers pass


def with_io_timing(dsn: str) -> str:
    return psycopg.conninfo.make_conninfo(dsn, options=IO_TIMING)


def io_timing_allowed(dsn: str) -> bool:
    """Whether this login may turn track_io_timing on (a superuser's setting, or granted SET)."""
    with pg.connect(dsn) as conn:
        return bool(conn.execute("SELECT rolsuper OR has_parameter_privilege(current_user, 'track_io_timing', 'SET') "
                                 "FROM pg_roles WHERE rolname = current_user").fetchone()[0])


def sample(conn, sampling: str, seed: int, n: int) -> list[str]:
    rows = conn.execute(sql_text(f"caching/sample_{sampling}.sql"), {"seed": str(seed), "n": n}).fetchall()
    return [str(r[0]) for r in rows]


def run(ctx) -> pd.DataFrame:
    mx = QUICK if ctx.quick else DEFAULT
    with intent.indexed(ctx.dsn, NAME, ctx.req.indexes, ("schema/stats.sql",)):  # then as seeded, even after kill -9
        return pd.DataFrame(_pass(ctx, mx, CONDITIONS, {"shared_buffers": _setting(ctx.dsn)}, explain=True))


def small_buffers(ctx) -> pd.DataFrame:
    """The warm cells again with shared_buffers = SMALL_BUFFERS (the embedded server only)."""
    if ctx.external:
        return pd.DataFrame([{"experiment": NAME, "scale": ctx.req.scale, "record": "skipped", "cache": "small_buffers",
                              "strategy": "all", "reason": "a server given by DSN is never restarted by the suite"}])
    # both changes recorded before they are made (a marker in the data directory for the setting,
    # bench_meta.intent for the indexes): a killed pass is undone by the next db start, seed or run
    with intent.server_settings(ctx.server, {"shared_buffers": SMALL_BUFFERS}) as now, \
            intent.indexed(ctx.dsn, NAME, ctx.req.indexes, ("schema/stats.sql",)):
        rows = _pass(ctx, QUICK if ctx.quick else SMALL, ("small_buffers",), {"shared_buffers": now["shared_buffers"]})
    progress(f"caching {ctx.req.scale}: shared_buffers {SMALL_BUFFERS} pass, server back to its settings")
    return pd.DataFrame(rows)


def run_meta(table: pd.DataFrame) -> dict:
    if table.empty or "shared_buffers" not in table or "cache" not in table:
        return {}
    tagged = table[table.cache == "small_buffers"].shared_buffers.dropna().unique()
    return {"tagged_settings": {"caching small_buffers cells": {"shared_buffers": ", ".join(map(str, tagged))}}} \
        if len(tagged) else {}


def _setting(dsn: str) -> str:
    with pg.connect(dsn) as conn:
        return conn.execute("SHOW shared_buffers").fetchone()[0]


def _pass(ctx, mx: Matrix, conditions: tuple[str, ...], tags: dict, explain: bool = False) -> list[dict]:
    bundle = bundles.load(mx.bundle)
    schema.run_files(ctx.dsn, ("schema/stats.sql", "variants/indexed.sql"))  # idempotent, as read_paths does
    base = {"experiment": NAME, "scale": ctx.req.scale, "bundle": bundle.name, "indexes": "indexed",
            "rtt_ms": 0.0, **tags}
    base["track_io_timing"] = io_timing_allowed(ctx.dsn)  # else block reads are counted, their time is not
    dsn = with_io_timing(ctx.dsn) if base["track_io_timing"] else ctx.dsn
    rng = random.Random(ctx.req.seed)
    out = []
    with pg.connect(dsn, autocommit=True) as ctl:
        try:
            ev = eviction.Evictor(ctl, list(bundle.parts), local=not ctx.external)
        except psycopg.Error as exc:  # a server without pg_buffercache 1.6 (PostgreSQL 18): said, not hidden
            return [{**base, "record": "skipped", "strategy": "all", "reason": " ".join(str(exc).split())}]
        base["os_cache_control"] = ev.os_reason or "posix_fadvise DONTNEED"
        with strategies.Source(dsn) as src:
            for sampling in SAMPLINGS:
                users = sample(ctl, sampling, ctx.req.seed, mx.reps * mx.users)
                common.same_answer(ctx.dsn, bundle, users, list(STRATEGY_NAMES))
                for rep in range(mx.reps):
                    part = users[rep * mx.users:(rep + 1) * mx.users]
                    cond = {**base, "condition": sampling, "rep": rep}
                    lineup = [(c, s) for c in conditions for s in (*STRATEGY_NAMES, *common.sham_of(STRATEGY_NAMES))]
                    rng.shuffle(lineup)
                    for cache, name in lineup:
                        out += cell(src, ctl, ev, bundle, name, cache, part, mx, {**cond, "cache": cache, "strategy": name})
                if explain:
                    out += explain_proof(ctl, ev, bundle, users[0], {**base, "condition": sampling})
                progress(f"caching {ctx.req.scale}: {sampling} sampling")
    return out


def cell(src, ctl, ev: eviction.Evictor, bundle, name: str, cache: str, users: list[str], mx: Matrix,
         cond: dict) -> list[dict]:
    """One strategy x condition over `users`: request rows, then the cell's block counts."""
    fn, kind = common.strategy_fn(name), common.label(name)
    cond = {**cond, "strategy": kind["strategy"]}
    out = []
    if cache in ("warm", "small_buffers"):
        harness.time_block(fn, src, bundle, users, 0, mx.warmup * len(users))  # untimed: fetch the pages
        blockstats.reset(ctl)  # the warm-up's reads are not the warm cell's
        records = harness.time_block(fn, src, bundle, users, len(users), 0)
        out += [{**cond, "record": kind["record"], "user_id": users[r.pop("user_idx")], **r} for r in records]
    else:
        ev.checkpoint()
        blockstats.reset(ctl)
        for uid in users:
            done = ev.evict(os_cache=cache == "cold")
            t0 = time.perf_counter_ns()
            fetch = fn(src, bundle, uid)
            elapsed = (time.perf_counter_ns() - t0) / 1_000
            out.append({**cond, "record": kind["record"], "user_id": uid, "latency_us": elapsed, "rows": fetch.rows,
                        "decode_us": fetch.decode_ns / 1_000, "assemble_us": fetch.assemble_ns / 1_000,
                        "buffers_evicted": done.buffers_evicted, "buffers_flushed": done.buffers_flushed,
                        "buffers_skipped": done.buffers_skipped, "files_dropped": done.files_dropped,
                        "os_cache": done.os_cache})
    if kind["record"] == "sham":
        return out
    blocks = blockstats.read(ctl)
    n = len(users)
    out.append({**cond, "record": "buffers", "requests": n, "calls": blocks.calls,
                "shared_hit_per_request": blocks.shared_hit / n, "shared_read_per_request": blocks.shared_read / n,
                "read_us_per_request": blocks.read_ms * 1_000 / n})
    return out


def explain_proof(ctl, ev: eviction.Evictor, bundle, uid: str, cond: dict) -> list[dict]:
    """The joined statement for one user right after a full eviction, then again (warm)."""
    ev.checkpoint()
    done = ev.evict()
    left = ev.cached_buffers()
    out = [{**cond, "record": "explain", "cache": "cold", "strategy": "join_json", "user_id": uid,
            "buffers_left_after_eviction": left, "os_cache": done.os_cache, **blockstats.explain(ctl, bundle.join_json, uid)}]
    out.append({**cond, "record": "explain", "cache": "warm", "strategy": "join_json", "user_id": uid,
                **blockstats.explain(ctl, bundle.join_json, uid)})
    return out


STEPS = (Step(run), Step(small_buffers, at=LARGEST, quick=False))
