"""One writer at a time: a lock per dataset, taken by seed and run for as long as they use it.

The lock is a session-level advisory lock on the server (it works for external servers and
across machines, and it ends with its connection, so kill -9 never leaves it behind). The
holding connection's application_name names the process (`bench[pid] verb args`), which is
what the one-line refusal shows. A process that holds a lock may take it again (nested seed
inside a run).
"""
from __future__ import annotations

import contextlib
import os
import sys

import psycopg

from bench.config import UsageError
from bench.db import pg
from bench.sql import sql_text

SPACE = 0x62656E63  # advisory lock key space of the suite ("benc")
_held: dict[tuple, list] = {}  # (server, dataset) -> [connection, depth]


def holder_name() -> str:
    """This process as other processes' refusals name it (fits application_name's 63 bytes)."""
    args = " ".join(pg.redact_argv(sys.argv[1:]))
    return f"bench[{os.getpid()}] {args}"[:63]


def _key(server: str, name: str) -> tuple:
    params = psycopg.conninfo.conninfo_to_dict(server)
    return params.get("host"), params.get("port"), name


@contextlib.contextmanager
def hold(server: str, name: str):
    """Hold dataset `name`'s lock on `server`, or refuse in one line naming who holds it."""
    key = _key(server, name)
    if key in _held:
        _held[key][1] += 1
        try:
            yield
        finally:
            _held[key][1] -= 1
        return
    conn = pg.connect(server, autocommit=True, application_name=holder_name())
    try:
        if not conn.execute(sql_text("meta/lock_try.sql"), {"space": SPACE, "name": name}).fetchone()[0]:
            row = conn.execute(sql_text("meta/lock_holder.sql"), {"space": SPACE, "name": name}).fetchone()
            who = "another session" if row is None else row[0] + (f" from {row[1]}" if row[1] else "")
            raise UsageError(f"dataset {name} is in use by {who}; wait for it to finish or stop it, then retry")
        _held[key] = [conn, 1]
        try:
            yield
        finally:
            now = _held.pop(key)[0]  # retake() may have replaced the connection after a restart
            if now is not conn:
                now.close()
    finally:
        conn.close()


def retake(server: str) -> None:
    """After a restart of `server` (which ended every session): take this process's locks on it
    again, or refuse in one line if another process took one in the gap."""
    for key, held in list(_held.items()):
        if key[:2] != _key(server, "")[:2]:
            continue
        held[0].close()
        conn = pg.connect(server, autocommit=True, application_name=holder_name())
        if not conn.execute(sql_text("meta/lock_try.sql"), {"space": SPACE, "name": key[2]}).fetchone()[0]:
            conn.close()
            raise UsageError(f"dataset {key[2]} was taken by another process while the server restarted; "
                             "rerun when it has finished")
        held[0] = conn
