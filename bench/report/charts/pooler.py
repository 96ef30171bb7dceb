"""Figures of the pooler section (notebook 03): each returns (fig, sentence computed from the data).

`reads`: latency through PgBouncer over direct, per strategy, at each RTT (paired over
repetitions, whiskers the bootstrap interval); the hollow marker is direct-unnamed over
direct-named, the part that is only the loss of prepared statements.
`load`: closed-loop throughput and p99 per strategy and clients, direct (pool budgets) against
the pooler; hatched bars were client-bound (the client side, pooler included, set the pace).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bench.report import palette, pooler_cells
from bench.report.charts import whiskers
from bench.report.charts.read_paths import ORDER

PATH_KEYS = ("path:direct", "path:direct_pool15", "path:direct_unnamed", "path:pgbouncer")


def _times(r: float) -> str:
    return f"{r:.2f}x" if np.isfinite(r) else "n/a (client-bound)"


def reads(ratios: pd.DataFrame):
    if ratios.empty:
        return None, "No read cells through the pooler in this run."
    rtts = sorted(ratios.rtt_ms.unique())
    fig, axes = plt.subplots(1, len(rtts), figsize=(4.8 * len(rtts), 4.0), squeeze=False, sharey=True)
    for k, rtt in enumerate(rtts):
        ax = axes[0][k]
        d = ratios[ratios.rtt_ms == rtt]
        names = [s for s in ORDER if s in set(d.strategy)]
        for i, s in enumerate(names):
            row = d[(d.strategy == s) & (d.comparison == "pooler_vs_direct")]
            if len(row):
                row = row.iloc[0]
                ax.bar(i, row.ratio, color=palette.colour(s), width=0.6)
                ax.errorbar(i, row.ratio, yerr=whiskers.spread(row.ratio, row.lo, row.hi),
                            color=palette.colour("whisker"), capsize=3, lw=1)
            un = d[(d.strategy == s) & (d.comparison == "unnamed_vs_named")]
            if len(un):
                ax.scatter(i, un.ratio.iloc[0], s=40, facecolor=palette.colour("hatch"),
                           edgecolors=palette.colour("path:direct_unnamed"), zorder=3, lw=1.5,
                           label="direct unnamed / direct named" if i == 0 else None)
        ax.axhline(1.0, color=palette.colour("reference"), lw=0.8)
        ax.set_xticks(range(len(names)), [palette.label(s).split(" (")[0] for s in names], rotation=20, ha="right")
        ax.set_title(f"RTT {rtt:g} ms (client to pooler)", fontsize=10)
    axes[0][0].set_ylabel("latency, PgBouncer / direct named (x)")
    axes[0][0].legend(loc="upper left", fontsize=8)
    main = ratios[ratios.comparison == "pooler_vs_direct"]
    worst = main.loc[main.ratio.idxmax()]
    fig.suptitle(f"Through PgBouncer the largest cost is {palette.label(worst.strategy)} at RTT {worst.rtt_ms:g} ms "
                 f"({_times(worst.ratio)} direct)\nbars: pooler / direct named, median of paired repetitions; "
                 "hollow: direct unnamed / named", fontsize=10)
    return fig, reads_sentence(ratios)


def reads_sentence(ratios: pd.DataFrame) -> str:
    parts = []
    for rtt, g in ratios[ratios.comparison == "pooler_vs_direct"].groupby("rtt_ms"):
        parts.append(f"at RTT {rtt:g} ms: " + ", ".join(
            f"{s} {_times(r.ratio)} [{r.lo:.2f}-{r.hi:.2f}] ({r.call})"
            for s, r in g.set_index("strategy").reindex([s for s in ORDER if s in set(g.strategy)]).iterrows()))
    own = ratios[ratios.comparison == "pooler_own"]
    tail = ""
    if len(own):
        tail = (f" The pooler's own cost (PgBouncer unnamed over direct unnamed) ranges {_times(own.ratio.min())}-"
                f"{_times(own.ratio.max())}; the rest is the loss of prepared statements.")
    return "Latency through PgBouncer over direct (named prepared statements), " + "; ".join(parts) + "." + tail


def _key(row) -> str:
    if row["path"] == "pgbouncer":
        return "path:pgbouncer"
    if row["prepared"] == "unnamed":
        return "path:direct_unnamed"
    return "path:direct_pool15" if int(row["budget"]) == 15 else "path:direct"


def load(cells: pd.DataFrame):
    d = cells[cells.client == "psycopg"].copy()
    if d.empty:
        return None, "No load cells through the pooler in this run."
    d["key"] = d.apply(_key, axis=1)
    groups = [(s, c) for s in ORDER for c in sorted(d.clients.unique()) if ((d.strategy == s) & (d.clients == c)).any()]
    keys = [k for k in PATH_KEYS if k in set(d.key)]
    width = 0.8 / len(keys)
    fig, axes = plt.subplots(2, 1, figsize=(9.5, 6.4), sharex=True)
    for j, key in enumerate(keys):
        for i, (s, c) in enumerate(groups):
            row = d[(d.strategy == s) & (d.clients == c) & (d.key == key)]
            if row.empty:
                continue
            row = row.iloc[0]
            x = i - 0.4 + width * (j + 0.5)
            hatch = "//" if row.client_bound else None
            for ax, y in ((axes[0], row.throughput_rps), (axes[1], row.latency_p99_us / 1000)):
                ax.bar(x, y, width, color=palette.colour(key), hatch=hatch, edgecolor=palette.colour("hatch"),
                       label=palette.label(key) if i == 0 and ax is axes[0] else None)
            axes[0].errorbar(x, row.throughput_rps, yerr=whiskers.spread(row.throughput_rps, row.throughput_lo,
                             row.throughput_hi), color=palette.colour("whisker"), lw=0.8)
    axes[1].set_xticks(range(len(groups)), [f"{s}\n{int(c)} clients" for s, c in groups], fontsize=8)
    axes[0].set_ylabel("throughput (bundles/s)")
    axes[1].set_ylabel("p99 latency (ms)")
    fig.legend(*axes[0].get_legend_handles_labels(), fontsize=8, ncol=2, loc="lower center", frameon=False)  # under the axes
    fig.suptitle(load_title(d) + "\nclosed loop, RTT 0, Python load generator (hatched: client-bound)", fontsize=10)
    return fig, load_sentence(cells)


def _ratio(d: pd.DataFrame, strategy: str, col: str) -> float:
    g = d[(d.strategy == strategy) & ~d.client_bound.astype(bool)]  # no ratio rests on a client-bound cell
    pool = g[g.key == "path:pgbouncer"].set_index("clients")[col]
    direct = g[g.key == "path:direct"].set_index("clients")[col]
    both = pool.index.intersection(direct.index)
    return float(np.median(pool.loc[both] / direct.loc[both])) if len(both) else float("nan")


def load_title(d: pd.DataFrame) -> str:
    """The pooler over direct for each strategy with cells that were not client-bound; the others
    named once as client-bound (no ratio rests on them)."""
    strategies = [s for s in ("star_sequential", "star_parallel", "join_json") if s in set(d.strategy)]
    measured = [s for s in strategies if np.isfinite(_ratio(d, s, "throughput_rps"))]
    parts = [f"{s} {_times(_ratio(d, s, 'throughput_rps'))} the throughput, {_times(_ratio(d, s, 'latency_p99_us'))} "
             "the p99" for s in measured]
    bound = [s for s in strategies if s not in measured]
    lead = ("Through PgBouncer under load, of direct (pool 10): " + "; ".join(parts) if parts
            else "Through PgBouncer under load: no cell pair free of the client's limit")
    return lead + (f" ({', '.join(bound)}: client-bound, not compared)" if bound else "")


def load_sentence(cells: pd.DataFrame) -> str:
    """Per client and strategy: the pooler over direct (pool 10, or pgbench's min(clients, 10)
    connections), throughput and p99, median over the client counts where neither cell was
    client-bound; client-bound cells named."""
    d = cells.copy()
    d["key"] = d.apply(_key, axis=1)
    out = []
    for (client, protocol), g in d.groupby(["client", d.protocol.astype(object).fillna("")], sort=True):
        who = f"pgbench -M {protocol}" if protocol else client
        if client == "pgbench":
            g = g.assign(key=g.path.map({"direct": "path:direct", "pgbouncer": "path:pgbouncer"}))
        for s in [x for x in ORDER if x in set(g.strategy)]:
            out.append(f"{who} {s} {_times(_ratio(g, s, 'throughput_rps'))} throughput, "
                       f"{_times(_ratio(g, s, 'latency_p99_us'))} p99")
    bound = d[d.client_bound]
    tail = (f" Client-bound (no verdict rests on them): {len(bound)} of {len(d)} cells, e.g. "
            + ", ".join(f"{r.client} {r.strategy} {int(r.clients)} clients {pooler_cells.load_label(r)}"
                        for _, r in bound.head(3).iterrows()) + "." if len(bound) else "")
    return "PgBouncer over direct under load (closed loop, RTT 0): " + "; ".join(out) + "." + tail
