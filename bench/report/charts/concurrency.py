"""Figures of notebook 03-concurrency: each returns (fig, sentence computed from the data).

Load cells are merged across repetitions from their encoded HdrHistograms (never averaged
percentiles); throughput is the median across repetitions. Client-bound cells (`loadrun`: a
sender process at >= 90% of a core, or the machine's cores busy and the client using more of
them than PostgreSQL) are drawn hollow: there the client, not PostgreSQL, set the pace.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import transforms

from bench.report import cells, palette
from bench.report.charts import whiskers
from bench.report.charts.read_paths import ORDER, short


def _log_ms(ax) -> None:
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "25" else ""))


def _plot(ax, g, x, y, strategy, order=None, div: float = 1000, **kw):
    """One strategy's line (y in µs shown in ms unless div says otherwise); client-bound points hollow."""
    g = g.sort_values(order or x)
    ax.plot(g[x], g[y] / div, color=palette.colour(strategy), label=palette.label(strategy), lw=1.3, **kw)
    for bound, marker_face in ((False, palette.colour(strategy)), (True, "white")):
        d = g[g.client_bound == bound]
        ax.scatter(d[x], d[y] / div, s=22, color=marker_face, edgecolors=palette.colour(strategy), zorder=3)


def _python(c: pd.DataFrame) -> pd.DataFrame:
    return c[c.client == cells.LOAD_CLIENT]


