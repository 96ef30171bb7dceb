"""Where a bundle's pages came from: shared-buffer hits and reads per statement, from
pg_stat_statements, and from EXPLAIN (ANALYZE, BUFFERS) of one statement.

Counts are for this database since the last reset, over every statement except the control
statements (evictions, checkpoints, these reads, EXPLAIN): only the cell being measured may run
in the database between a reset and a read. (Matching the bundle's own texts does not work:
pg_stat_statements stores a normalised text, constants replaced, or not, depending on history.)
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import psycopg

from bench.sql import sql_text


@dataclass
class Blocks:
    calls: int
    shared_hit: int
    shared_read: int
    read_ms: float  # time spent reading blocks (0 unless track_io_timing is on)


def reset(conn: psycopg.Connection) -> None:
    conn.execute(sql_text("queries/read_paths/reset_statements.sql"))


CONTROL = ("pg_buffercache", "pg_stat_statements", "explain", "checkpoint", "set_config", "pg_relation_filepath",
           "create extension", "data_directory", "pg_locks")


def measured(query: str) -> bool:
    text = query.lower()
    return not any(word in text for word in CONTROL)


def read(conn: psycopg.Connection) -> Blocks:
    """Totals over the statements of pg_stat_statements that are not control statements."""
    rows = conn.execute(sql_text("caching/statement_blocks.sql")).fetchall()
    mine = [r for r in rows if measured(r[0])]
    return Blocks(sum(r[1] for r in mine), sum(r[2] for r in mine), sum(r[3] for r in mine),
                  float(sum(r[4] for r in mine)))


def explain(conn: psycopg.Connection, statement: str, user_id) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of `statement` ($1 = user_id): the plan's own block counts."""
    text = sql_text("caching/explain_join.sql") + "\n" + statement
    res = conn.pgconn.exec_params(text.encode(), [str(user_id).encode()])
    if res.status != psycopg.pq.ExecStatus.TUPLES_OK:
        raise psycopg.DatabaseError(res.error_message.decode(errors="replace"))
    top = json.loads(res.get_value(0, 0))[0]
    plan = top["Plan"]
    return {"shared_hit": plan.get("Shared Hit Blocks", 0), "shared_read": plan.get("Shared Read Blocks", 0),
            "read_ms": plan.get("Shared I/O Read Time", plan.get("I/O Read Time", 0.0)),
            "execution_ms": top.get("Execution Time")}
