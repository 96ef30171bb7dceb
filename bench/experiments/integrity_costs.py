"""Costs of foreign keys, in the scratch database after the fault runs:
- `fk_insert`: one autocommit single-row insert into a spoke, with the FK (public.<spoke>) and
  without (nofk.<spoke>: same columns, keys and defaults), interleaved per rep;
- `bulk`: an audit bulk load with the FK checked per row, against loading without it and adding
  it NOT VALID + VALIDATE afterwards;
- `cascade`: deleting a heavy user (ON DELETE CASCADE into every spoke, rolled back each time)
  without indexes on the user_id columns (the memo's DDL) and with them.
"""
from __future__ import annotations

import contextlib
import random
import time
import uuid

import psycopg
from psycopg import sql

from bench.db import schema
from bench.sql import sql_text

SPOKES = ("user_roles", "auth_audit_log", "chat_sessions")
FK_CONDITIONS = ("fk", "no_fk", "fk_in_txn", "no_fk_in_txn")
BULK = ("per_row_checks", "not_valid_validate")
BULK_ROWS = {"xs": 20_000, "s": 100_000, "m": 200_000, "l": 1_000_000, "xl": 1_000_000}  # audit rows per load


def _sql(name: str, **identifiers) -> sql.Composed | str:
    text = sql_text(f"integrity/costs/{name}.sql")
    return sql.SQL(text).format(**{k: sql.Identifier(*v) for k, v in identifiers.items()}) if identifiers else text


def user_pool(conn, n: int) -> list:
    """n users (with the rows the triggers add) and the FK-less copies of the spokes."""
    conn.execute(_sql("users"), {"users": n})
    conn.execute(_sql("nofk_tables"))
    return [r[0] for r in conn.execute("SELECT id FROM auth.users").fetchall()]


def fk_inserts(conn, mx, users: list, rng: random.Random, base: dict) -> list[dict]:
    """Conditions `fk`/`no_fk`: each insert commits (what a PostgREST request does); `*_in_txn`:
    the block's inserts share one transaction committed after the timed block, so the commit's
    WAL flush is out of the timing and the check's own cost shows."""
    out = []
    for rep in range(mx.reps):
        cells = [(spoke, cond) for spoke in SPOKES for cond in FK_CONDITIONS]
        rng.shuffle(cells)
        for spoke, cond in cells:
            stmt = _sql(f"insert_{spoke}", table=("nofk" if cond.startswith("no_fk") else "public", spoke))
            with conn.transaction() if cond.endswith("_in_txn") else contextlib.nullcontext():
                for i in range(mx.inserts + mx.warmup):
                    params = {"user_id": rng.choice(users)}
                    t0 = time.perf_counter_ns()
                    conn.execute(stmt, params)
                    elapsed = (time.perf_counter_ns() - t0) / 1_000
                    if i >= mx.warmup:
                        out.append({**base, "record": "fk_insert", "strategy": spoke, "condition": cond, "rep": rep,
                                    "latency_us": elapsed})
    return out


def _timed(conn, name: str, params: dict | None = None) -> float:
    t0 = time.perf_counter()
    conn.execute(_sql(name), params)
    return time.perf_counter() - t0


def bulk(conn, mx, scale: str, rng: random.Random, base: dict) -> list[dict]:
    """Both ways per rep in shuffled order; the last table stays for the cascade test."""
    rows = mx.bulk_rows or BULK_ROWS[scale]
    out = []
    for rep in range(mx.reps):
        lineup = list(BULK)
        rng.shuffle(lineup)
        for way in lineup:
            conn.execute(_sql("bulk_table"))
            conn.execute("CHECKPOINT")  # each load starts without the previous one's dirty pages
            if way == "per_row_checks":
                conn.execute(_sql("bulk_fk"))
                load, fk, validate = _timed(conn, "bulk_load", {"rows": rows}), 0.0, 0.0
            else:
                load = _timed(conn, "bulk_load", {"rows": rows})
                fk, validate = _timed(conn, "bulk_fk_not_valid"), _timed(conn, "bulk_validate")
            out.append({**base, "record": "bulk", "strategy": way, "rep": rep, "rows": rows, "load_s": load,
                        "add_fk_s": fk, "validate_s": validate, "total_s": load + fk + validate})
    return out


def cascade(conn, mx, base: dict) -> list[dict]:
    heavy = str(uuid.UUID(int=random.Random(7).getrandbits(128), version=4))
    conn.execute(_sql("heavy_user"), {"id": heavy})
    with psycopg.ClientCursor(conn) as cur:
        cur.execute(_sql("heavy_rows"), {"id": heavy, "rows": mx.heavy_rows})
    conn.execute("ANALYZE")
    owned = conn.execute(_sql("rows_of_user"), {"id": heavy}).fetchone()[0]
    out = []
    for indexes in ("as-written", "indexed"):
        if indexes == "indexed":
            schema.run_files(conn.info.dsn, ("variants/indexed.sql", "integrity/costs/bulk_index.sql"))
            conn.execute("ANALYZE")
        for rep in range(-1, mx.cascade_reps):  # rep -1: warm-up
            with conn.transaction(force_rollback=True):
                t0 = time.perf_counter_ns()
                conn.execute(_sql("delete_user"), {"id": heavy})
                elapsed = (time.perf_counter_ns() - t0) / 1_000
            if rep >= 0:
                out.append({**base, "record": "cascade", "strategy": "delete_heavy_user", "indexes": indexes,
                            "rep": rep, "rows_owned": owned, "latency_us": elapsed})
    return out
