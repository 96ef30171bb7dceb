"""In-place changes to a dataset, recorded before they are made.

An experiment that changes a seeded dataset in place (RLS turned off, policies dropped, user_id
indexes added to an as-written dataset) does it inside `changing(dsn, name, restore)`: a row in
`bench_meta.intent` is committed before the first change and deleted only after the `restore`
files have put the dataset back. A row left by a run that was killed (kill -9, a server crash)
is found by the next seed or run, which restores the dataset from the same files before
anything is measured (`recover`); the runner writes no results folder while a row is left
(`require_clean`). `checkpoint(name)` lets a test kill the process at a named moment.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys

from bench.db import pg, schema
from bench.sql import sql_text

KILL_ENV = "BENCH_KILL_AT"  # tests: SIGKILL this process at the checkpoint of that name


def _ensure(conn) -> None:
    conn.execute(sql_text("meta/intent.sql"))


def record(dsn: str, name: str, restore: tuple[str, ...]) -> None:
    """Commit the intent row for `name` (before any change is made)."""
    with pg.connect(dsn, autocommit=True) as conn:
        _ensure(conn)
        conn.execute("INSERT INTO bench_meta.intent (name, restore, pid, command) VALUES (%s, %s, %s, %s) "
                     "ON CONFLICT (name) DO UPDATE SET restore = excluded.restore, pid = excluded.pid, "
                     "command = excluded.command, started_at = now()",
                     (name, list(restore), os.getpid(), " ".join(pg.redact_argv(sys.argv))[:500]))


def clear(dsn: str, name: str) -> None:
    with pg.connect(dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM bench_meta.intent WHERE name = %s", (name,))


def pending(dsn: str) -> list[dict]:
    """Intent rows left in the dataset: changes made in place and not (yet) restored."""
    with pg.connect(dsn, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('bench_meta.intent')").fetchone()[0] is None:
            return []
        cur = conn.execute("SELECT name, restore, pid, command, started_at FROM bench_meta.intent ORDER BY started_at")
        return [dict(zip([c.name for c in cur.description], row)) for row in cur]


@contextlib.contextmanager
def changing(dsn: str, name: str, restore: tuple[str, ...]):
    """Record, let the caller change the dataset, then restore it from `restore` and clear the
    record. An exception or Ctrl-C restores too; kill -9 leaves the record for `recover`."""
    record(dsn, name, restore)
    try:
        yield
    finally:
        schema.run_files(dsn, restore)
        clear(dsn, name)


def recover(dsn: str) -> list[str]:
    """Restore every change left recorded in the dataset (idempotent files); the names restored."""
    done = []
    for row in pending(dsn):
        schema.run_files(dsn, tuple(row["restore"]))
        clear(dsn, row["name"])
        done.append(row["name"])
    return done


def require_clean(dsn: str, database: str) -> None:
    """Refuse to go on from a dataset that still carries an unrestored in-place change."""
    left = pending(dsn)
    if left:
        row = left[0]
        raise RuntimeError(f"dataset {database} still carries the in-place change {row['name']!r} "
                           f"(pid {row['pid']}: {row['command']}); no results written")


def checkpoint(name: str) -> None:
    """A named moment inside an in-place change; `BENCH_KILL_AT=name` SIGKILLs the process here."""
    if os.environ.get(KILL_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
