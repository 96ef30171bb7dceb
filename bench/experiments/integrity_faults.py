"""Multi-step signups under faults: the memo's createAdminUser written four ways, one fault schedule.

A signup writes five rows: the auth.users row, the profile, the user_state, the 'admin' role and
the 'created' audit entry. The approaches:
- `three_requests`: one autocommit request per row (the auth signup, then the memo's requests),
  and on an error the memo's best-effort `rollbackUser` (delete what was written, one request
  per table, on a fresh pooled connection when the old one is gone);
- `transaction`: the same five statements inside BEGIN .. COMMIT;
- `rpc`: one call of `public.create_admin_user` (a function is one statement: all or nothing);
- `trigger`: one INSERT into auth.users; the memo's handle_new_user writes profile + state and a
  second trigger (handle_new_admin) writes the role and the audit entry.

A fault strikes while step k is in flight: a second connection holds SHARE lock on step k's
table, so the step (or the single statement at that point inside the function or trigger)
waits on it for real; then the fault is applied and the lock released:
- `error`: the statement is cancelled (pg_cancel_backend: what a statement timeout does);
- `client_dies`: the client's socket is shut down, no cleanup runs (a crashed app server);
- `terminate`: pg_terminate_backend from the second connection (a killed connection).
The same seeded schedule (kind and step per signup) drives every approach.
"""
from __future__ import annotations

import os
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass

import psycopg
from psycopg import sql

from bench.db import pg
from bench.sql import sql_text

STEPS = ("user", "profile", "state", "role", "audit")
TABLES = {"user": ("auth", "users", "id"), "profile": ("public", "profiles", "id"),
          "state": ("public", "user_state", "user_id"), "role": ("public", "user_roles", "user_id"),
          "audit": ("public", "auth_audit_log", "user_id")}
FAULTS = ("error", "client_dies", "terminate")
APPROACHES = ("three_requests", "transaction", "rpc", "trigger")
WAIT_S = 10.0  # longest wait for a flow to block on the fault's lock, or to finish


@dataclass(frozen=True)
class Signup:
    id: str
    email: str
    full_name: str

    def params(self) -> dict:
        return {"id": self.id, "email": self.email, "full_name": self.full_name}


@dataclass(frozen=True)
class Fault:
    kind: str  # "none" or one of FAULTS
    step: int  # index into STEPS of the step in flight when it strikes


def schedule(seed: int, n: int, p: float) -> list[tuple[Signup, Fault]]:
    """n signups; each fault kind strikes a signup with probability p, at a uniform step."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        u = rng.random()
        kind = FAULTS[int(u / p)] if u < p * len(FAULTS) else "none"
        out.append((Signup(uid, f"signup{i}-{uid[:8]}@bench.invalid", f"Signup {i}"), Fault(kind, rng.randrange(len(STEPS)))))
    return out


def step(conn, name: str, s: Signup) -> None:
    conn.execute(sql_text(f"integrity/signup/{name}.sql"), s.params())


def _requests(conn, s: Signup) -> None:
    for name in STEPS:
        step(conn, name, s)


def _transaction(conn, s: Signup) -> None:
    with conn.transaction():
        for name in STEPS:
            step(conn, name, s)


def _rpc(conn, s: Signup) -> None:
    conn.execute(sql_text("integrity/signup/rpc_call.sql"), s.params())


def _trigger(conn, s: Signup) -> None:
    step(conn, "user", s)


RUN = {"three_requests": _requests, "transaction": _transaction, "rpc": _rpc, "trigger": _trigger}


def rollback_user(conn, dsn: str, uid: str) -> None:
    """The memo's rollbackUser: delete the signup's rows, one request per table, best effort."""
    if conn.closed or conn.broken:
        conn = pg.connect(dsn, autocommit=True)
    with conn:
        for name in reversed(STEPS):
            schema_, table, column = TABLES[name]
            try:
                conn.execute(sql.SQL("DELETE FROM {} WHERE {} = %s").format(
                    sql.Identifier(schema_, table), sql.Identifier(column)), (uid,))
            except psycopg.Error:
                pass  # best effort, as in the memo


def signup(approach: str, conn, dsn: str, s: Signup, dead: threading.Event | None = None) -> str:
    """One signup with the approach's error handling; returns 'ok' or the error's class name."""
    try:
        RUN[approach](conn, s)
        return "ok"
    except psycopg.Error as exc:
        if approach == "three_requests" and not (dead and dead.is_set()):
            rollback_user(conn, dsn, s.id)
        return type(exc).__name__


def faulty_signup(approach: str, dsn: str, ctl, s: Signup, fault: Fault) -> dict:
    """Run one signup while `fault` strikes at its step; returns what the client saw."""
    schema_, table, _ = TABLES[STEPS[fault.step]]
    locker = pg.connect(dsn)
    locker.execute(sql.SQL("LOCK TABLE {} IN SHARE MODE").format(sql.Identifier(schema_, table)))
    conn = pg.connect(dsn, autocommit=True)
    pid = conn.info.backend_pid
    dead = threading.Event()
    seen: dict = {}
    worker = threading.Thread(target=lambda: seen.update(outcome=signup(approach, conn, dsn, s, dead)), daemon=True)
    worker.start()
    blocked = _wait_blocked(ctl, pid, worker)
    if blocked:
        _strike(fault.kind, ctl, pid, conn, dead)
    locker.commit()
    locker.close()
    worker.join(WAIT_S)
    if not conn.closed:
        conn.close()
    return {"user_id": s.id, "fault": fault.kind, "step": STEPS[fault.step], "blocked": blocked,
            "outcome": seen.get("outcome", "hung")}


def _wait_blocked(ctl, pid: int, worker: threading.Thread) -> bool:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline and worker.is_alive():
        row = ctl.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
        if row and row[0] == "Lock":
            return True
        time.sleep(0.0005)
    return False


def _strike(kind: str, ctl, pid: int, conn, dead: threading.Event) -> None:
    if kind == "error":
        ctl.execute("SELECT pg_cancel_backend(%s)", (pid,))
    elif kind == "terminate":
        ctl.execute("SELECT pg_terminate_backend(%s)", (pid,))
    elif kind == "client_dies":
        dead.set()
        with socket.socket(fileno=os.dup(conn.pgconn.socket)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    else:
        raise ValueError(f"unknown fault {kind!r}")


def settle(ctl, dbname: str) -> None:
    """Wait until no other session in `dbname` is still working (killed clients' backends finish
    their statement, then notice the closed socket)."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        busy = ctl.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
                           "AND state IS DISTINCT FROM 'idle'", (dbname,)).fetchone()[0]
        if not busy:
            return
        time.sleep(0.005)
    raise RuntimeError(f"sessions in {dbname} still busy after {WAIT_S} s")


def census(ctl) -> dict[str, int]:
    """Signups left complete, and users per inconsistency class."""
    rows = dict(ctl.execute(sql_text("integrity/signup/census.sql")).fetchall())
    keys = ("complete", "inconsistent", "user_without_profile", "profile_without_state", "user_without_role",
            "role_without_profile", "user_without_audit", "audit_for_missing_user")
    return {k: int(rows.get(k, 0)) for k in keys}


def rows_left(ctl, ids: list[str]) -> dict[str, int]:
    """How many of its five rows each signup left (0 or 5 is consistent)."""
    return dict(ctl.execute(sql_text("integrity/signup/rows_left.sql"), {"ids": ids}).fetchall())
