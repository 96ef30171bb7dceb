"""Two runs side by side: the ratio of medians per cell, marked only when it is beyond noise.

A cell is one experiment x strategy x scale x condition of `results.summary`. The ratio is
B's median over A's. Noise: each side's median varies across its repetitions
(p50_rep_lo..p50_rep_hi); a change is called only when the two ranges do not overlap AND the
ratio is beyond `threshold` (default 10 %), so a shared, noisy machine does not produce
verdicts out of jitter. Cells present in one run only are listed as such.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from bench.config import UsageError
from bench.results import store as results

KEYS = ["experiment", "strategy", "scale", "bundle", "envelope", "indexes", "cache", "rtt_ms", "clients", "condition",
        "client"]
SLOWER, FASTER, SAME = "slower", "faster", "~"


def _key_text(v) -> str:
    """A cell key as text, the same whatever dtype a run's table gave it: 1, 1.0 and np.int64(1)
    are '1'; missing is ''."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, (int, float, np.integer, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def compare(run_a, run_b, threshold: float = 0.10) -> pd.DataFrame:
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
    cols = ["n", "p50_us", "p50_rep_lo_us", "p50_rep_hi_us"]
    m = a[keys + cols].merge(b[keys + cols], on=keys, how="outer", suffixes=("_a", "_b"), indicator=True)
    m["ratio"] = m.p50_us_b / m.p50_us_a
    apart = (m.p50_rep_lo_us_b > m.p50_rep_hi_us_a) | (m.p50_rep_hi_us_b < m.p50_rep_lo_us_a)
    m["change"] = np.select(
        [m._merge == "left_only", m._merge == "right_only",
         apart & (m.ratio > 1 + threshold), apart & (m.ratio < 1 / (1 + threshold))],
        ["only in A", "only in B", SLOWER, FASTER], default=SAME)
    return m.drop(columns="_merge")


def format_comparison(m: pd.DataFrame, run_a, run_b, threshold: float) -> str:
    shown = m.copy()
    for col in ("p50_us_a", "p50_us_b"):
        shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else f"{v:,.0f}")
    shown["ratio"] = shown["ratio"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}x")
    always = ("experiment", "strategy", "scale")
    keep = [c for c in KEYS if c in always or (c in shown.columns and shown[c].nunique() > 1)]
    table = shown[keep + ["p50_us_a", "p50_us_b", "ratio", "change"]].to_string(index=False)
    counts = m.change.value_counts()
    head = (f"A = {run_a} ({_server(run_a)})\nB = {run_b} ({_server(run_b)})\nratio = B's median / A's; '{SLOWER}'/'{FASTER}' only where the two runs' "
            f"per-repetition medians do not overlap and the ratio is beyond {threshold:.0%}\n")
    tail = "\n" + ", ".join(f"{k}: {v}" for k, v in counts.items()) + "\n"
    return head + table + tail


def _server(run_dir) -> str:
    """'PostgreSQL 15.20 (...), external server via DSN, TCP' from the run's run.json."""
    meta = json.loads((Path(run_dir) / "run.json").read_text())
    return f"PostgreSQL {meta.get('versions', {}).get('postgresql', '?')}, {meta.get('topology', '?')}"


def aa_margins(m: pd.DataFrame, margins=(0.05, 0.10, 0.15, 0.20, 0.30, 0.50)) -> pd.DataFrame:
    """For an A/A comparison (nothing changed between the runs): per margin, how many of the
    cells present in both runs the compare rule calls changed."""
    both = m[~m.change.isin(["only in A", "only in B"])]
    apart = (both.p50_rep_lo_us_b > both.p50_rep_hi_us_a) | (both.p50_rep_hi_us_b < both.p50_rep_lo_us_a)
    rows = []
    for t in margins:
        changed = apart & ((both.ratio > 1 + t) | (both.ratio < 1 / (1 + t)))
        rows.append({"margin": t, "cells": len(both), "changed": int(changed.sum()),
                     "changed_share": float(changed.mean()) if len(both) else float("nan")})
    return pd.DataFrame(rows)
