"""The dataset itself: row counts and sizes, fan-out distributions, on-disk scatter, the schema
graph of every variant, and the planned row counts at every scale."""
from __future__ import annotations

import pandas as pd
from psycopg import sql

from bench import config
from bench.db import pg, schema, scratch
from bench.experiments.common import LARGEST, Step
from bench.seeding import tables
from bench.seeding.plan import Plan
from bench.sql import sql_text

NAME = "dataset"
SPOKES = ("public.user_roles", "public.auth_audit_log", "public.chat_sessions")
SCATTER_USERS = 400


def _query(name: str, **identifiers) -> sql.Composed:
    text = sql_text(f"queries/dataset/{name}.sql")
    return sql.SQL(text).format(**{k: sql.Identifier(*v.split(".")) for k, v in identifiers.items()})


def _rows(conn, query, params=None) -> list[dict]:
    cur = conn.execute(query, params)
    cols = [d.name for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def run(ctx) -> pd.DataFrame:
    req = ctx.req
    base = {"experiment": NAME, "strategy": req.variant, "scale": req.scale}
    out: list[dict] = []
    with pg.connect(ctx.dsn, autocommit=True) as conn:
        for r in _rows(conn, _query("sizes")):
            out.append({**base, "metric": "table_size", "table": r["table"], "rows": ctx.manifest["rows"].get(r["table"]),
                        "heap_bytes": r["heap_bytes"], "index_bytes": r["index_bytes"]})
        for spoke in SPOKES:
            for r in _rows(conn, _query("fanout", spoke=spoke)):
                out.append({**base, "metric": "fanout", "table": spoke, "fanout": r["fanout"], "users": r["users"]})
            params = {"seed": str(req.seed), "users": SCATTER_USERS, "spoke": spoke}
            for r in _rows(conn, _query("scatter", spoke=spoke), params):
                out.append({**base, "metric": "scatter", "table": spoke, "rows": r["rows"], "pages": r["pages"],
                            "pages_if_clustered": r["pages_if_clustered"]})
    out += _foreign_keys(ctx, base)
    return out


def planned(ctx) -> list[dict]:
    """Rows per table of every named scale as planned (no seeding needed), once per run."""
    req = ctx.req
    base = {"experiment": NAME, "strategy": req.variant, "metric": "planned_rows"}
    scales = config.SCALE_ORDER[: config.SCALE_ORDER.index("l") + 1]
    return [{**base, "scale": scale, "table": table, "rows": rows}
            for scale in scales[: 2 if ctx.quick else None]
            for table, rows in tables.row_counts(Plan(scale, req.seed, req.locale)).items()]


def _foreign_keys(ctx, base: dict) -> list[dict]:
    """Apply each variant to an empty scratch database of the suite's and read its FK graph; each
    scratch is locked while it is used (a second run refuses, naming this one)."""
    out = []
    for variant in schema.VARIANTS:
        name = f"bench_catalog_{variant}"
        with scratch.locked(ctx.server, name):
            dsn = pg.create_database(ctx.server, name)
            schema.apply(dsn, variant)
            with pg.connect(dsn, autocommit=True) as conn:
                for r in _rows(conn, _query("foreign_keys")):
                    out.append({**base, "strategy": variant, "metric": "foreign_key", "table": r["table"],
                                "references": r["references"], "column": r["column"],
                                "on_delete_cascade": r["on_delete_cascade"]})
    return out


STEPS = (Step(run), Step(planned, at=LARGEST))
