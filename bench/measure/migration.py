"""One schema change, performed the way a migration runs against a live database, and what it
did to locks: the relation locks it took (read inside its own transaction before commit, or
sampled for statements that cannot run in one, such as CREATE INDEX CONCURRENTLY), and which
of the application's request kinds were seen waiting on a lock while it ran.

Optionally a `Holder` first opens a long transaction that has written to a table (as a slow
request or a forgotten transaction does), and the change may use `lock_timeout` with a retry
loop (as migration tools do): each attempt gives up after the timeout, pauses, and tries again.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import psycopg

from bench.measure.steady_load import APP_PREFIX
from bench.sql import sql_text

LOCK_NOT_AVAILABLE = "55P03"


def _text(name: str) -> str:
    return sql_text(f"evolution/{name}.sql")


@dataclass
class Outcome:
    start_ns: int
    end_ns: int
    attempts: int
    error: str | None
    locks: set = field(default_factory=set)  # (relation, mode, granted)
    blocked: list = field(default_factory=list)  # (time_ns, kind) of every sampled waiting backend
    held_s: float = 0.0  # how long the holder's transaction stayed open

    @property
    def duration_us(self) -> float:
        return (self.end_ns - self.start_ns) / 1_000


class Sampler(threading.Thread):
    """Polls, every `interval_s`, the waiting load backends and the change's relation locks."""

    def __init__(self, dsn: str, ddl_pid: int, interval_s: float):
        super().__init__(daemon=True)
        self.conn = psycopg.connect(dsn, autocommit=True)
        self.ddl_pid, self.interval_s = ddl_pid, interval_s
        self.blocked: list = []
        self.locks: set = set()
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                now = time.perf_counter_ns()
                for app, _ in self.conn.execute(_text("blocked")).fetchall():
                    self.blocked.append((now, app.removeprefix(APP_PREFIX)))
                self.locks |= set(self.conn.execute(_text("relation_locks"), {"pid": self.ddl_pid}).fetchall())
                self.stop.wait(self.interval_s)
        finally:
            self.conn.close()


class Holder(threading.Thread):
    """A transaction that runs `statement` (a write to a hub table) and stays open `hold_s`."""

    def __init__(self, dsn: str, statement: str, params: dict, hold_s: float):
        super().__init__(daemon=True)
        self.dsn, self.statement, self.params, self.hold_s = dsn, statement, params, hold_s
        self.holding = threading.Event()
        self.held_s = 0.0

    def run(self) -> None:
        with psycopg.connect(self.dsn) as conn:
            conn.execute(self.statement, self.params)
            t0 = time.perf_counter()
            self.holding.set()
            time.sleep(self.hold_s)
            conn.commit()
            self.held_s = time.perf_counter() - t0


def perform(dsn: str, statement: str, *, transactional: bool = True, lock_timeout_ms: int = 0,
            retry_pause_s: float = 0.2, max_attempts: int = 100, holder: Holder | None = None,
            sample_s: float = 0.01) -> Outcome:
    """Run `statement` once (or until it gets its locks, with a lock_timeout); see the module doc."""
    with psycopg.connect(dsn, autocommit=True) as ddl:
        ddl.execute(_text("lock_timeout"), {"value": f"{lock_timeout_ms}ms"})
        sampler = Sampler(dsn, ddl.info.backend_pid, sample_s)
        sampler.start()
        if holder is not None:
            holder.start()
            holder.holding.wait(30)
        attempts, error, locks = 0, None, set()
        start = time.perf_counter_ns()
        while True:
            attempts += 1
            try:
                if transactional:
                    with ddl.transaction():
                        ddl.execute(statement)
                        locks = set(ddl.execute(_text("relation_locks"), {"pid": ddl.info.backend_pid}).fetchall())
                else:
                    ddl.execute(statement)
                error = None
                break
            except psycopg.Error as exc:
                error = exc.sqlstate or type(exc).__name__
                if exc.sqlstate != LOCK_NOT_AVAILABLE or not lock_timeout_ms or attempts >= max_attempts:
                    break
                time.sleep(retry_pause_s)
        end = time.perf_counter_ns()
        sampler.stop.set()
        sampler.join()
        if holder is not None:
            holder.join()
    return Outcome(start, end, attempts, error, locks | sampler.locks, sampler.blocked,
                   holder.held_s if holder is not None else 0.0)
