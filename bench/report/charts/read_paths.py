"""Figures of notebook 02-read-paths: each returns (fig, sentence computed from the data)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bench.report import cells
from bench.report import palette

ORDER = ("star_sequential", "star_parallel", "star_pipelined", "join_flat", "join_json")


def latency_vs_rtt(s: pd.DataFrame, bundle: str = "account", scale: str | None = None):
    scale = scale or cells.largest_scale(s)
    d = s[(s.bundle == bundle) & (s.scale == scale) & (s.envelope == "plain") & (s.indexes == "indexed")]
    fig, ax = plt.subplots(figsize=(8, 4.8))
    for strategy in ORDER:
        g = d[d.strategy == strategy].sort_values("rtt_measured_ms")
        if g.empty:
            continue
        median_vs_rtt(ax, g, palette.colour(strategy), palette.label(strategy))
    rtt_axes(ax, d.rtt_measured_ms, "median latency per bundle (ms, log)")
    ax.set_title(f"'{bundle}' bundle, scale {scale}: one user's data, single client")
    ax.legend()
    return fig, _rtt_sentence(d)


def median_vs_rtt(ax, g: pd.DataFrame, colour: str, label: str) -> None:
    """One line: median latency (ms) against the measured RTT, error bars the per-repetition range."""
    ax.errorbar(g.rtt_measured_ms, g.p50_us / 1000, yerr=[(g.p50_us - g.p50_rep_lo_us) / 1000,
                                                         (g.p50_rep_hi_us - g.p50_us) / 1000],
                marker="o", ms=4, capsize=2, color=colour, label=label)


def log_ms_axis(ax) -> None:
    """Log y axis with plain numbers (1, 2, 5, 10, ...)."""
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "25" else ""))


def rtt_axes(ax, rtts: pd.Series, ylabel: str) -> None:
    """Measured RTT on a symlog x axis (ticks where measured), log latency on y."""
    ax.set_xscale("symlog", linthresh=0.5, linscale=0.6)
    ticks = sorted(rtts.unique())
    ax.set_xticks(ticks, [f"{t:.2g}" for t in ticks])
    ax.xaxis.set_minor_locator(plt.NullLocator())
    log_ms_axis(ax)
    ax.set_xlabel("round-trip time added by the proxy, measured (ms; 0 = direct)")
    ax.set_ylabel(ylabel)


def _rtt_sentence(d: pd.DataFrame) -> str:
    p50 = d.pivot_table(index="rtt_ms", columns="strategy", values="p50_us")
    if p50.empty:
        return "No data."
    best = p50.idxmin(axis=1)
    parts = [f"fastest at RTT {rtt:g} ms: {palette.label(b)}" for rtt, b in best.items()]
    text = "; ".join(parts) + "."
    crossings = cells.crossovers(d)
    text += (" Crossovers: " + "; ".join(crossings) + "." if crossings
             else " No two of star_parallel, star_sequential, join_json and join_flat swap places across these RTTs.")
    if {"star_parallel", "join_json"} <= set(p50.columns):
        ratio = p50["star_parallel"] / p50["join_json"]
        text += (" star_parallel takes " + ", ".join(f"{r:.1f}x" for r in ratio) +
                 " the time of the single PostgREST-shaped JOIN at RTT " + ", ".join(f"{x:g}" for x in ratio.index) + " ms.")
    if {"star_sequential", "join_json"} <= set(p50.columns):
        top = p50.index.max()
        text += (f" At {top:g} ms, the memo's sequential single-table fetches take "
                 f"{p50.loc[top, 'star_sequential'] / p50.loc[top, 'join_json']:.1f}x the JOIN's time.")
    return text


FANOUT_BINS = (-1, 0, 3, 10, 30, 100, 300, 1000, np.inf)
FANOUT_LABELS = ("0", "1-3", "4-10", "11-30", "31-100", "101-300", "301-1000", ">1000")


def latency_vs_fanout(table: pd.DataFrame, bundle: str = "account", scale: str | None = None):
    req = table[(table.record == "request") & (table.bundle == bundle) & (table.rtt_ms == 0)
                & (table.envelope == "plain") & (table.indexes == "indexed") & (table.cache == "warm")]
    scale = scale or cells.largest_scale(req)
    req = req[req.scale == scale].copy()
    req["bin"] = pd.cut(req.audit_rows, FANOUT_BINS, labels=FANOUT_LABELS)
    med = req.groupby(["bin", "strategy"], observed=True).latency_us.median().unstack() / 1000
    fig, ax = plt.subplots(figsize=(8, 4.6))
    x = np.arange(len(med.index))
    for strategy in ORDER:
        if strategy in med:
            ax.plot(x, med[strategy], marker="o", ms=4, lw=1.2, color=palette.colour(strategy),
                    label=palette.label(strategy))
    ax.set_xticks(x, med.index)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlabel("the user's audit rows (sampled users, binned)")
    ax.set_ylabel("median latency (ms, log)")
    ax.set_title(f"'{bundle}' at RTT 0, scale {scale}: cost grows with the user's fan-out")
    ax.legend()
    top = med.iloc[-1]
    text = (f"In the heaviest bin ({med.index[-1]} audit rows), join_flat takes {top['join_flat'] / top['join_json']:.1f}x "
            f"join_json and {top['join_flat'] / top['star_sequential']:.1f}x star_sequential (its rows multiply "
            f"roles x audit entries); in the lightest ({med.index[0]}), the single JOINs take "
            f"{med.iloc[0]['join_json'] / med.iloc[0]['star_sequential']:.2f}x the sequential fetches.")
    return fig, text


def bytes_per_strategy(table: pd.DataFrame, scale: str | None = None):
    b = table[table.record == "bytes"]
    scale = scale or cells.largest_scale(b)
    med = b[b.scale == scale].groupby(["bundle", "strategy"])["bytes"].median().unstack()
    med = med[[c for c in ORDER if c in med.columns]]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    x = np.arange(len(med.index))
    width = 0.8 / len(med.columns)
    for i, strategy in enumerate(med.columns):
        ax.bar(x + i * width, med[strategy] / 1024, width, color=palette.colour(strategy), label=palette.label(strategy))
    ax.set_xticks(x + width * (len(med.columns) - 1) / 2, med.index)
    ax.set_ylabel("DataRow bytes received per bundle, median user (KiB)")
    ax.set_title(f"Bytes on the wire, scale {scale}")
    ax.legend(fontsize=8)
    acc = med.loc["account"] if "account" in med.index else med.iloc[0]
    text = (f"For the median user's 'account' bundle, join_flat receives {acc['join_flat'] / acc['star_sequential']:.1f}x "
            f"the bytes of the single-table queries; join_json {acc['join_json'] / acc['star_sequential']:.1f}x.")
    return fig, text


def decomposition(s: pd.DataFrame, table: pd.DataFrame, bundle: str = "account", rtt_ms: float = 2.0,
                  scale: str | None = None):
    scale = scale or cells.largest_scale(s)
    cond = (table.bundle == bundle) & (table.rtt_ms == rtt_ms) & (table.scale == scale) & \
           (table.envelope == "plain") & (table.indexes == "indexed") & (table.cache != "cold")
    req = table[cond & (table.record == "request")]
    server = table[cond & (table.record == "server")].groupby("strategy").server_us.median()
    mean = req.groupby("strategy")[["latency_us", "decode_us", "assemble_us"]].mean()
    strategies = [x for x in ORDER if x in mean.index]
    client = (mean.decode_us + mean.assemble_us).reindex(strategies)
    srv = server.reindex(strategies).fillna(0)
    rest = (mean.latency_us.reindex(strategies) - client - srv).clip(lower=0)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    y = np.arange(len(strategies))
    ax.barh(y, srv / 1000, color="#4c72b0", label="server execution (pg_stat_statements)")
    ax.barh(y, client / 1000, left=srv / 1000, color="#dd8452", label="client decode + assembly")
    ax.barh(y, rest / 1000, left=(srv + client) / 1000, color="#bbbbbb", label="network, waiting, driver")
    ax.set_yticks(y, [palette.label(x) for x in strategies])
    ax.invert_yaxis()
    ax.set_xlabel("mean time per bundle (ms)")
    ax.set_title(f"Where the time goes: '{bundle}', RTT {rtt_ms:g} ms, scale {scale}")
    ax.legend(fontsize=8, loc="lower right")
    share = (rest / mean.latency_us.reindex(strategies)).round(2)
    text = ("Share of each request spent on the network and waiting: " +
            ", ".join(f"{palette.label(k)} {v:.0%}" for k, v in share.items()) + ".")
    return fig, text


def condition_cost(s: pd.DataFrame, column: str, base: str, other: str, bundle: str = "account",
                   scale: str | None = None):
    """p50 at RTT 0 under two values of a condition (envelope plain/rest, indexes indexed/as-written)."""
    scale = scale or cells.largest_scale(s)
    d = s[(s.bundle == bundle) & (s.scale == scale) & (s.rtt_ms == 0)]
    fixed = {"envelope": "plain", "indexes": "indexed"}
    fixed.pop(column)
    for k, v in fixed.items():
        d = d[d[k] == v]
    p50 = d.pivot_table(index="strategy", columns=column, values="p50_us").reindex([x for x in ORDER])
    fig, ax = plt.subplots(figsize=(8, 4.2))
    y = np.arange(len(p50.index))
    ax.barh(y - 0.2, p50[base] / 1000, 0.4, color="#999", label=base)
    ax.barh(y + 0.2, p50[other] / 1000, 0.4, color=[palette.colour(x) for x in p50.index], label=other)
    ax.set_yticks(y, [palette.label(x) for x in p50.index])
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("median latency at RTT 0 (ms, log)")
    ax.set_title(f"'{bundle}', scale {scale}: {base} against {other}")
    ax.legend()
    ratio = p50[other] / p50[base]
    text = f"{other} against {base}: " + ", ".join(f"{palette.label(k)} x{v:.1f}" for k, v in ratio.items()) + "."
    return fig, text


def fidelity(table: pd.DataFrame) -> pd.DataFrame:
    f = table[table.record == "pgbench"].copy()
    return f[["scale", "bundle", "strategy", "pgbench_us", "harness_mean_us", "client_decode_us", "ratio",
              "wire_ratio"]].round(2)
