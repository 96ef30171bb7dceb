"""Seeding benchmark: rows/s per table, against a raw COPY of the same rows on the same server.

The seed's rate includes generating the rows (pools, numpy, pyarrow, CSV) overlapped with
COPY. The raw rate COPYs pre-rendered CSV of the same rows (the table's first RAW_ROWS rows)
into an empty copy of the table as it stood during the load (same columns, defaults and, for
auth.users, the same indexes), in the same run. ratio = seed rows/s / raw rows/s.
"""
from __future__ import annotations

import itertools
import time

from psycopg import sql

from bench.db import pg
from bench.db.schema import ORPHANS_ALLOWED
from bench.seeding import tables
from bench.seeding.columns import BATCH_ROWS, render_csv
from bench.seeding.plan import Plan
from bench.seeding.seed import Request, seed

RAW_ROWS = 1_000_000
PROBE = sql.Identifier("bench_meta", "copy_probe")


def _raw_copy(dsn: str, spec) -> dict:
    batches = itertools.islice(spec.batches(), max(1, RAW_ROWS // BATCH_ROWS))
    chunks = [render_csv(b) for b in batches]
    rows = sum(c.count(b"\n") for c in chunks)  # a line per row: no generated value holds a newline
    target = sql.Identifier(*spec.name.split("."))
    like = "INCLUDING ALL" if spec.name == "auth.users" else "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED"
    with pg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(PROBE))
        conn.execute(sql.SQL("CREATE TABLE {} (LIKE {} " + like + ")").format(PROBE, target))
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
            PROBE, sql.SQL(", ").join(map(sql.Identifier, spec.columns)))
        start = time.perf_counter()
        with conn.cursor() as cur, cur.copy(copy_sql) as copy:
            for chunk in chunks:
                copy.write(chunk)
        seconds = time.perf_counter() - start
        conn.execute(sql.SQL("DROP TABLE {}").format(PROBE))
    return {"raw_rows": rows, "raw_seconds": round(seconds, 3), "raw_rows_per_s": round(rows / seconds)}


def benchmark(server: str, req: Request, force: bool = False, progress: bool = True) -> dict:
    result = seed(server, req, force=force, fresh=True, progress=progress)
    plan = Plan(req.scale, req.seed, req.locale, req.orphans, ORPHANS_ALLOWED[req.variant])
    rows = []
    for spec, load in zip(tables.specs(plan), result.load):
        raw = _raw_copy(result.dsn, spec)
        rows.append({**load, **raw, "ratio": round(load["rows_per_s"] / raw["raw_rows_per_s"], 2)})
    total_rows = sum(r["rows"] for r in rows)
    return {"scale": req.scale, "variant": req.variant, "tables": rows, "total_rows": total_rows,
            "load_seconds": round(sum(r["seconds"] for r in rows), 1),
            "seed_seconds": result.manifest["seconds"], "phases_s": result.manifest["phases_s"]}


def format_report(report: dict) -> str:
    head = f"{'table':<26}{'rows':>12}{'seed rows/s':>14}{'raw COPY rows/s':>17}{'ratio':>7}"
    lines = [f"seeding benchmark: scale {report['scale']}, variant {report['variant']} "
             f"(raw COPY over each table's first {RAW_ROWS:,} rows, same server, same run)", head]
    for r in report["tables"]:
        lines.append(f"{r['table']:<26}{r['rows']:>12,}{r['rows_per_s']:>14,}{r['raw_rows_per_s']:>17,}{r['ratio']:>7.2f}")
    load_rate = report["total_rows"] / report["load_seconds"]
    # raw time for all rows, each table at its own raw rate (the samples weight tables differently)
    raw_rate = report["total_rows"] / sum(r["rows"] / r["raw_rows_per_s"] for r in report["tables"])
    lines.append(f"{'all tables':<26}{report['total_rows']:>12,}{round(load_rate):>14,}{round(raw_rate):>17,}"
                 f"{load_rate / raw_rate:>7.2f}")
    phases = ", ".join(f"{k.split('/')[-1].removesuffix('.sql')} {v} s" for k, v in report["phases_s"].items() if v >= 0.05)
    lines.append(f"whole seed {report['seed_seconds']} s (load {report['load_seconds']} s; after load: {phases})")
    raw_all = report["total_rows"] / raw_rate
    lines.append(f"end to end: raw COPY of all {report['total_rows']:,} rows {raw_all:.1f} s (at each table's raw rate) "
                 f"against the whole seed {report['seed_seconds']} s: {raw_all / report['seed_seconds']:.2f}x")
    return "\n".join(lines)
