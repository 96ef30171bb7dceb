"""Scratch copies of a seeded dataset, for experiments that change the schema under load: the
copy is made with the dataset as its template, so the seeded dataset itself is never changed."""
from __future__ import annotations

import contextlib
import time

import psycopg
from psycopg import sql

from bench.db import dataset_lock, pg
from bench.sql import sql_text

TEMPLATE_TRIES = 10


def _statement(file: str, **identifiers) -> sql.Composed:
    return sql.SQL(sql_text(f"evolution/{file}.sql")).format(**{k: sql.Identifier(v) for k, v in identifiers.items()})


@contextlib.contextmanager
def locked(server: str, name: str):
    """One command at a time per scratch database (the advisory lock a dataset has): a second run
    refuses in one line naming the process that holds it, instead of dropping its database."""
    with dataset_lock.hold(server, name):
        yield


def copy_of(server: str, template_dsn: str, name: str) -> str:
    """(Re)create `name` as a copy of the database `template_dsn` points at (nobody may be connected
    to it meanwhile); returns its DSN. A previous `name` is dropped only when it carries the
    suite's marker (the copy inherits the template's)."""
    template = psycopg.conninfo.conninfo_to_dict(template_dsn)["dbname"]
    pg.require_marker(server, name)
    with pg.connect(server, autocommit=True) as conn:
        conn.execute(_statement("drop_database", name=name))
        for attempt in range(TEMPLATE_TRIES):
            try:
                conn.execute(_statement("copy_database", name=name, template=template))
                break
            except psycopg.errors.ObjectInUse:  # a connection of an earlier step is still closing
                if attempt == TEMPLATE_TRIES - 1:
                    raise
                time.sleep(0.5)
    return pg.with_dbname(server, name)


def drop(server: str, name: str) -> None:
    pg.require_marker(server, name)
    with pg.connect(server, autocommit=True) as conn:
        conn.execute(_statement("drop_database", name=name))
