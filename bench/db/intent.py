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
import json
import os
import signal
import sys
from pathlib import Path

from psycopg import sql

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


@contextlib.contextmanager
def indexed(dsn: str, name: str, indexes: str, before: tuple[str, ...] = ()):
    """The dataset with the user_id indexes (and `before` files) while the block runs, then as it
    was seeded (`variants/<indexes>.sql`); recorded first, so a kill is restored by the next command.
    The bundles' SQL functions (schema/rpc.sql, idempotent) are made too: an experiment run alone on
    a fresh dataset has every strategy it may time. `BENCH_KILL_AT=<name>:indexed` kills the process
    with the indexes in place."""
    with changing(dsn, name, (f"variants/{indexes}.sql",)):
        schema.run_files(dsn, (*before, "schema/rpc.sql", "variants/indexed.sql"))
        checkpoint(f"{name}:indexed")
        yield


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


# -- server-level changes: settings of the embedded cluster (ALTER SYSTEM + restart) ------------------
SERVER_MARKER = "bench_intent_settings.json"  # in the cluster's data directory, beside postgresql.auto.conf


def _marker() -> Path:
    return pg.Embedded().pgdata / SERVER_MARKER


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return "bench" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return True


@contextlib.contextmanager
def server_settings(server: str, settings: dict[str, str]):
    """`bench.db.restart.with_settings` with its intent on disk first: a marker file in the data
    directory naming the settings, removed only after they are reset and the server restarted.
    A marker left by a killed process is undone by the next `db start`, seed or run (`recover_server`)."""
    from bench.db import restart

    marker = _marker()
    tmp = marker.with_suffix(".tmp")
    tmp.write_text(json.dumps({"settings": sorted(settings), "pid": os.getpid(),
                               "command": " ".join(pg.redact_argv(sys.argv))[:500]}))
    os.replace(tmp, marker)
    try:
        with restart.with_settings(server, settings) as now:
            checkpoint("server:settings")
            yield now
    finally:
        marker.unlink(missing_ok=True)


def recover_server(server: str) -> list[str]:
    """Reset the settings a killed process left on the embedded cluster (ALTER SYSTEM RESET, then a
    restart); the setting names reset. Nothing on a server given by DSN (the suite never alters one)
    or while the process that wrote the marker still runs."""
    marker = _marker()
    if not pg.is_embedded(server) or not marker.exists():
        return []
    try:
        left = json.loads(marker.read_text())
    except (OSError, ValueError):
        left = {"settings": ["shared_buffers"], "pid": -1}
    if _alive(int(left.get("pid", -1))):
        return []
    names = [n for n in left.get("settings", []) if isinstance(n, str)]
    with pg.connect(server, autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL("ALTER SYSTEM RESET {}").format(sql.Identifier(name)))
    pg.Embedded().restart()
    marker.unlink(missing_ok=True)
    return names
