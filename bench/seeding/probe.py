"""Client-only streaming probe: `python -m bench.seeding.probe SCALE [TABLE] [--seconds N]`.

Plans SCALE, then renders TABLE's rows to CSV in memory (no server) for N seconds, printing the
resident set size every 5 s: shows that memory stays flat while the rows stream, at scales
this machine cannot store (xl's ~180 M audit rows).
"""
from __future__ import annotations

import argparse
import sys
import time

import psutil

from bench.config import UsageError
from bench.seeding import tables
from bench.seeding.columns import render_csv
from bench.seeding.plan import Plan


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.seeding.probe")
    ap.add_argument("scale")
    ap.add_argument("table", nargs="?", default="public.auth_audit_log")
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args(argv)
    proc, t0 = psutil.Process(), time.perf_counter()
    try:
        plan = Plan(args.scale)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    specs = {s.name: s for s in tables.specs(plan)}
    if args.table not in specs:
        print(f"error: unknown table {args.table!r}: choose one of {', '.join(specs)}", file=sys.stderr)
        return 2
    spec = specs[args.table]
    print(f"{args.scale}: planned in {time.perf_counter() - t0:.1f} s; {spec.name} {spec.rows:,} rows; "
          f"rss {proc.memory_info().rss / 1e6:.0f} MB", flush=True)
    rows, shown, peak = 0, time.perf_counter(), 0
    for batch in spec.batches():
        render_csv(batch)
        rows += batch.num_rows
        peak = max(peak, proc.memory_info().rss)
        now = time.perf_counter()
        if now - shown >= 5:
            print(f"{now - t0:5.0f} s {rows:>13,} rows  rss {proc.memory_info().rss / 1e6:.0f} MB  "
                  f"peak {peak / 1e6:.0f} MB", flush=True)
            shown = now
        if now - t0 > args.seconds:
            break
    print(f"done: {rows:,} rows, peak rss {peak / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
