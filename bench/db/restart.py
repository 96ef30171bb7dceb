"""The embedded server restarted with other settings for a while, then restarted as it was.

Settings go through ALTER SYSTEM (postgresql.auto.conf of the suite's own cluster) and are
reset in a `finally`, so the cluster comes back to its defaults whether the cells inside
succeeded or failed; after each restart the dataset locks this process holds are taken again
(a restart ends every session). Never used on a server given by DSN.
"""
from __future__ import annotations

import contextlib

from psycopg import sql

from bench.db import dataset_lock, pg


def _restart(server: str) -> None:
    pg.Embedded().restart()
    dataset_lock.retake(server)


def _alter(server: str, settings: dict[str, str], reset: bool) -> None:
    with pg.connect(server, autocommit=True) as conn:
        for name, value in settings.items():
            if reset:
                conn.execute(sql.SQL("ALTER SYSTEM RESET {}").format(sql.Identifier(name)))
            else:
                conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))


def current(server: str, names) -> dict[str, str]:
    with pg.connect(server) as conn:
        return {n: conn.execute("SELECT current_setting(%s)", (n,)).fetchone()[0] for n in names}


@contextlib.contextmanager
def with_settings(server: str, settings: dict[str, str]):
    """`with with_settings(server, {"shared_buffers": "16MB"}) as now:` -> the settings in force."""
    _alter(server, settings, reset=False)
    try:
        _restart(server)
        yield current(server, settings)
    finally:
        _alter(server, settings, reset=True)
        _restart(server)
