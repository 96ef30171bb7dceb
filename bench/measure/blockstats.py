"""Where a bundle's pages came from: shared-buffer hits and reads per statement, from
pg_stat_statements, and from EXPLAIN (ANALYZE, BUFFERS) of one statement.

Counts are for this database since the last reset; only the statements given are counted, so
the control statements (evictions, checkpoints, these reads) never inflate them.
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


def _same(recorded: str, statement: str) -> bool:
    """pg_stat_statements keeps a statement's text from its first token: leading comments go."""
    recorded, statement = " ".join(recorded.split()), " ".join(statement.split())
    return bool(recorded) and statement.endswith(recorded) and not recorded.startswith("EXPLAIN")


def read(conn: psycopg.Connection, statements) -> Blocks:
    """Totals over the rows of pg_stat_statements whose text is one of `statements`."""
    rows = conn.execute(sql_text("caching/statement_blocks.sql")).fetchall()
    mine = [r for r in rows if any(_same(r[0], s) for s in statements)]
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
