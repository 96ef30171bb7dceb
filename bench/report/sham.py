"""The rule's own false-call rate, from the run's sham pairs.

Every timed read-path block carries a sham: a twin of `SHAM_OF` (the same statements on the same
connection, record "sham"), interleaved with the other strategies in random order. Nothing
differs between the sham and its twin, so a call of faster or slower between them is false. The
rule (`stats.paired`, equivalence calls with `stats.MARGIN`) is calibrated when at most
`TARGET` of the sham pairs are called.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from bench.results import stats

TARGET = 0.05  # at most 5 % of sham pairs called faster or slower
CELL = ["scale", "bundle", "envelope", "client", "rtt_ms", "indexes", "cache"]


def pairs(table: pd.DataFrame, margin: float = stats.MARGIN) -> pd.DataFrame:
    """One row per cell that ran a sham: the sham over its twin, interval and call, and the
    per-repetition spread of the twin's medians ((max - min) / median)."""
    if table is None or "record" not in table or not (table.record == "sham").any():
        return pd.DataFrame(columns=[*CELL, "ratio", "lo", "hi", "reps", "call", "spread"])
    t = table[table.record.isin(["sham", "request"])].copy()
    t["client"] = t["client"].fillna("psycopg") if "client" in t else "psycopg"
    keys = [k for k in CELL if k in t] + ["strategy"]
    twins = t[t.record == "sham"][keys].drop_duplicates()
    t = t.merge(twins, on=keys)  # the twin's own rows in the cells that ran a sham
    med = t.groupby([*keys, "rep", "record"], dropna=False).latency_us.median().unstack("record")
    rows = []
    for key, g in med.groupby(level=list(range(len(keys))), dropna=False):
        if "sham" not in g or g["sham"].isna().all():
            continue
        c = stats.paired(g["sham"].to_numpy(), g["request"].to_numpy(), margin)
        twin = g["request"].dropna()
        rows.append({**dict(zip(keys, key)), "ratio": c.ratio, "lo": c.lo, "hi": c.hi, "reps": c.reps, "call": c.call,
                     "spread": float((twin.max() - twin.min()) / twin.median()) if len(twin) else np.nan})
    return pd.DataFrame(rows)


def rate(p: pd.DataFrame) -> dict:
    """The false-call rate over the sham pairs, with the shares equivalent and undecided, and
    the median per-repetition spread."""
    out = stats.sham_rate(p.call) if len(p) else stats.sham_rate([])
    out["median_spread"] = float(p.spread.median()) if len(p) else float("nan")
    out["calibrated"] = bool(len(p)) and out["false_call_rate"] <= TARGET
    return out


def sentence(p: pd.DataFrame) -> str:
    r = rate(p)
    if not r["pairs"]:
        return "This run has no sham pairs (it predates them), so its false-call rate is not measured."
    return (f"Of {r['pairs']} sham pairs (a twin of the one-request form against itself in the same blocks), "
            f"{r['false_calls']} were called faster or slower ({r['false_call_rate']:.1%}; the target is at most "
            f"{TARGET:.0%}), {r['equivalent_rate']:.0%} equivalent and {r['undecided_rate']:.0%} undecided; the median "
            f"cell's per-repetition medians spread by {r['median_spread']:.0%} of their median.")


LOAD_CELL = ["scale", "client", "mode", "clients", "rtt_ms", "budget", "strategy"]


def load_pairs(table: pd.DataFrame, margin: float = stats.LOAD_MARGIN) -> pd.DataFrame:
    """The load cells' sham pairs (record `load_sham` against its twin's `load` rows in the same
    cell): throughput per repetition, unpaired (the cells ran one after the other), Welch t on
    the logs, the suite's rule at the load margin (`stats.LOAD_MARGIN`)."""
    if table is None or "record" not in table or not (table.record == "load_sham").any():
        return pd.DataFrame(columns=[*LOAD_CELL, "ratio", "lo", "hi", "reps", "call"])
    t = table[table.record.isin(["load", "load_sham"])]
    t = t[t.sweep.isna()] if "sweep" in t else t
    keys = [k for k in LOAD_CELL if k in t]
    shams = t[t.record == "load_sham"][keys].drop_duplicates()
    t = t.merge(shams, on=keys)
    rows = []
    for key, g in t.groupby(keys, dropna=False):
        a, b = (g[g.record == r].throughput_rps.to_numpy(dtype=float) for r in ("load_sham", "load"))
        c = stats.unpaired(a, b, margin, lower_is_better=False)
        rows.append({**dict(zip(keys, key)), "ratio": c.ratio, "lo": c.lo, "hi": c.hi, "reps": c.reps, "call": c.call})
    return pd.DataFrame(rows)
