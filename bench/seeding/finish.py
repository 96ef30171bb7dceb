"""After the bulk load: keys, foreign keys (validated), indexes, RLS, the trigger, VACUUM ANALYZE.

The per-table work runs in SESSIONS parallel sessions, in three phases whose order the
dependencies fix: (1) primary and unique keys, (2) foreign keys added NOT VALID and validated,
plus the index option's indexes, one table per task (a foreign key needs the key it references,
built in phase 1), (3) VACUUM (ANALYZE) of every loaded table, which sets hint bits and the
visibility map that index-only scans and the reads depend on. RLS, grants and the trigger are
short and run in between, in one session. Every statement is the same as in the .sql files,
which stay the one source: they are split into statements and grouped by the table they name.
"""
from __future__ import annotations

import re
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from psycopg import sql

from bench.db import pg, schema
from bench.sql import sql_text

SESSIONS = 2  # this machine's cores; a bigger server would take more
TABLE = re.compile(r"\b((?:public|auth)\.\w+)")
NOT_VALID = ("SELECT conname FROM pg_constraint "
             "WHERE conrelid = %s::regclass AND contype = 'f' AND NOT convalidated ORDER BY conname")


def statements(name: str) -> list[str]:
    """The statements of one .sql file (top-level `;` at a line end; these files hold no bodies)."""
    text = "\n".join(line for line in sql_text(name).splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*\n", text + "\n") if s.strip()]


def by_table(files) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for name in files:
        for stmt in statements(name):
            m = TABLE.search(stmt)
            groups[m.group(1) if m else ""].append(stmt)
    return groups


def _run(dsn: str, stmts: list[str], validate: str | None = None) -> None:
    with pg.connect(dsn, autocommit=True) as conn:
        for stmt in stmts:
            conn.execute(stmt)
        if validate:
            for (con,) in conn.execute(NOT_VALID, (validate,)).fetchall():
                conn.execute(sql.SQL("ALTER TABLE {} VALIDATE CONSTRAINT {}").format(
                    sql.Identifier(*validate.split(".")), sql.Identifier(con)))


def _parallel(dsn: str, tasks: list[tuple[list[str], str | None]]) -> None:
    with ThreadPoolExecutor(SESSIONS) as pool:
        for future in [pool.submit(_run, dsn, stmts, validate) for stmts, validate in tasks]:
            future.result()


def _vacuum(dsn: str, table: str) -> None:
    with pg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(*table.split("."))))


def finish(dsn: str, variant: str, indexes: str, loaded: dict[str, int], phases: dict) -> None:
    """Everything after the load, timed per phase into `phases` (seconds)."""
    keys_files = ("schema/keys.sql",)
    fk_files = (*schema.VARIANT_KEYS[variant], f"variants/{indexes}.sql")
    rest = [f for f in schema.after_load(variant, indexes) if f not in keys_files + fk_files]

    def timed(label, fn):
        t0 = time.perf_counter()
        fn()
        phases[label] = round(phases.get(label, 0.0) + time.perf_counter() - t0, 3)

    def order(groups):  # biggest tables first, so the sessions end together
        return sorted(groups.items(), key=lambda kv: -loaded.get(kv[0], -1))

    timed("keys", lambda: _parallel(dsn, [(stmts, None) for _, stmts in order(by_table(keys_files))]))
    fk_groups = by_table(fk_files)
    timed("foreign_keys", lambda: _parallel(dsn, [(stmts, t if t in loaded else None) for t, stmts in order(fk_groups)]))
    timed("policies", lambda: schema.run_files(dsn, rest))  # validate.sql there is the safety net: a no-op now
    timed("vacuum_analyze", lambda: _parallel_vacuum(dsn, sorted(loaded, key=lambda t: -loaded[t])))


def _parallel_vacuum(dsn: str, tables: list[str]) -> None:
    with ThreadPoolExecutor(SESSIONS) as pool:
        for future in [pool.submit(_vacuum, dsn, t) for t in tables]:
            future.result()