def throughput_latency(c: pd.DataFrame, client: str = cells.LOAD_CLIENT,
                       who: str = "Python load generator", xlabel: str = "closed-loop clients"):
    """Closed loop, one load client (the Python load generator unless `client` says another):
    throughput (top) and p99 latency (bottom) against the number of clients, per RTT; every line
    runs left to right, one legend for the panels."""
    c = c[c.client == client]
    d = c[(c["mode"] == "closed") & c.sweep.isna() & (c.budget == c.budget.mode().iloc[0])]
    rtts = sorted(d.rtt_ms.unique())
    fig, axes = plt.subplots(2, len(rtts), figsize=(4.8 * len(rtts), 6.4), squeeze=False, sharex=True)
    for k, rtt in enumerate(rtts):
        top, bottom = axes[0][k], axes[1][k]
        for strategy in ORDER:
            g = d[(d.rtt_ms == rtt) & (d.strategy == strategy)]
            if g.empty:
                continue
            _plot(top, g, "clients", "throughput_rps", strategy, div=1)
            _plot(bottom, g, "clients", "latency_p99_us", strategy)
        top.set_title(f"RTT {rtt:g} ms", fontsize=10)
        top.set_ylim(bottom=0)
        _log_ms(bottom)
        bottom.set_xscale("log")
        ticks = sorted(d.clients.unique())
        bottom.set_xticks(ticks, [str(int(t)) for t in ticks])
        bottom.xaxis.set_minor_locator(plt.NullLocator())
        bottom.set_xlabel(xlabel)
    axes[0][0].set_ylabel("throughput (bundles per second)")
    axes[1][0].set_ylabel("p99 latency (ms, log)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    sat = cells.saturation(d)
    peaks = {r: g.loc[g.throughput_rps.idxmax(), "strategy"] for r, g in sat.groupby("rtt_ms")}
    lead = (f"{palette.label(next(iter(peaks.values())))} peaks highest at every RTT" if len(set(peaks.values())) == 1
            else "; ".join(f"{palette.label(v)} peaks highest at RTT {r:g} ms" for r, v in peaks.items()))
    fig.suptitle(f"{lead}\nclosed loop, {who}, budget {int(d.budget.iloc[0])} connections "
                 "(hollow points: client-bound)", fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig, _saturation_sentence(d)


def saturation_clients(c: pd.DataFrame):
    """Saturation throughput per strategy and RTT, side by side for each load client; the bar
    is the median repetition, the whisker the range; hatched bars were client-bound."""
    sat = cells.saturation(c)
    clients = sorted(sat.client.unique(), key=lambda k: (k != cells.LOAD_CLIENT, k))
    rtts = sorted(sat.rtt_ms.unique())
    fig, axes = plt.subplots(1, len(rtts), figsize=(4.8 * len(rtts), 4.2), squeeze=False, sharey=True)
    width = 0.8 / len(clients)
    for ax, rtt in zip(axes[0], rtts):
        names = [s for s in ORDER if s in set(sat[sat.rtt_ms == rtt].strategy)]
        for k, client in enumerate(clients):
            g = sat[(sat.rtt_ms == rtt) & (sat.client == client)].set_index("strategy")
            first = True
            for i, strategy in enumerate(names):
                if strategy not in g.index:
                    continue
                row = g.loc[strategy]
                x = i - 0.4 + width * (k + 0.5)
                ax.bar(x, row.throughput_rps, width * 0.92, color=palette.colour(f"client:{client}"),
                       hatch="///" if row.client_bound else None, edgecolor=palette.colour("hatch") if row.client_bound else None,
                       label=palette.label(f"client:{client}") if first else None)
                first = False
                ax.errorbar(x, row.throughput_rps, yerr=whiskers.spread(row.throughput_rps, row.throughput_lo, row.throughput_hi),
                            color=palette.colour("whisker"), lw=0.8, capsize=2)
        ax.set_xticks(range(len(names)), [palette.label(s) for s in names], rotation=25, ha="right", fontsize=8)
        ax.set_title(f"RTT {rtt:g} ms", fontsize=10)
    axes[0][0].set_ylabel("saturation throughput (bundles per second)")
    found = {}
    for ax in axes[0]:
        found.update(zip(*reversed(ax.get_legend_handles_labels())))
    fig.legend(found.values(), found.keys(), loc="lower center", ncol=len(found), fontsize=8, frameon=False)
    fig.suptitle("Saturation throughput by load client (hatched: the client side, not PostgreSQL, was the bottleneck)",
                 fontsize=10.5)
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    return fig, _clients_sentence(sat)


def _clients_sentence(sat: pd.DataFrame) -> str:
    parts = []
    for (client, rtt), g in sat.groupby(["client", "rtt_ms"]):
        free = g[~g.client_bound.astype(bool)]
        if free.empty:
            parts.append(f"{client} at RTT {rtt:g} ms: every saturation cell client-bound")
            continue
        best = free.loc[free.throughput_rps.idxmax()]
        parts.append(f"{client} at RTT {rtt:g} ms: {palette.label(best.strategy)} highest of the cells that were not "
                     f"client-bound ({best.throughput_rps:,.0f}/s; {len(g) - len(free)} of {len(g)} client-bound)")
    return "Saturation throughput by load client: " + "; ".join(parts) + "."


def _saturation_sentence(d: pd.DataFrame) -> str:
    sat = cells.saturation(d)
    parts = []
    for rtt, g in sat.groupby("rtt_ms"):
        g = g.sort_values("throughput_rps", ascending=False)
        best, worst = g.iloc[0], g.iloc[-1]
        parts.append(f"at RTT {rtt:g} ms {palette.label(best.strategy)} peaks highest ({best.throughput_rps:,.0f}/s), "
                     f"{best.throughput_rps / worst.throughput_rps:.1f}x {palette.label(worst.strategy)} "
                     f"({worst.throughput_rps:,.0f}/s)")
    bound = int(d.client_bound.sum())
    text = ("Saturation throughput: " + "; ".join(parts) + f". {bound} of {len(d)} cells were client-bound "
            "(hollow points: the client, not PostgreSQL, used most of the busy CPU).")
    if "other_cpu_cores" in d and d.other_cpu_cores.notna().any():
        text += (f" Other processes on the machine took {d.other_cpu_cores.median():.2f} of its "
                 "cores (median over the cells): numbers from a shared machine.")
    return text


def crossover(c: pd.DataFrame, a: str = "star_parallel", b: str = "join_json") -> str:
    """Where a's p99 (from the intended start) first exceeds b's as the offered load grows."""
    d = _python(c)
    d = d[d["mode"] == "open"].pivot_table(index="rate", columns="strategy", values="latency_p99_us").sort_index()
    if not {a, b} <= set(d.columns):
        return "No open-loop cells for both strategies."
    diff = (d[a] - d[b]).to_numpy()
    x = d.index.to_numpy()
    if diff[0] > 0:
        return (f"{palette.label(a)}'s p99 is already above {palette.label(b)}'s at the lowest offered load "
                f"({x[0]:,.0f}/s: {d[a].iloc[0] / 1000:.1f} ms against {d[b].iloc[0] / 1000:.1f} ms).")
    for i in range(len(diff) - 1):
        if diff[i] <= 0 < diff[i + 1]:
            at = x[i] + (x[i + 1] - x[i]) * -diff[i] / (diff[i + 1] - diff[i])
            return (f"{palette.label(a)}'s p99 overtakes {palette.label(b)}'s at about {at:,.0f} requests/s offered "
                    f"(interpolated between {x[i]:,.0f} and {x[i + 1]:,.0f}/s).")
    return f"{palette.label(a)}'s p99 stays at or below {palette.label(b)}'s up to {x[-1]:,.0f}/s offered."


def open_loop(c: pd.DataFrame):
    """Open loop, the Python load generator: p99 from the intended start (solid) and of service
    time alone (dashed)."""
    d = _python(c)
    d = d[d["mode"] == "open"]
    fig, ax = plt.subplots(figsize=(8, 4.6))
    for strategy in ORDER:
        g = d[d.strategy == strategy].sort_values("rate")
        if g.empty:
            continue
        _plot(ax, g, "rate", "latency_p99_us", strategy)
        ax.plot(g.rate, g.service_p99_us / 1000, color=palette.colour(strategy), lw=0.9, ls="--")
    _log_ms(ax)
    ax.set_xlabel("offered load (Poisson arrivals per second)")
    ax.set_ylabel("p99 latency (ms, log)")
    ax.set_title("Open loop at RTT 0: p99 from the intended start (solid) and service time only (dashed)")
    ax.legend(fontsize=7.5)
    top = d[d.rate == d.rate.max()]
    hidden = (top.latency_p99_us / top.service_p99_us).max()
    worst = top.loc[(top.latency_p99_us / top.service_p99_us).idxmax(), "strategy"]
    text = (crossover(c) + f" At the highest offered load ({d.rate.max():,.0f}/s) measuring from the send instead of "
            f"the intended start would understate {palette.label(worst)}'s p99 {hidden:.1f}x (coordinated omission).")
    return fig, text


def budget(c: pd.DataFrame):
    """Closed loop at a fixed number of clients, as the connection budget changes."""
    d = _python(c)
    d = d[d.sweep == "budget"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.5, 4.2))
    for strategy in ORDER:
        g = d[d.strategy == strategy].sort_values("budget")
        if g.empty:
            continue
        ax1.plot(g.budget, g.throughput_rps, marker="o", color=palette.colour(strategy), label=palette.label(strategy))
        ax2.plot(g.budget, g.pool_wait_p50_us / 1000, marker="o", color=palette.colour(strategy))
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_xticks(sorted(d.budget.unique()), [str(int(b)) for b in sorted(d.budget.unique())])
        ax.xaxis.set_minor_formatter(plt.NullFormatter())
        ax.set_xlabel("connections in the pool (budget)")
    ax1.set_ylabel("throughput (bundles per second)")
    ax2.set_ylabel("median pool wait per request (ms)")
    ax1.legend(fontsize=7.5)
    fig.suptitle(f"{int(d.clients.iloc[0])} closed-loop clients against the connection budget")
    p = d.pivot_table(index="budget", columns="strategy", values="pool_wait_p50_us")
    lat = d.pivot_table(index="budget", columns="strategy", values="latency_p50_us")
    tput = d.pivot_table(index="budget", columns="strategy", values="throughput_rps")
    lo, hi = p.index.min(), p.index.max()
    text = (f"With {int(lo)} connections the median request waits for the pool " +
            ", ".join(f"{p.loc[lo, s] / 1000:.1f} ms of its {lat.loc[lo, s] / 1000:.1f} ms ({palette.label(s)})"
                      for s in p.columns) +
            " (star_parallel's wait is summed over its three connections). " +
            (f"From {int(lo)} to {int(hi)} connections throughput changes " +
             ", ".join(f"{tput.loc[hi, s] / tput.loc[lo, s]:.2f}x for {palette.label(s)}" for s in p.columns) + "."
             if hi != lo else ""))
    return fig, text


MARKERS = {"star_parallel": "o", "star_sequential": "s", "star_pipelined": "^", "join_json": "D", "join_flat": "v"}


def torn_reads(cons: pd.DataFrame, bundle: str = "account"):
    """Torn reads per 10,000 against the write rate the writer achieved, coloured by isolation
    (what decides tearing), marked by read path; beside it each path's median latency."""
    d = cons[cons.bundle == bundle]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11.5, 4.8), gridspec_kw={"width_ratios": [1.3, 1]})
    paths = list(d[["strategy", "condition"]].drop_duplicates().itertuples(index=False))
    never = [(st, c) for st, c in paths if not (d[(d.strategy == st) & (d.condition == c)].torn > 0).any()]
    labels = []
    for strategy, condition in paths:
        g = d[(d.strategy == strategy) & (d.condition == condition)].sort_values("write_rate")
        name = f"{short(strategy)}, {condition}"
        colour = palette.colour(f"isolation:{condition}")
        # the paths that never tore all lie on 0: each is drawn a few points lower than the last,
        # in a band under the axis' zero, so none hides another (the values stay 0)
        k = never.index((strategy, condition)) if (strategy, condition) in never else None
        shift = transforms.offset_copy(ax1.transData, fig=fig, x=0, y=-(k + 1) * 6 if k is not None else 0,
                                       units="points")
        ax1.plot(g.write_rate_achieved, g.torn_per_10k, marker=MARKERS.get(strategy, "o"), ms=5, lw=1.1,
                 color=colour, label=name + (" (never tore)" if k is not None else ""), transform=shift,
                 clip_on=False)
        labels.append((name, g.latency_p50_us.iloc[-1], colour))
    ax1.set_xlabel("writes per second the writer achieved (two spokes per transaction)")
    ax1.set_ylabel("torn reads per 10,000 bundles")
    top = max(float(d.torn_per_10k.max()), 1.0) * 1.1
    band = (len(never) + 1) * 6 / 72 / (fig.get_figheight() * 0.7)  # the lowered lines' band, as a share
    ax1.set_ylim(-top * band / (1 - band), top)
    right = max(float(d.write_rate_achieved.max()), 1.0)
    ax1.set_xlim(-right * 0.05, right * 1.05)  # the lowered lines are not autoscaled
    ax1.axhline(0, color=palette.colour("reference"), lw=0.6)
    ax1.set_yticks([t for t in ax1.get_yticks() if 0 <= t <= top])  # the band under 0 is no value: no ticks there
    if never:
        ax1.annotate("below the line: paths that never tore (all 0), drawn apart", (1, 0), xycoords=("axes fraction", "data"),
                     xytext=(-2, 2), textcoords="offset points", ha="right", va="bottom", fontsize=7,
                     color=palette.colour("muted"))
    ax1.legend(fontsize=7, loc="upper left")
    y = np.arange(len(labels))
    ax2.barh(y, [v / 1000 for _, v, _ in labels], color=[c for _, _, c in labels])
    ax2.set_yticks(y, [n for n, _, _ in labels], fontsize=7)
    ax2.invert_yaxis()
    ax2.set_xlabel("median latency at the top write rate (ms)")
    top = d[d.write_rate == d.write_rate.max()]
    tore = sorted({c for c in top[top.torn > 0].condition})
    torn_top = top[top.torn > 0]
    worst = torn_top.loc[torn_top.torn_per_10k.idxmax()] if len(torn_top) else None
    clean = sorted({c for c in top.condition} - set(tore))
    fig.suptitle(f"'{bundle}': at {top.write_rate_achieved.mean():.0f} writes/s "
                 + (f"{short(worst.strategy)} under {worst.condition} tore {worst.torn_per_10k:.0f} reads per 10,000; "
                    if worst is not None else "no read path tore; ")
                 + (f"{', '.join(clean)} never did" if clean else "every isolation tore"), fontsize=10.5)
    fig.tight_layout()
    return fig, _torn_sentence(d)


