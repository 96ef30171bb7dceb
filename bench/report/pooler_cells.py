"""Cells of the pooler experiment (direct against PgBouncer 1.18, transaction mode, pool 15).

- `read_ratios`: per RTT x strategy, three paired ratios of per-repetition median latency
  (the same users in the same order in every repetition): the pooler against direct named
  (what a Supabase client sees when it switches), direct unnamed against direct named (the
  loss of prepared statements alone), and the pooler against direct unnamed (the pooler's own
  cost, the hop and the multiplexing).
- `load_cells`: one row per load cell (client x strategy x clients x path x prepared x budget
  x protocol), percentiles merged from the repetitions' histograms, throughput median.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from bench.results import stats

COMPARISONS = {  # name -> (a, b): ratio a / b of latency
    "pooler_vs_direct": (("pgbouncer", "unnamed"), ("direct", "named")),
    "unnamed_vs_named": (("direct", "unnamed"), ("direct", "named")),
    "pooler_own": (("pgbouncer", "unnamed"), ("direct", "unnamed")),
}
LOAD_KEYS = ["client", "strategy", "clients", "path", "prepared", "budget", "protocol", "server_connections"]


def has_rows(table: pd.DataFrame | None) -> bool:
    return table is not None and "record" in table and bool((table.record == "request").any())


def skipped_reason(table: pd.DataFrame | None) -> str | None:
    if table is None or "record" not in table:
        return None
    s = table[table.record == "skipped"]
    return str(s.reason.iloc[0]) if len(s) else None


def read_ratios(table: pd.DataFrame) -> pd.DataFrame:
    r = table[table.record == "request"]
    med = r.groupby(["rtt_ms", "strategy", "path", "prepared", "rep"]).latency_us.median()
    rows = []
    for (rtt, strategy), g in med.groupby(level=["rtt_ms", "strategy"]):
        g = g.droplevel(["rtt_ms", "strategy"])
        for name, (a, b) in COMPARISONS.items():
            if a not in g.droplevel("rep").index or b not in g.droplevel("rep").index:
                continue
            ga, gb = g.loc[a], g.loc[b]
            reps = sorted(set(ga.index) & set(gb.index))
            call = stats.paired(ga.loc[reps].values, gb.loc[reps].values)
            rows.append({"rtt_ms": rtt, "strategy": strategy, "comparison": name, "ratio": call.ratio,
                         "lo": call.lo, "hi": call.hi, "reps": call.reps, "call": call.call,
                         "a_median_us": float(np.median(ga.values)), "b_median_us": float(np.median(gb.values))})
    return pd.DataFrame(rows)


def load_cells(table: pd.DataFrame) -> pd.DataFrame:
    t = table[table.record == "load"].copy()
    for col in LOAD_KEYS:
        if col not in t:
            t[col] = np.nan
    rows = []
    for key, g in t.groupby(LOAD_KEYS, dropna=False, sort=True):
        row = dict(zip(LOAD_KEYS, key))
        row.update({f"latency_{k}": v for k, v in stats.merged_percentiles(g["hist_latency"]).items()})
        row.update(throughput_rps=g.throughput_rps.median(), throughput_lo=g.throughput_rps.min(),
                   throughput_hi=g.throughput_rps.max(), client_bound=bool(g.client_bound.any()),
                   client_side_cores=g.client_side_cores.median(), server_cpu_cores=g.server_cpu_cores.median(),
                   pooler_cpu_cores=g.pooler_cpu_cores.median() if "pooler_cpu_cores" in g else np.nan,
                   reps=len(g), requests=int(g.requests.sum()), errors=int(g.errors.sum()))
        rows.append(row)
    return pd.DataFrame(rows)


def load_label(row) -> str:
    """How a load cell reached the database, in words."""
    if row["path"] == "pgbouncer":
        return f"PgBouncer ({int(row['server_connections'])} server conns)"
    return f"direct, pool {int(row['budget'])}" + (", unnamed" if row["prepared"] == "unnamed" else "")


def prepared_checks(table: pd.DataFrame) -> pd.DataFrame:
    cols = ["check", "prepared", "outcome", "sqlstate", "error", "attempts", "errors"]
    p = table[table.record == "prepared_check"]
    return p[[c for c in cols if c in p]].reset_index(drop=True)
