"""Figures of notebook 06-method: how far the numbers can be trusted. Each returns (fig, sentence)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bench.report import palette
from bench.results import compare


def fidelity(table: pd.DataFrame):
    """Harness over pgbench, per strategy x bundle x fidelity user: end to end and on the wire."""
    f = table[table.record == "pgbench"].copy()
    f["cell"] = f.strategy + " · " + f.bundle + (" · " + f.fidelity_user.astype(str) if "fidelity_user" in f else "")
    f = f.sort_values(["strategy", "bundle"])
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(f) + 1.6))
    y = np.arange(len(f))
    ax.barh(y - 0.2, f.wire_ratio, height=0.4, color=palette.colour("wire"), label="wire only (client decode left out)")
    ax.barh(y + 0.2, f.ratio, height=0.4, color=palette.colour("end_to_end"), label="end to end (incl. the Python client's decode)")
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
                f"more than 20 %. `bench compare` calls a difference between two runs by the suite's one rule (a Welch t "
                f"interval on the per-repetition medians, equivalence calls).")
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


AA_GOAL = 0.05  # an A/A comparison may call at most this share of cells changed


def aa(m: pd.DataFrame, threshold: float):
    """A/A: the same code and data run twice; each cell's ratio of medians, the ones the compare
    rule calls changed highlighted, and the share called changed per margin."""
    both = m[~m.change.isin(["only in A", "only in B"])].sort_values("ratio").reset_index(drop=True)
    margins = compare.aa_margins(m)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10.5, 4.2), gridspec_kw={"width_ratios": [2, 1]})
    changed = both.change.isin([compare.SLOWER, compare.FASTER])
    ax.scatter(np.arange(len(both))[~changed], both.ratio[~changed], s=10, color=palette.colour("muted"),
               label="equivalent or undecided", zorder=2)
    ax.scatter(np.arange(len(both))[changed], both.ratio[changed], s=16, color=palette.colour("bad"),
               label="called changed", zorder=3)
    ax.axhspan(1 / (1 + threshold), 1 + threshold, color=palette.colour("background"), lw=0, zorder=0)
    ax.axhline(1, color=palette.colour("reference"), lw=0.8, zorder=1)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}x"))
    ax.yaxis.set_minor_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}x" if f"{v:.0e}"[0] in "25" else ""))
    ax.set_xlabel(f"the {len(both)} cells in both runs, sorted by ratio")
    ax.set_ylabel("second run's median / first run's")
    ax.legend(fontsize=8, loc="upper left")
    ax2.plot(margins.margin * 100, margins.changed_share * 100, marker="o", color=palette.colour("muted"))
    ax2.axhline(AA_GOAL * 100, color=palette.colour("bad"), lw=0.8, ls="--")
    ax2.set_xlabel("margin (%)")
    ax2.set_ylabel("cells called changed (%)")
    ax2.set_title(f"goal: at most {AA_GOAL:.0%} (dashed)", fontsize=9)
    at = margins[margins.margin == threshold]
    ok = margins[margins.changed_share <= AA_GOAL]
    need = f"{ok.margin.min():.0%}" if len(ok) else f"more than {margins.margin.max():.0%}"
    share = float(at.changed_share.iloc[0]) if len(at) else float("nan")
    fig.suptitle(f"A/A: nothing changed, yet {share:.0%} of cells called changed at the {threshold:.0%} margin",
                 fontsize=10.5)
    fig.tight_layout()
    text = (f"Run twice with the same code on the same data, `bench compare` called {int(changed.sum())} of "
            f"{len(both)} cells changed ({share:.1%}) at its {threshold:.0%} margin (ratios {both.ratio.min():.2f}x to "
            f"{both.ratio.max():.2f}x, median {both.ratio.median():.2f}x). At most {AA_GOAL:.0%} are called from a "
            f"margin of {need}: a difference between two runs smaller than that is noise on this machine.")
    return fig, text


def sham_intervals(pairs: pd.DataFrame, margin: float):
    """Every sham pair's ratio (sham over its twin) with its 95 % interval, against the margin
    band: a pair whose interval leaves the band and clears 1 is a false call."""
    p = pairs.sort_values(["rtt_ms", "envelope", "ratio"]).reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(10, 4.2))
    x = np.arange(len(p))
    colours = {"faster": "bad", "slower": "bad", "equivalent": "good", "undecided": "muted"}
    for call, g in p.groupby("call"):
        ax.errorbar(x[g.index], g.ratio, yerr=[g.ratio - g.lo, g.hi - g.ratio], fmt="o", ms=3, lw=0.9,
                    color=palette.colour(colours.get(call, "muted")), label=f"{call} ({len(g)})")
    ax.axhspan(1 / (1 + margin), 1 + margin, color=palette.colour("background"), lw=0, zorder=0)
    ax.axhline(1, color=palette.colour("reference"), lw=0.8)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}x"))
    ax.yaxis.set_minor_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}x" if f"{v:.0e}"[0] in "2468" else ""))
    edges = [i for i in range(1, len(p)) if p.rtt_ms[i] != p.rtt_ms[i - 1]]
    for i in edges:
        ax.axvline(i - 0.5, color=palette.colour("reference"), lw=0.5, ls=":")
    for start, end in zip([0, *edges], [*edges, len(p)]):
        ax.text((start + end - 1) / 2, 1.0, f"RTT {p.rtt_ms[start]:g} ms", transform=ax.get_xaxis_transform(),
                ha="center", va="bottom", fontsize=8)
    ax.set_xticks([])
    ax.set_xlabel(f"the {len(p)} cells that ran a sham, by RTT (envelope, bundle and client within)")
    ax.set_ylabel("sham / its twin (95 % t interval)")
    ax.legend(fontsize=8, loc="lower right", ncols=4)
    false = int(p.call.isin(["faster", "slower"]).sum())
    fig.suptitle(f"Nothing differs between a sham and its twin: {false} of {len(p)} pairs called faster or slower "
                 f"({false / max(1, len(p)):.1%}) at the {margin:.0%} margin", fontsize=10.5)
    fig.tight_layout()
    undecided = int((p.call == "undecided").sum())
    text = (f"{false} of {len(p)} sham pairs were called faster or slower ({false / max(1, len(p)):.1%}); "
            f"{undecided} were undecided, their intervals wider than the margin.")
    return fig, text
