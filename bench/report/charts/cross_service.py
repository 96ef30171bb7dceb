"""Figures of notebook 07-cross-service: each returns (fig, sentence computed from the data)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from bench.names import CROSS_QUERIES
from bench.report import cells, palette
from bench.report.charts.read_paths import log_ms_axis, median_vs_rtt, rtt_axes

APPROACHES = {  # id -> (label, colour, short label for sentences)
    "join_star": ("SQL join, star", palette.colour("join_star"), "the join"),
    "join_relational": ("SQL join, relational", palette.colour("join_relational"), "the join on relational"),
    "services_parallel": ("services at once, pandas merge", palette.colour("services_parallel"), "services at once"),
    "services_chained": ("services chained by ids, pandas merge", palette.colour("services_chained"), "services chained"),
}
LOADERS = {
    "orm_lazy": ("ORM lazy (N+1)", palette.colour("orm_lazy")),
    "orm_selectin": ("ORM selectinload", palette.colour("orm_selectin")),
    "orm_joined": ("ORM joinedload", palette.colour("orm_joined")),
    "orm_subquery": ("ORM subqueryload", palette.colour("orm_subquery")),
    "raw_loop_json": ("raw, join_json per user", palette.colour("raw_loop_json")),
    "raw_page_json": ("raw, one join_json for the page", palette.colour("raw_page_json")),
}


def _per_query(d: pd.DataFrame, value: str, ylabel: str, title: str, scale_div: float = 1.0):
    """One panel per query, value against scale, a line per approach."""
    queries = [q for q in CROSS_QUERIES if q in set(d.condition)]
    fig, axes = plt.subplots(1, len(queries), figsize=(3.6 * len(queries), 4.2), squeeze=False)
    axes = axes[0]
    for ax, q in zip(axes, queries):
        g = d[d.condition == q]
        for approach, (label, colour, _) in APPROACHES.items():
            a = g[g.strategy == approach].sort_values("order")
            if not a.empty:
                ax.plot(a.scale, a[value] / scale_div, marker="o", ms=4, color=colour, label=label)
        log_ms_axis(ax)
        ax.set_title(CROSS_QUERIES[q], fontsize=9)
        ax.set_xlabel("scale")
    axes[0].set_ylabel(ylabel)
    axes[-1].legend(fontsize=8)
    fig.suptitle(title)
    return fig


def latency_by_scale(s: pd.DataFrame):
    fig = _per_query(s, "p50_us", "median latency (ms, log)", "Cross-spoke queries: what the application waits for",
                     1000)
    return fig, _ratio_sentence(s, "p50_us", "median latency", "ms", 1000)


def bytes_by_scale(table: pd.DataFrame):
    b = cells.moved(table)
    fig = _per_query(b, "moved_bytes", "bytes on the wire per execution (KiB, log)",
                     "Cross-spoke queries: data moved between database and application", 1024)
    return fig, _ratio_sentence(b, "moved_bytes", "bytes moved", "KiB", 1024)


def memory_by_scale(table: pd.DataFrame):
    m = cells.by_scale(table[table.record == "memory"])
    fig = _per_query(m, "peak_bytes", "client Python-heap peak per execution (KiB, log)",
                     "Cross-spoke queries: client memory (tracemalloc peak, fetch to answer)", 1024)
    return fig, _ratio_sentence(m, "peak_bytes", "client heap peak", "KiB", 1024)


def _ratio_sentence(d: pd.DataFrame, value: str, what: str, unit: str, div: float) -> str:
    """Per query at the largest scale: the microservices ways against the star join."""
    if d.empty:
        return "No data."
    scale = cells.largest_scale(d)
    parts = []
    for q in CROSS_QUERIES:
        g = d[(d.scale == scale) & (d.condition == q)].set_index("strategy")[value]
        if "join_star" not in g or not g["join_star"]:
            continue
        ways = ", ".join(f"{APPROACHES[a][2]} {g[a] / g['join_star']:.1f}x" for a in
                         ("join_relational", "services_parallel", "services_chained") if a in g)
        parts.append(f"{CROSS_QUERIES[q]}: the join {g['join_star'] / div:,.1f} {unit}, {ways}")
    return f"At scale {scale}, {what} relative to the SQL join on the star. " + "; ".join(parts) + "."


def orm_latency_vs_rtt(o: pd.DataFrame, scale: str | None = None):
    scale = scale or cells.largest_scale(o)
    d = o[o.scale == scale]
    fig, ax = plt.subplots(figsize=(10, 4.8))
    for loader, (label, colour) in LOADERS.items():
        g = d[d.strategy == loader].sort_values("rtt_measured_ms")
        if g.empty:
            continue
        per_page = f"{_count(g.statements.iloc[0], 'statement')}, {_count(g.round_trips.iloc[0], 'round trip')}"
        median_vs_rtt(ax, g, colour, f"{label}: {per_page}")
    rtt_axes(ax, d.rtt_measured_ms, "median latency per page (ms, log)")
    pages = int(d.n.min()) if not d.empty else 0
    size = int(d.users.iloc[0]) if not d.empty else 0
    ax.set_title(f"'account' bundle for a page of {size} users, scale {scale} (>= {pages} pages per cell)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig, _orm_sentence(d)


def _orm_sentence(d: pd.DataFrame) -> str:
    if d.empty:
        return "No data."
    top = d[d.rtt_ms == d.rtt_ms.max()].set_index("strategy")
    lo = d[d.rtt_ms == d.rtt_ms.min()].set_index("strategy")
    best = top.p50_us.idxmin()
    text = (f"At RTT {top.rtt_measured_ms.iloc[0]:.2g} ms the fastest page is {LOADERS[best][0]} "
            f"({top.p50_us[best] / 1000:,.1f} ms, {_count(top.statements[best], 'statement')})")
    if "orm_lazy" in top.index:
        text += (f"; lazy loading sends {_count(top.statements['orm_lazy'], 'statement')} in "
                 f"{_count(top.round_trips['orm_lazy'], 'round trip')} and takes "
                 f"{top.p50_us['orm_lazy'] / 1000:,.1f} ms ({top.p50_us['orm_lazy'] / top.p50_us[best]:.0f}x)")
    if {"orm_selectin", "raw_page_json"} <= set(lo.index):
        text += (f". At RTT {lo.rtt_measured_ms.iloc[0]:.2g} ms selectinload costs "
                 f"{lo.p50_us['orm_selectin'] / lo.p50_us['raw_page_json']:.1f}x the raw one-statement page: "
                 "the ORM's own work, not the network")
    return text + "."


def _count(n: float, noun: str) -> str:
    return f"{n:g} {noun}{'' if n == 1 else 's'}"
