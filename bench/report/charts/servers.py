"""Figures of the servers chapter (notebook 09): each returns (fig, sentence computed from the data).

`reads`: per read strategy at RTT 0, the harness's median latency and PostgreSQL's own time per
request on each server (whiskers: range of per-repetition medians). `policy`: the RLS policy
forms' server time on each server, log scale. `locks`: the relation locks a narrow and a wide
join hold, and how many of them each server took fast-path.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bench.report import palette
from bench.report.charts import whiskers
from bench.report.charts.read_paths import ORDER


def _colours(servers: list[str]) -> dict[str, str]:
    return {s: palette.colour("server:run" if i == 0 else "server:other") for i, s in enumerate(servers)}


def reads(d: pd.DataFrame, rtt: float = 0.0):
    if d.empty:
        return None, "No read-path cells on two servers in this run."
    d = d[d.rtt_ms == rtt]
    servers = list(dict.fromkeys(d.server))
    names = [s for s in ORDER if s in set(d.strategy)]
    colours = _colours(servers)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    width = 0.8 / len(servers)
    for k, server in enumerate(servers):
        g = d[d.server == server].set_index("strategy").reindex(names)
        x = np.arange(len(names)) + (k - (len(servers) - 1) / 2) * width
        ax1.bar(x, g.p50_us / 1000, width, color=colours[server], label=server)
        ax1.errorbar(x, g.p50_us / 1000, yerr=whiskers.spread(g.p50_us, g.rep_lo_us, g.rep_hi_us, 1000),
                     fmt="none", color=palette.colour("whisker"), capsize=2, lw=0.8)
        ax2.bar(x, g.server_us / 1000, width, color=colours[server], label=server)
    for ax, what in ((ax1, "client's median per request (ms)"), (ax2, "server time per request (ms)")):
        ax.set_xticks(range(len(names)), [palette.label(n).split(" (")[0] for n in names], rotation=20, ha="right")
        ax.set_ylabel(what, fontsize=9)
    ax1.set_title("what the client waits for", fontsize=9)
    ax2.set_title("PostgreSQL's own execution time (pg_stat_statements)", fontsize=9)
    blind = without_server_time(d, servers)
    if blind:
        ax2.text(0.02, 0.97, "no server time on " + ", ".join(blind) + ":\npg_stat_statements not loaded there",
                 transform=ax2.transAxes, va="top", fontsize=8, color=palette.colour("muted"))
    ax1.legend(fontsize=8)
    ratio = _ratios(d, servers)
    fig.suptitle(f"At RTT {rtt:g} ms {servers[1]} takes {ratio.min():.2f}-{ratio.max():.2f}x the time "
                 f"{servers[0]} takes per read strategy (scale {d.scale.iloc[0]}, 'account')", fontsize=10.5)
    missing = f" {', '.join(blind)} recorded no server time (no pg_stat_statements there): its bars are the client's only." if blind else ""
    return fig, reads_sentence(d, servers) + missing


def without_server_time(d: pd.DataFrame, servers: list[str]) -> list[str]:
    """Servers whose cells carry no pg_stat_statements time (never invented: left out)."""
    return [s for s in servers if d[d.server == s].server_us.isna().all()]


def _ratios(d: pd.DataFrame, servers: list[str]) -> pd.Series:
    p = d.pivot_table(index="strategy", columns="server", values="p50_us")
    return p[servers[1]] / p[servers[0]]


def reads_sentence(d: pd.DataFrame, servers: list[str]) -> str:
    p = d.pivot_table(index="strategy", columns="server", values="p50_us")
    order = {s: list(p[s].sort_values().index) for s in servers}
    same = order[servers[0]] == order[servers[1]]
    fastest = {s: order[s][0] for s in servers}
    text = "; ".join(f"{s}: " + ", ".join(f"{n} {p.loc[n, s] / 1000:.2f} ms" for n in order[s]) for s in servers)
    if fastest[servers[0]] == fastest[servers[1]]:
        rank = (f"The fastest read is {fastest[servers[0]]} on both servers; the order below it is "
                + ("the same." if same else "not (these are single medians: a close pair may swap by noise)."))
    else:
        rank = f"The fastest read is {fastest[servers[0]]} on {servers[0]} and {fastest[servers[1]]} on {servers[1]}."
    r = _ratios(d, servers).dropna()
    return (f"Median latency per request, fastest first — {text}. {rank} Per strategy, {servers[1]} takes "
            f"{r.min():.2f}x to {r.max():.2f}x the median of {servers[0]}.")


def policy(d: pd.DataFrame):
    if d.empty:
        return None, "No RLS policy cells on two servers in this run."
    servers = list(dict.fromkeys(d.server))
    colours = _colours(servers)
    rows = d.assign(cell=d.form + " · " + d["index"]).drop_duplicates(["server", "cell"])
    cells_order = list(dict.fromkeys(rows.sort_values(["index", "form"]).cell))
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(cells_order) * len(servers) + 1.6))
    height = 0.8 / len(servers)
    for k, server in enumerate(servers):
        g = rows[rows.server == server].set_index("cell").reindex(cells_order)
        y = np.arange(len(cells_order)) + (k - (len(servers) - 1) / 2) * height
        ax.barh(y, g.server_ms, height, color=colours[server], label=server)
        for yi, v, out in zip(y, g.server_ms, g.timed_out.fillna(False)):
            if bool(out):
                ax.text(v, yi, "  timed out", va="center", fontsize=7)
    ax.set_xscale("log")
    ax.set_yticks(range(len(cells_order)), cells_order, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("server time of one user's audit rows (ms, log scale)")
    ax.legend(fontsize=8)
    memo = rows[(rows.form == "memo") & (rows["index"] == "indexed")].set_index("server").server_ms
    sub = rows[(rows.form == "select_uid") & (rows["index"] == "indexed")].set_index("server").server_ms
    title = "RLS policy forms on " + " and ".join(servers)
    if len(memo) == 2 and len(sub) == 2:
        title = (f"The memo's policy costs {memo[servers[0]]:.2f} ms on {servers[0]} and {memo[servers[1]]:.2f} ms "
                 f"on {servers[1]} (indexed); the sub-select form {sub[servers[0]]:.2f} and {sub[servers[1]]:.2f} ms")
    ax.set_title(title.replace("; ", ";\n"), fontsize=10)  # two lines: one is wider than the axes
    return fig, title + "."


def locks(d: pd.DataFrame):
    if d.empty:
        return None, "No lock cells on two servers in this run."
    servers = list(dict.fromkeys(d.server))
    colours = _colours(servers)
    first = d.groupby(["server", "strategy"]).first().reset_index()
    names = sorted(first.strategy.unique(), key=lambda n: n != "narrow_join")
    fig, ax = plt.subplots(figsize=(9, 3.6))
    height = 0.8 / len(servers)
    for k, server in enumerate(servers):
        g = first[first.server == server].set_index("strategy").reindex(names)
        y = np.arange(len(names)) + (k - (len(servers) - 1) / 2) * height
        ax.barh(y, g.locks, height, color=palette.colour("muted"), edgecolor=colours[server], lw=1.5)
        ax.barh(y, g.fastpath_locks, height * 0.55, color=colours[server], label=f"{server}: fast-path")
    ax.axvline(16, color=palette.colour("reference"), lw=0.8, ls="--")
    ax.set_yticks(range(len(names)), [palette.label(n) for n in names])
    ax.set_xlabel("relation locks one statement holds (grey) and of them fast-path (coloured)")
    ax.legend(fontsize=8, loc="lower right")
    sentence = locks_sentence(first, servers)
    ax.set_title(sentence.replace("; ", ";\n"), fontsize=10)  # one line is wider than the axes
    return fig, sentence


def locks_sentence(first: pd.DataFrame, servers: list[str]) -> str:
    wide = first[first.strategy == "wide_join"].set_index("server")
    parts = [f"{int(wide.loc[s, 'fastpath_locks'])} of its {int(wide.loc[s, 'locks'])} locks fast-path on {s}"
             for s in servers if s in wide.index]
    return "The wide join holds " + "; ".join(parts) + " (cached plan, one execution)"
