"""Figures of the read-path clients (02-read-paths, 06-method): each returns (fig, sentence).

Every bar is a paired ratio (bench.report.calls: per-repetition medians of the same users in the
same order, geometric mean, 95 % t interval as the whisker); the shaded band is the equivalence
margin: an interval wholly inside it is called equivalent, one that straddles its edge undecided.
The PostgREST tier is one more client (calls.TIER): its one-request forms are the embed
(join_json, in older runs) or the RPC (rpc_bundle), whichever it ran.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bench.report import calls, palette
from bench.report.charts.read_paths import short
from bench.results import stats

HEADLINES = (("star_sequential", ("join_flat", "join_json")), ("star_parallel", ("join_json",)))
TIER_AGAINST = ("join_flat", "join_json", "rpc_bundle")  # through PostgREST: the embed or the RPC, as the tier ran them


def headline_calls(req: pd.DataFrame, a: str, against: tuple[str, ...]) -> pd.DataFrame:
    """`a` against the faster of `against` for the direct clients; through the tier against its
    faster one-request form (the tier runs star_sequential, star_parallel and rpc_bundle; older
    runs the embed, join_json)."""
    tier = req.client == calls.TIER if "client" in req else pd.Series(False, index=req.index)
    direct = calls.calls(req[~tier], a, against)
    via = calls.calls(req[tier], a, tuple(x for x in TIER_AGAINST if x in against or x == "rpc_bundle"))
    parts = [x for x in (direct, via) if len(x)]
    return pd.concat(parts, ignore_index=True) if parts else direct


def _client_key(client: str) -> str:
    return "tier" if client == calls.TIER else f"client:{client}"


def _ratio_bars(ax, rows: pd.DataFrame, y0: float, height: float) -> None:
    for k, r in enumerate(rows.itertuples()):
        y = y0 + k * height
        ax.barh(y, r.ratio - 1, height * 0.9, left=1, color=palette.colour(_client_key(r.client)),
                label=_client_label(r.client))
        ax.errorbar(r.ratio, y, xerr=[[r.ratio - r.lo], [r.hi - r.ratio]], color=palette.colour("whisker"), lw=0.8, capsize=2)
        ax.text(max(r.hi, r.ratio) * 1.02, y, f"{r.ratio:.2f}x {r.call}", va="center", fontsize=7)


def _client_label(client: str) -> str:
    return "PostgREST tier (the harness in supabase-js's flow, as authenticated)" if client == calls.TIER else \
        palette.label(f"client:{client}")


def _margin(ax) -> None:
    ax.axvspan(1 / (1 + stats.MARGIN), 1 + stats.MARGIN, color=palette.colour("tie"), alpha=0.35, lw=0, zorder=0)
    ax.axvline(1, color=palette.colour("reference"), lw=0.8)


def _ratio_axis(ax) -> None:
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}x"))
    ax.xaxis.set_minor_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}x" if f"{v:.0e}"[0] in "235" else ""))
    ax.tick_params(axis="x", which="minor", labelsize=7)


def headline(req: pd.DataFrame):
    """The memo's two read paths over the one-request form, per client and RTT; `req` from
    calls.with_tier (the direct clients and the PostgREST tier) or calls.requests."""
    panels = [(a, headline_calls(req, a, against)) for a, against in HEADLINES]
    panels = [(a, c) for a, c in panels if len(c)]
    if not panels:
        return None, "No read-path cells with a star strategy and a joined statement."
    fig, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 4.4), squeeze=False)
    parts = []
    for ax, (a, c) in zip(axes[0], panels):
        rtts = sorted(c.rtt_ms.unique())
        n = c.client.nunique()
        ticks = []
        for i, rtt in enumerate(rtts):
            rank = {k: i for i, k in enumerate(calls.CLIENT_ORDER)}
            rows = c[c.rtt_ms == rtt].sort_values("client", key=lambda s: s.map(rank))
            _ratio_bars(ax, rows, i - 0.4, 0.8 / n)
            ticks.append(i - 0.4 + 0.4 * (len(rows) - 1) / n)
        _margin(ax)
        _ratio_axis(ax)
        ax.set_yticks(ticks, [f"RTT {r:g} ms" for r in rtts])
        ax.invert_yaxis()
        ax.set_xlabel(f"{short(a)} over the faster one-request form (>1: the star is slower)")
        counts = c.call.value_counts()
        ax.set_title(f"{short(a)} against one request: " + ", ".join(
            f"{k} in {counts[k]}" for k in stats.CALLS if k in counts) + f" of {len(c)} cells", fontsize=10)
        calls_by_client = {k: sorted(set(g.call)) for k, g in c.groupby("client")}
        parts.append(f"{palette.label(a)}: " + "; ".join(f"{k} {'/'.join(v)}" for k, v in calls_by_client.items()))
    handles, labels = axes[0][0].get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    fig.legend(unique.values(), unique.keys(), loc="lower center", ncol=len(unique), fontsize=8, frameon=False)
    split = sorted({(a, r) for a, c in panels for r, g in c.groupby("rtt_ms") if g.call.nunique() > 1})
    lead = ("Every client gives the same call" if not split else
            "The call depends on the client for " + ", ".join(f"{a} at RTT {r:g} ms" for a, r in split))
    scale = ", ".join(sorted(set(req.scale))) if "scale" in req else "?"
    fig.suptitle(f"{lead}\n(scale {scale}; grey band: the {stats.MARGIN:.0%} equivalence margin; whiskers: 95 % paired intervals)",
                 fontsize=10.5)
    fig.tight_layout(rect=(0, 0.1, 1, 0.95))
    return fig, "Calls per client across the RTTs: " + ". ".join(parts) + "."


def against_pgbench(req: pd.DataFrame):
    """Each client's per-request latency over pgbench's, same statements, users and order."""
    f = calls.clients_against(req)
    if f.empty:
        return None, "No pgbench cells in this run."
    f = f.sort_values(["rtt_ms", "strategy", "client"])
    labels = [f"{palette.label(s)}, RTT {r:g} ms" for s, r in f[["strategy", "rtt_ms"]].drop_duplicates().itertuples(index=False)]
    fig, ax = plt.subplots(figsize=(8.4, 0.45 * len(f) + 1.6))
    groups = f.groupby(["rtt_ms", "strategy"], sort=False)
    ticks = []
    for i, (_, g) in enumerate(groups):
        _ratio_bars(ax, g, i - 0.35, 0.7 / max(1, len(g)))
        ticks.append(i)
    _margin(ax)
    _ratio_axis(ax)
    ax.axvline(1.2, color=palette.colour("guide"), lw=0.8, ls="--")
    ax.set_yticks(ticks, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("per-request latency over pgbench's (dashed: the 1.2x goal)")
    handles, names = ax.get_legend_handles_labels()
    unique = dict(zip(names, handles))
    ax.legend(unique.values(), unique.keys(), fontsize=8, loc="lower right")
    ax.set_title("Client overhead: the same statements, users and order as pgbench", fontsize=10)
    fig.tight_layout()
    rtt0 = f[f.rtt_ms == f.rtt_ms.min()]
    text = f"At RTT {rtt0.rtt_ms.min():g} ms, over pgbench: " + "; ".join(
        f"{k} {np.min(g.ratio):.2f}x to {np.max(g.ratio):.2f}x" for k, g in rtt0.groupby("client")) + \
        f" (across {rtt0.strategy.nunique()} strategies)."
    return fig, text
