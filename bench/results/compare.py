"""Two runs side by side: the ratio of medians per cell, called by the suite's one rule.

A cell is one experiment x strategy x scale x condition of `results.summary`. The ratio is
B's over A's geometric mean of the per-repetition medians, with a Welch t interval on their logs
(`stats.welch_from`), called as every comparison in the suite is (CLAIMS.md rule 3): slower or
faster beyond `threshold` (default the suite's margin, 10 %) with the interval clear of 1;
equivalent (`~`) with the whole interval inside the threshold; undecided where it straddles it.
Cells present in one run only are listed as such.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from bench.config import UsageError
from bench.results import stats
from bench.results import store as results

KEYS = ["experiment", "strategy", "scale", "bundle", "envelope", "indexes", "cache", "rtt_ms", "clients", "condition",
        "client"]
# Between two runs the machine itself moves: the reference's A/A twin at m (nothing changed) had 30 %
# of cells called changed at a 10 % margin and 4.6 % at 30 % (06-method). Within one run, ratios
# of interleaved strategies are calibrated at 10 % (the sham pairs).
BETWEEN_RUNS_MARGIN = 0.30
SLOWER, FASTER, SAME, UNDECIDED = stats.SLOWER, stats.FASTER, "~", stats.UNDECIDED


def _key_text(v) -> str:
    """A cell key as text, the same whatever dtype a run's table gave it: 1, 1.0 and np.int64(1)
    are '1'; missing is ''."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, (int, float, np.integer, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def compare(run_a, run_b, threshold: float = stats.MARGIN) -> pd.DataFrame:
    frames = []
    for run_dir in (run_a, run_b):
        problems = results.validate(run_dir)
        if problems:
            raise UsageError(f"{run_dir} is not a valid run ({problems[0]}); check it with `python -m bench validate`")
        frames.append(results.summary(run_dir))
    a, b = frames
    keys = [k for k in KEYS if k in a.columns and k in b.columns]
    for df in (a, b):
        for k in keys:
            df[k] = df[k].map(_key_text)
    cols = ["n", "p50_us", "p50_rep_lo_us", "p50_rep_hi_us", "reps", "p50_rep_logmean", "p50_rep_logsd"]
    for df in (a, b):  # runs written before the interval columns: no interval, so undecided
        for c in cols:
            if c not in df:
                df[c] = np.nan
    m = a[keys + cols].merge(b[keys + cols], on=keys, how="outer", suffixes=("_a", "_b"), indicator="side")
    m["ratio"] = m.p50_us_b / m.p50_us_a
    m["change"] = [_change(r, threshold) for r in m.itertuples()]
    return m


def _change(r, threshold: float) -> str:
    if r.side != "both":
        return "only in A" if r.side == "left_only" else "only in B"
    c = stats.welch_from(r.p50_rep_logmean_b, r.p50_rep_logmean_a, r.p50_rep_logsd_b, r.p50_rep_logsd_a,
                         0 if pd.isna(r.reps_b) else int(r.reps_b), 0 if pd.isna(r.reps_a) else int(r.reps_a), threshold)
    return {stats.EQUIVALENT: SAME}.get(c.call, c.call)


def format_comparison(m: pd.DataFrame, run_a, run_b, threshold: float) -> str:
    shown = m.copy()
    for col in ("p50_us_a", "p50_us_b"):
        shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
    shown["ratio"] = shown["ratio"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}x")
    always = ("experiment", "strategy", "scale")
    keep = [c for c in KEYS if c in always or (c in shown.columns and shown[c].nunique() > 1)]
    table = shown[keep + ["p50_us_a", "p50_us_b", "ratio", "change"]].to_string(index=False)
    counts = m.change.value_counts()
    head = (f"A = {run_a} ({_server(run_a)})\nB = {run_b} ({_server(run_b)})\nratio = B's median / A's; '{SLOWER}'/'{FASTER}' "
            f"where the Welch t interval of the per-repetition medians is clear of 1 and the ratio beyond {threshold:.0%}; "
            f"'{SAME}' where the whole interval is inside {threshold:.0%}; '{UNDECIDED}' otherwise\n")
    tail = "\n" + ", ".join(f"{k}: {v}" for k, v in counts.items()) + "\n"
    return head + table + tail


def _server(run_dir) -> str:
    """'PostgreSQL 15.20 (...), external server via DSN, TCP' from the run's run.json."""
    meta = json.loads((Path(run_dir) / "run.json").read_text())
    return f"PostgreSQL {meta.get('versions', {}).get('postgresql', '?')}, {meta.get('topology', '?')}"


def aa_margins(m: pd.DataFrame, margins=(0.05, 0.10, 0.15, 0.20, 0.30, 0.50)) -> pd.DataFrame:
    """For an A/A comparison (nothing changed between the runs): per margin, how many of the
    cells present in both runs the rule calls changed (faster or slower) and undecided."""
    both = m[~m.change.isin(["only in A", "only in B"])]
    rows = []
    for t in margins:
        calls = [_change(r, t) for r in both.itertuples()]
        changed = sum(c in (SLOWER, FASTER) for c in calls)
        rows.append({"margin": t, "cells": len(both), "changed": changed,
                     "changed_share": changed / len(both) if len(both) else float("nan"),
                     "undecided_share": sum(c == UNDECIDED for c in calls) / len(both) if len(both) else float("nan")})
    return pd.DataFrame(rows)
