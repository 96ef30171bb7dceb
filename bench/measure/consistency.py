"""Snapshot consistency of a bundle read while a writer changes several spokes of a user in one
transaction: the writer, the cross-table invariant per bundle, and the consistent read paths.

- account: the writer replaces a user's bench role in `user_roles` and, in the same transaction,
  the matching `bench_grant` entry in `auth_audit_log`. Invariant: the bench roles a read sees
  are exactly the roles its bench_grant entries name.
- chat: the writer creates a chat session and points `user_state.current_session_id` at it,
  deleting the previous bench session. Invariant: the pointer names one of the sessions read.

A read that takes its parts from different snapshots (one statement each, READ COMMITTED) can
see one side of a write and not the other: a torn read. The consistent alternatives read every
part under one snapshot: one REPEATABLE READ transaction (sequential or pipelined), parallel
connections importing one exported snapshot (pg_export_snapshot / SET TRANSACTION SNAPSHOT), or
one statement (the joins).
"""
from __future__ import annotations

import contextlib
import threading
import time

import psycopg
from psycopg import sql

from bench.db.pg import connect
from bench.measure import parallel, strategies
from bench.measure.bundles import Bundle
from bench.measure.wire import Wire, lean
from bench.sql import sql_text

BEGIN_RR = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
BENCH_PREFIX = "bench:"


def _dicts(part) -> list[dict]:
    cols, rows = part
    return [r if isinstance(r, dict) else dict(zip(cols, r)) for r in rows]


def account_ok(answer) -> bool:
    roles = {r["role"] for r in _dicts(answer["user_roles"]) if str(r["role"]).startswith(BENCH_PREFIX)}
    granted = {(r["metadata"] or {}).get("role") for r in _dicts(answer["auth_audit_log"])
               if r["action"] == "bench_grant"}
    return roles == granted


def chat_ok(answer) -> bool:
    state = _dicts(answer["user_state"])
    pointer = state[0]["current_session_id"] if state else None
    sessions = {str(r["id"]) for r in _dicts(answer["chat_sessions"])}
    bench = {str(r["id"]) for r in _dicts(answer["chat_sessions"]) if str(r["adk_session_id"]).startswith(BENCH_PREFIX)}
    return not bench or str(pointer) in sessions  # before the first write: the seeded pointer, unchecked


INVARIANTS = {"account": account_ok, "chat": chat_ok}


def star_sequential_rr(src, bundle: Bundle, user_id):
    """The memo's three queries, one after another, inside one REPEATABLE READ transaction."""
    src.wire.execute(BEGIN_RR, [])
    try:
        return strategies.star_sequential(src, bundle, user_id)
    finally:
        src.wire.execute("COMMIT", [])


def star_pipelined_rr(src, bundle: Bundle, user_id):
    """BEGIN REPEATABLE READ, the three queries and COMMIT in one pipelined round trip."""
    uid = [str(user_id).encode()]
    results = src.wire.batch([(BEGIN_RR, []), *[(q, uid) for q in bundle.single.values()], ("COMMIT", [])])
    return strategies._gather({part: strategies._decode(src, src.wire, results[k + 1])
                               for k, part in enumerate(bundle.single)})


def star_parallel_snapshot(src, bundle: Bundle, user_id):
    """The three queries in parallel on pooled connections, all importing the snapshot a leader
    transaction exported: one more connection and one more round trip than star_parallel."""
    lead = src.wire
    snapshot = lead.batch([(BEGIN_RR, []), ("SELECT pg_export_snapshot()", [])])[1].get_value(0, 0).decode()
    try:
        set_snapshot = sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)).as_string(lead.conn)
        uid = [str(user_id).encode()]
        jobs = {part: [[(BEGIN_RR, []), (set_snapshot, None), (q, uid), ("COMMIT", [])]] for part, q in bundle.single.items()}
        return strategies._gather(parallel.fan_out(src, jobs, lambda part, wire, res: strategies._decode(src, wire, res[2])))
    finally:
        lead.execute("COMMIT", [])


READERS = {  # (strategy, isolation) -> read function
    ("star_sequential", "read committed"): strategies.star_sequential,
    ("star_parallel", "read committed"): strategies.star_parallel,
    ("star_pipelined", "read committed"): strategies.star_pipelined,
    ("star_sequential", "repeatable read"): star_sequential_rr,
    ("star_pipelined", "repeatable read"): star_pipelined_rr,
    ("star_parallel", "exported snapshot"): star_parallel_snapshot,
    ("join_flat", "one statement"): strategies.join_flat,
    ("join_json", "one statement"): strategies.join_json,
}


class Writer:
    """Writes at `rate_per_s` (round robin over `users`) on its own connection, in a thread."""

    def __init__(self, dsn: str, bundle: str, users: list[str], rate_per_s: float):
        self.query = sql_text(f"queries/consistency/write_{bundle}.sql")
        self.users, self.rate = users, rate_per_s
        self.conn = psycopg.connect(dsn, autocommit=True)
        lean(self.conn)
        self.wire = Wire(self.conn)
        self.writes = 0
        self.tag = f"{BENCH_PREFIX}{time.time_ns()}:"  # unique: adk_session_id is a unique key
        self.stop = threading.Event()

    def write(self) -> None:
        user = self.users[self.writes % len(self.users)]
        self.wire.execute(self.query, [user.encode(), f"{self.tag}{self.writes}".encode()])
        self.writes += 1

    def _loop(self) -> None:
        period = 1.0 / self.rate
        next_at = time.perf_counter()
        while not self.stop.is_set():
            self.write()
            next_at += period
            self.stop.wait(max(0.0, next_at - time.perf_counter()))

    @contextlib.contextmanager
    def running(self):
        for _ in self.users:  # every user written once before reading: the invariant is live
            self.write()
        thread = threading.Thread(target=self._loop, daemon=True) if self.rate > 0 else None
        if thread:
            thread.start()
        started, first = time.perf_counter(), self.writes
        try:
            yield self
        finally:
            self.stop.set()
            if thread:
                thread.join()
            self.achieved_per_s = (self.writes - first) / (time.perf_counter() - started)
            self.conn.close()


def writer_users(dsn: str, seed: int, n: int) -> list[dict]:
    with connect(dsn) as conn:
        cur = conn.execute(sql_text("queries/consistency/writer_users.sql"), {"seed": str(seed), "n": n})
        return [dict(zip([c.name for c in cur.description], r)) for r in cur]


@contextlib.contextmanager
def dedicated(dsn: str, seed: int, n: int = 4):
    """The writer's users, and the dataset put back afterwards: bench rows gone, session
    pointers and identity sequences as they were, dead rows vacuumed."""
    users = writer_users(dsn, seed, n)
    with connect(dsn) as conn:
        sequences = [dict(zip(("seq", "last_value", "start_value"), r))
                     for r in conn.execute(sql_text("queries/consistency/sequences.sql"))]
    try:
        yield [u["id"] for u in users]
    finally:
        with connect(dsn, autocommit=True) as conn:
            for u in users:
                conn.execute(sql_text("queries/consistency/restore_account.sql"), u)
                conn.execute(sql_text("queries/consistency/restore_chat.sql"), u)
            for s in sequences:
                conn.execute(sql_text("queries/consistency/restore_sequence.sql"), s)
            conn.execute("VACUUM user_roles, auth_audit_log, chat_sessions, user_state")