def _torn_sentence(d: pd.DataFrame) -> str:
    top = d[d.write_rate == d.write_rate.max()]
    torn = top[top.torn > 0].sort_values("torn_per_10k", ascending=False)
    clean = top[top.torn == 0]
    text = (f"At {top.write_rate_achieved.mean():.0f} writes/s: " +
            (", ".join(f"{palette.label(r.strategy)} ({r.condition}) {r.torn_per_10k:.0f}" for r in torn.itertuples())
             + " torn reads per 10,000" if len(torn) else "no read path tore") + "; " +
            (", ".join(f"{palette.label(r.strategy)} ({r.condition})" for r in clean.itertuples()) + " none" if len(clean)
             else "every path tore") + ".")
    base = top[(top.strategy == "star_parallel") & (top.condition == "read committed")]
    snap = top[(top.strategy == "star_parallel") & (top.condition == "exported snapshot")]
    if len(base) and len(snap):
        text += (f" Sharing one exported snapshot costs star_parallel {snap.latency_p50_us.iloc[0] / base.latency_p50_us.iloc[0]:.1f}x "
                 "its median latency (one more connection and round trip).")
    return text


def locks(c: pd.DataFrame):
    """Narrow and wide join: the relation locks each holds (and how many fast-path), and their
    throughput at the clients measured."""
    d = c[c.record == "locks"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.2))
    names = sorted(d.strategy.unique(), key=lambda n: n != "narrow_join")
    first = d.groupby("strategy").first().reindex(names)
    y = np.arange(len(names))
    ax1.barh(y - 0.2, first.locks_planned, 0.4, color=palette.colour("muted"), label="relation locks when planned")
    ax1.barh(y + 0.2, first.fastpath_locks_planned, 0.4, color=palette.colour("good"), label="of them fast-path")
    ax1.axvline(16, color=palette.colour("reference"), lw=0.8, ls="--")
    ax1.text(16.3, -0.45, "16: fast-path slots\nup to PostgreSQL 17", fontsize=7.5, va="top")
    ax1.set_yticks(y, [palette.label(n) for n in names])
    ax1.set_xlabel("locks held by one statement")
    ax1.legend(fontsize=7.5, loc="lower right")
    clients = sorted(d.clients.unique())
    width = 0.8 / len(names)
    for i, n in enumerate(names):
        g = d[d.strategy == n].set_index("clients").reindex(clients)
        ax2.bar(np.arange(len(clients)) + (i - (len(names) - 1) / 2) * width, g.throughput_rps, width,
                color=palette.colour(n), label=palette.label(n))
    ax2.set_xticks(np.arange(len(clients)), [f"{int(k)} client{'s' if k != 1 else ''}" for k in clients])
    ax2.set_ylabel("throughput (statements per second)")
    ax2.legend(fontsize=7.5)
    wide = d[d.strategy == "wide_join"]
    share = d.lock_manager_wait_share.max()
    fig.suptitle(f"The wide join holds {int(wide.locks_planned.max())} relation locks, "
                 f"{int(wide.fastpath_locks_planned.max())} fast-path here; LockManager waits in {share:.1%} of samples",
                 fontsize=10.5)
    fig.tight_layout()
    lo, hi = d.clients.min(), d.clients.max()
    scaling = {n: g.set_index("clients").throughput_rps for n, g in d.groupby("strategy")}
    text = ("From " + f"{int(lo)} to {int(hi)} clients throughput scales " +
            ", ".join(f"{s[hi] / s[lo]:.1f}x for {n}" for n, s in scaling.items()) +
            f"; the wide join holds {int(wide.locks_planned.max())} relation locks when planned, "
            f"{int(wide.fastpath_locks_planned.max())} of them fast-path on this server, and "
            f"backends were seen waiting on LockManager in {share:.1%} of active samples. Two client counts show "
            "whether the lock manager was contended, not how throughput scales.")
    return fig, text
