"""Figures of notebook 06-method: how far the numbers can be trusted. Each returns (fig, sentence)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bench.report import palette


def fidelity(table: pd.DataFrame):
    """Harness over pgbench, per strategy x bundle x fidelity user: end to end and on the wire."""
    f = table[table.record == "pgbench"].copy()
    f["cell"] = f.strategy + " · " + f.bundle + (" · " + f.fidelity_user.astype(str) if "fidelity_user" in f else "")
    f = f.sort_values(["strategy", "bundle"])
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(f) + 1.6))
    y = np.arange(len(f))
    ax.barh(y - 0.2, f.wire_ratio, height=0.4, color="#1f77b4", label="wire only (client decode left out)")
    ax.barh(y + 0.2, f.ratio, height=0.4, color="#aec7e8", label="end to end (incl. the Python client's decode)")
    ax.axvline(1.0, color=palette.NEUTRAL, lw=1)
    ax.set_yticks(y, f.cell + " · " + f.scale, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("harness mean / pgbench -M prepared mean (1 = identical)")
    ax.set_title("Harness fidelity: the same statements timed by pgbench and by the suite")
    ax.set_xlim(0, max(2.0, float(f.ratio.max())) * 1.45)  # room for the legend beside the bars
    ax.legend(fontsize=8, loc="lower right")
    sentence = (f"On the wire the harness is within {f.wire_ratio.min():.2f}x to {f.wire_ratio.max():.2f}x of pgbench "
                f"(median {f.wire_ratio.median():.2f}x) over {len(f)} statement sets; end to end, with the Python "
                f"client decoding every row, {f.ratio.min():.2f}x to {f.ratio.max():.2f}x.")
    return fig, sentence


def proxy_accuracy(table: pd.DataFrame):
    """The delay the proxy actually added (SELECT 1 through it against direct) per configured RTT."""
    r = table[table.record == "rtt"].copy()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for scale, g in r.groupby("scale"):
        g = g.sort_values("rtt_ms")
        ax.errorbar(g.rtt_ms, g.added_ms, yerr=[np.zeros(len(g)), (g.added_p95_ms - g.added_ms).clip(lower=0)],
                    marker="o", ms=4, capsize=2, ls="none", label=f"scale {scale}: median, whisker to p95")
    top = float(r.rtt_ms.max()) if len(r) else 1.0
    ax.plot([0.1, top], [0.1, top], color=palette.NEUTRAL, lw=1, ls="--", label="exact")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("configured round-trip delay (ms)")
    ax.set_ylabel("added round-trip delay, measured (ms)")
    ax.set_title("The delay proxy: what it adds against what was asked")
    ax.legend(fontsize=8)
    err = (r.added_ms - r.rtt_ms) / r.rtt_ms
    worst = r.loc[err.abs().idxmax()] if len(r) else None
    sentence = ("No delayed cells in this run." if worst is None else
                f"The measured added delay is within {err.abs().max():.1%} of the configured one in every cell "
                f"(worst: {worst.added_ms:.3f} ms for {worst.rtt_ms:g} ms at scale {worst.scale}); the charts use "
                f"the measured values.")
    return fig, sentence


def noise(summary: pd.DataFrame):
    """Spread of the per-repetition medians, relative to the pooled median, per experiment."""
    s = summary[summary.p50_us > 0].copy()
    s["spread"] = (s.p50_rep_hi_us - s.p50_rep_lo_us) / s.p50_us
    fig, ax = plt.subplots(figsize=(7, 3.8))
    groups = [(name, g.spread.to_numpy()) for name, g in s.groupby("experiment")]
    ax.boxplot([v for _, v in groups], tick_labels=[n for n, _ in groups], vert=False, showfliers=True)
    ax.set_xlabel("(max - min of the per-repetition medians) / pooled median")
    ax.set_title("Noise across repetitions, per timed cell")
    wide = (s.spread > 0.2).mean()
    sentence = (f"Across {len(s)} timed cells the per-repetition medians spread by {s.spread.median():.1%} of the "
                f"median (median cell; 90th percentile {s.spread.quantile(0.9):.1%}); {wide:.0%} of cells spread by "
                f"more than 20 %. `bench compare` calls a difference only where the repetitions of the two runs do not overlap.")
    return fig, sentence


def environment(meta: dict) -> pd.DataFrame:
    """The machine and versions a run was made with, as a two-column table."""
    machine = meta.get("machine", {})
    rows = [("run", meta.get("run_id", "")), ("git", f"{meta.get('git_sha', '')[:12]}{' (dirty)' if meta.get('git_dirty') else ''}"),
            ("topology", meta.get("topology", "")), ("cpu", machine.get("cpu_model", "")),
            ("cores", machine.get("cores", "")), ("memory", f"{machine.get('ram_gb', machine.get('memory_gb', ''))} GB"),
            ("scales", meta.get("scale", "")), ("seed", meta.get("seed", "")), ("cache", meta.get("cache", ""))]
    rows += [(f"version: {k}", v) for k, v in sorted(meta.get("versions", {}).items())]
    rows += [(f"setting: {k}", v) for k, v in sorted(meta.get("server_settings", {}).items())]
    return pd.DataFrame(rows, columns=["what", "value"]).astype(str)
