"""The trigger flow, locking and soft references, in the scratch database:
- `trigger_signup`: signup latency with the memo's handle_new_user (one INSERT; the trigger writes
  profile + user_state) against the application writing the same three rows in one transaction;
- `trigger_failure`: a profiles column the trigger cannot fill makes the signup fail with the
  trigger's error, and the signup leaves no row anywhere;
- `lock`: a spoke insert for a user while another transaction holds that user's row, updating
  last_sign_in_at (no wait) or deleting the user (waits until that transaction ends);
- `soft_refs`: chat sessions deleted under user_state.current_session_id: dangling pointers with
  the memo's soft reference, none with a foreign key ON DELETE SET NULL (and what the key costs).
"""
from __future__ import annotations

import random
import threading
import time
import uuid

import psycopg

from bench.db import pg, schema
from bench.sql import sql_text
from bench.experiments import integrity_faults as faults

SIGNUP_WAYS = ("handle_new_user", "application")
HOLDERS = ("update_last_sign_in", "delete_user")
SOFT = ("soft_reference", "fk_set_null", "fk_set_null_indexed")


def _text(name: str) -> str:
    return sql_text(f"integrity/flow/{name}.sql")


def _signup(rng: random.Random, i: int, name: str | None = "Flow User") -> faults.Signup:
    uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return faults.Signup(uid, f"flow{i}-{uid[:8]}@bench.invalid", name)


def trigger_signups(conn, dsn: str, mx, rng: random.Random, base: dict) -> list[dict]:
    out = []
    for rep in range(mx.reps):
        lineup = list(SIGNUP_WAYS)
        rng.shuffle(lineup)
        for way in lineup:
            schema.run_files(dsn, ("integrity/flow/triggers_memo.sql" if way == "handle_new_user" else "integrity/signup/triggers_off.sql",))
            for i in range(mx.inserts + mx.warmup):
                s = _signup(rng, i)
                t0 = time.perf_counter_ns()
                if way == "handle_new_user":
                    faults.step(conn, "user", s)
                else:
                    with conn.transaction():
                        for name in ("user", "profile", "state"):
                            faults.step(conn, name, s)
                elapsed = (time.perf_counter_ns() - t0) / 1_000
                if i >= mx.warmup:
                    out.append({**base, "record": "trigger_signup", "strategy": way, "rep": rep, "latency_us": elapsed})
    return out


def trigger_failure(conn, dsn: str, rng: random.Random, base: dict) -> list[dict]:
    """On empty tables: require profiles.full_name, sign up without a name, count what is left."""
    schema.run_files(dsn, ("integrity/flow/triggers_memo.sql", "integrity/flow/require_full_name.sql"))
    s = _signup(rng, 0, None)
    try:
        faults.step(conn, "user", s)
        row = {"sqlstate": None, "error": None}
    except psycopg.Error as exc:
        row = {"sqlstate": exc.sqlstate, "error": exc.diag.message_primary, "error_class": type(exc).__name__}
    finally:
        schema.run_files(dsn, ("integrity/flow/allow_null_full_name.sql",))
    left = conn.execute(_text("rows_left"), {"id": s.id}).fetchone()[0]
    return [{**base, "record": "trigger_failure", "strategy": "trigger", **row, "rows_left": left}]


def lock_waits(dsn: str, mx, rng: random.Random, users: list, base: dict) -> list[dict]:
    """Per rep and holder (shuffled): the holder takes the user's row and keeps its transaction
    open for lock_hold_ms; the spoke insert's wait is timed from a second connection."""
    out = []
    with pg.connect(dsn) as holder, pg.connect(dsn, autocommit=True) as ins, pg.connect(dsn, autocommit=True) as ctl:
        ins.execute("SET lock_timeout = '10s'")
        pid = ins.info.backend_pid
        for rep in range(mx.lock_waits):
            lineup = list(HOLDERS)
            rng.shuffle(lineup)
            for held in lineup:
                params = {"id": rng.choice(users)}
                holder.execute(_text(f"hold_{held}"), params)
                seen: dict = {}
                worker = threading.Thread(target=lambda: seen.update(_timed_insert(ins, params)))
                worker.start()
                time.sleep(mx.lock_hold_ms / 1000)
                state = ctl.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
                holder.rollback()
                worker.join()
                out.append({**base, "record": "lock", "strategy": held, "rep": rep, "hold_ms": mx.lock_hold_ms,
                            "blocked": bool(state and state[0] == "Lock"), **seen})
    return out


def multixact_bursts(dsn: str, mx, rng: random.Random, users: list, base: dict) -> list[dict]:
    """`burst_clients` connections insert audit rows at once, all for one user or each for its
    own; every insert's FK check takes FOR KEY SHARE on the user row, and concurrent holders of
    that lock share it through a multixact."""
    out = []
    with pg.connect(dsn, autocommit=True) as ctl:
        for rep in range(mx.reps):
            lineup = ["same_user", "distinct_users"]
            rng.shuffle(lineup)
            for way in lineup:
                ids = [rng.choice(users)] * mx.burst_clients if way == "same_user" else rng.sample(users, mx.burst_clients)
                before = ctl.execute(_text("multixact_age")).fetchone()[0]
                t0 = time.perf_counter()
                workers = [threading.Thread(target=_burst, args=(dsn, uid, mx.burst_inserts)) for uid in ids]
                for w in workers:
                    w.start()
                for w in workers:
                    w.join()
                seconds = time.perf_counter() - t0
                made = ctl.execute(_text("multixact_age")).fetchone()[0] - before
                out.append({**base, "record": "multixact", "strategy": way, "rep": rep, "clients": mx.burst_clients,
                            "inserts": mx.burst_clients * mx.burst_inserts, "multixacts": made, "seconds": seconds})
    return out


def _burst(dsn: str, uid, n: int) -> None:
    with pg.connect(dsn, autocommit=True) as conn:
        for _ in range(n):
            conn.execute(_text("lock_insert"), {"id": uid})


def _timed_insert(conn, params: dict) -> dict:
    t0 = time.perf_counter_ns()
    conn.execute(_text("lock_insert"), params)
    return {"latency_us": (time.perf_counter_ns() - t0) / 1_000}


def soft_references(conn, mx, rng: random.Random, base: dict) -> list[dict]:
    """Each condition in a rolled-back transaction over the same sessions."""
    conn.execute(_text("sessions"))
    out = []
    for rep in range(mx.reps):
        lineup = list(SOFT)
        rng.shuffle(lineup)
        for cond in lineup:
            with conn.transaction(force_rollback=True):
                if cond != "soft_reference":
                    conn.execute(_text("soft_fk"))
                if cond == "fk_set_null_indexed":
                    conn.execute(_text("soft_fk_index"))
                t0 = time.perf_counter_ns()
                deleted = conn.execute(_text("delete_sessions"), {"percent": mx.delete_percent}).rowcount
                elapsed = (time.perf_counter_ns() - t0) / 1_000
                dangling = conn.execute(sql_text("integrity/orphans/count/state_dangling_session.sql")).fetchone()[0]
            out.append({**base, "record": "soft_refs", "strategy": cond, "rep": rep, "sessions_deleted": deleted,
                        "dangling": dangling, "delete_us": elapsed})
    return out
