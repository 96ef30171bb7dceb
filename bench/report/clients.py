"""Benchmark figures of issue 14, printed from a run (read side: the run folder only).

    python -m bench.report.clients [RUN_DIR]

1. The harness's (psycopg) and node-postgres's per-request latency over pgbench's for the same
   statements, per strategy, at RTT 0 (and 2 ms): ratio of per-repetition medians, paired.
2. join_flat / star_sequential and join_json / star_parallel per client at RTT 0 and 2 ms, each
   with its interval and call (bench.results.stats).
"""
from __future__ import annotations

import sys

import pandas as pd

from bench.report import calls
from bench.results import stats
from bench.results import store as results


def fidelity(req: pd.DataFrame) -> str:
    f = calls.clients_against(req)
    lines = ["per-request latency over pgbench's (same statements, users and order; geometric mean of "
             "per-repetition median ratios [95 % paired bootstrap])"]
    for r in f.itertuples():
        lines.append(f"  RTT {r.rtt_ms:g} ms  {r.strategy:<16} {r.client:<14} {r.ratio:5.2f}x [{r.lo:.2f}-{r.hi:.2f}]  "
                     f"p50 {r.client_p50_us / 1000:.3f} ms "
                     f"vs pgbench {r.reference_p50_us / 1000:.3f} ms")
    return "\n".join(lines)


def headline(req: pd.DataFrame) -> str:
    lines = [f"headline ratios per client (call: beyond {stats.MARGIN:.0%} with the interval clear of 1; equivalent inside it; else undecided)"]
    for a, b in (("join_flat", "star_sequential"), ("join_json", "star_parallel")):
        c = calls.calls(req, a, (b,))
        for r in c.itertuples():
            lines.append(f"  {a} / {b}  {r.client:<14} RTT {r.rtt_ms:g} ms  {r.ratio:5.2f}x [{r.lo:.2f}-{r.hi:.2f}] "
                         f"{r.call} ({r.reps} reps)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    run_dir = argv[0] if argv else results.latest_run()
    if run_dir is None:
        print("no run found: pass a run folder (python -m bench.report.clients data/results/<run>)", file=sys.stderr)
        return 2
    run = results.load(run_dir)
    if not run.has("read_paths"):
        print(f"{run_dir} has no read_paths table: run `python -m bench run read_paths` first", file=sys.stderr)
        return 2
    table = run.table("read_paths")
    print(f"run {run.id}; clients: {run.meta.get('read_path_clients', 'psycopg only')}")
    for scale in sorted(table.scale.dropna().unique()):
        req = calls.requests(table, scale=scale)
        req = req[req.rtt_ms.isin(sorted(req[req.client != "psycopg"].rtt_ms.unique()))]
        print(f"\nscale {scale}, 'account' bundle, {req.rep.nunique()} repetitions, "
              f"{int(req.groupby(['client', 'strategy', 'rtt_ms', 'rep']).size().median())} requests per block")
        print(fidelity(req))
        print(headline(req))
    return 0


if __name__ == "__main__":
    sys.exit(main())
