"""Figures of notebook 02-read-paths: each returns (fig, sentence computed from the data)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import transforms

from bench.report import calls, cells, palette
from bench.report.charts import whiskers

ORDER = ("star_sequential", "star_parallel", "star_pipelined", "join_flat", "join_json", "rpc_bundle")


def latency_vs_rtt(s: pd.DataFrame, bundle: str = "account", scale: str | None = None, table: pd.DataFrame | None = None,
                   envelope: str = "plain"):
    """Median per strategy against the measured RTT (the harness), through one envelope (plain: a
    direct connection as the table owner; rest: PostgREST's requests as authenticated); with the
    requests `table`, the sentence calls the memo's two paths against the JOIN per RTT with their
    paired intervals."""
    scale = scale or cells.largest_scale(s)
    d = s[(s.bundle == bundle) & (s.scale == scale) & (s.envelope == envelope) & (s.indexes == "indexed")]
    fig, ax = plt.subplots(figsize=(8, 4.8))
    drawn = [x for x in ORDER if (d.strategy == x).any()]
    for k, strategy in enumerate(drawn):  # each line nudged sideways a few points: none hides another
        g = d[d.strategy == strategy].sort_values("rtt_measured_ms")
        median_vs_rtt(ax, g, palette.colour(strategy), palette.label(strategy),
                      dodge=(k - (len(drawn) - 1) / 2) * 3.5)
    lows = d[["p50_us", "p50_rep_lo_us"]].min(axis=1) / 1000
    highs = d[["p50_us", "p50_rep_hi_us"]].max(axis=1) / 1000
    ax.set_ylim(float(lows.min()) * 0.8, float(highs.max()) * 1.25)  # the nudged lines are not autoscaled
    rtt_axes(ax, d.rtt_measured_ms, "median latency per bundle (ms, log)")
    best = d.pivot_table(index="rtt_ms", columns="strategy", values="p50_us").idxmin(axis=1)
    lead = (f"{short(best.iloc[0])} is fastest at every RTT" if best.nunique() == 1 else
            "fastest: " + "; ".join(f"{short(b)} {span}" for b, span in _runs(best)))
    path = palette.label(envelope).split(":")[0]  # the short form of the path's label
    ax.set_title(f"'{bundle}', scale {scale}, {path}, the suite's harness:\n{lead}", fontsize=10)
    ax.legend(fontsize=8)
    text = f"{palette.label(envelope)[0].upper()}{palette.label(envelope)[1:]}: " + _rtt_sentence(d)
    if table is not None:
        req = calls.requests(table, bundle=bundle, scale=scale, envelope=envelope)
        req = req[req.client == "psycopg"]
        for a, against in (("star_sequential", ("join_flat", "join_json")), ("star_parallel", ("join_json",))):
            c = calls.calls(req, a, against)
            if len(c):
                text += f" {palette.label(a)} over the faster JOIN, per RTT: " + _called(c, d) + "."
    return fig, text


def _called(c: pd.DataFrame, d: pd.DataFrame) -> str:
    """'RTT 0 ms 2.23x [1.89-2.44] (+0.45 ms) slower', the difference from the medians in `d`."""
    p50 = d.pivot_table(index="rtt_ms", columns="strategy", values="p50_us")
    return ", ".join(f"RTT {r.rtt_ms:g} ms {r.ratio:.2f}x [{r.lo:.2f}-{r.hi:.2f}] "
                     f"({(p50.loc[r.rtt_ms, r.a] - p50.loc[r.rtt_ms, r.b]) / 1000:+.2f} ms) {r.call}"
                     for r in c.itertuples())


def _runs(best: pd.Series) -> list[tuple[str, str]]:
    """Consecutive RTTs with the same fastest strategy, as (strategy, 'at 0 ms' | 'from 0.5 to 40 ms')."""
    out: list[tuple[str, list[float]]] = []
    for rtt, b in best.items():
        if out and out[-1][0] == b:
            out[-1][1].append(rtt)
        else:
            out.append((b, [rtt]))
    return [(b, f"at {r[0]:g} ms" if len(r) == 1 else f"from {r[0]:g} to {r[-1]:g} ms") for b, r in out]


def short(strategy: str) -> str:
    """A strategy's label without its parenthesis ('star, parallel'), for titles."""
    return palette.label(strategy).split(" (")[0]


def median_vs_rtt(ax, g: pd.DataFrame, colour: str, label: str, dodge: float = 0.0) -> None:
    """One line: median latency (ms) against the measured RTT, error bars the per-repetition range;
    `dodge` shifts it sideways by that many points (the data stay where they are)."""
    shift = transforms.offset_copy(ax.transData, fig=ax.figure, x=dodge, y=0, units="points") if dodge else ax.transData
    ax.errorbar(g.rtt_measured_ms, g.p50_us / 1000, yerr=whiskers.spread(g.p50_us, g.p50_rep_lo_us, g.p50_rep_hi_us, 1000),
                marker="o", ms=4, capsize=2, color=colour, label=label, transform=shift)


def log_ms_axis(ax, which: str = "y") -> None:
    """Log axis with plain numbers (1, 2, 5, 10, ...)."""
    getattr(ax, f"set_{which}scale")("log")
    axis = getattr(ax, f"{which}axis")
    axis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "25" else ""))


RTT_TICKS = (0, 0.5, 1, 2, 5, 10, 20, 50, 100, 200)


def rtt_axes(ax, rtts: pd.Series, ylabel: str) -> None:
    """Measured RTT on a numeric x axis: linear from 0 to 1 ms, logarithmic beyond (symlog), so
    0, 0.5 and 2 ms sit apart by their values and 10 and 40 ms still fit; round-number ticks
    with their grid; log latency on y."""
    ax.set_xscale("symlog", linthresh=1, linscale=1)
    top = float(np.nanmax(rtts)) if len(rtts) else 1.0
    ticks = [t for t in RTT_TICKS if t <= top * 1.3] or [0, 1]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.set_xlim(-0.12, top * 1.35)
    log_ms_axis(ax)
    ax.set_xlabel("round-trip time added by the proxy, measured (ms; linear to 1 ms, log beyond; 0 = direct)")
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
    req = cells.by_client(table)
    req = req[(req.record == "request") & (req.bundle == bundle) & (req.rtt_ms == 0)
              & (req.envelope == "plain") & (req.indexes == "indexed") & (req.cache == "warm")]
    scale = scale or cells.largest_scale(req)
    req = req[req.scale == scale].copy()
    req["bin"] = pd.cut(req.audit_rows, FANOUT_BINS, labels=FANOUT_LABELS)
    med = req.groupby(["bin", "strategy"], observed=True).latency_us.median().unstack() / 1000
    n = req.groupby("bin", observed=False).user_idx.nunique()
    filled = [b for b in FANOUT_LABELS if b in med.index]
    span = list(FANOUT_LABELS[FANOUT_LABELS.index(filled[0]):FANOUT_LABELS.index(filled[-1]) + 1])
    med = med.reindex(span)  # empty bins stay on the axis, as gaps: the spacing is the bins'
    fig, ax = plt.subplots(figsize=(8, 4.6))
    x = np.arange(len(span))
    for strategy in ORDER:
        if strategy in med:
            ax.plot(x, med[strategy], marker="o", ms=4, lw=1.2, color=palette.colour(strategy),
                    label=palette.label(strategy))
    ax.set_xticks(x, [f"{b}\n({int(n.get(b, 0))} users)" for b in span], fontsize=8)
    log_ms_axis(ax)
    ax.set_xlabel("the user's audit rows (sampled users, binned; a gap: no sampled user in that bin)")
    ax.set_ylabel("median latency (ms, log)")
    measured = med.dropna(how="all")
    top, light = measured.iloc[-1], measured.iloc[0]
    heavy, lightest = measured.index[-1], measured.index[0]
    ax.set_title(fanout_title(med, n) + f"\n('{bundle}', RTT 0, scale {scale}, median of the sampled users per bin)",
                 fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    flat_json = top['join_flat'] / top['join_json']
    k = int(n.get(heavy, 0))
    text = (f"In the heaviest bin ({heavy} audit rows, {k} sampled user{'' if k == 1 else 's'}), join_flat takes "
            f"{flat_json:.2f}x join_json ({top['join_flat'] - top['join_json']:+.2f} ms) and "
            f"{top['join_flat'] / top['star_sequential']:.2f}x star_sequential"
            f"{' (its rows multiply roles x audit entries)' if flat_json > 1.1 else ''}; in the lightest "
            f"({lightest}), the single JOINs take "
            f"{light['join_json'] / light['star_sequential']:.2f}x the sequential fetches "
            f"({light['join_json'] - light['star_sequential']:+.2f} ms). Medians of the sampled users in each bin, "
            f"{req.rep.nunique() if 'rep' in req else 1} repetitions pooled.")
    return fig, text


MIN_BIN_USERS = 5  # a bin's median from fewer sampled users is drawn, but no growth is claimed from it


def fanout_title(med: pd.DataFrame, n: pd.Series, min_users: int = MIN_BIN_USERS) -> str:
    """The growth from the lightest to the heaviest bin that each hold at least `min_users`
    sampled users, with both bins' user counts; where fewer than two bins do, it says so."""
    enough = [b for b in med.dropna(how="all").index if int(n.get(b, 0)) >= min_users]
    if len(enough) < 2:
        return (f"Too few sampled users per bin to state a growth (fewer than {min_users} users in all but "
                f"{len(enough)} bin{'' if len(enough) == 1 else 's'})")
    lo, hi = enough[0], enough[-1]
    growth = (med.loc[hi] / med.loc[lo]).dropna().sort_values()
    return (f"From {lo} ({int(n[lo])} users) to {hi} audit rows ({int(n[hi])} users), {short(growth.index[-1])} "
            f"grows {growth.iloc[-1]:.1f}x and {short(growth.index[0])} {growth.iloc[0]:.1f}x")


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
    acc0 = med.loc["account"] if "account" in med.index else med.iloc[0]
    ax.set_title(f"The flat JOIN moves {acc0['join_flat'] / acc0['star_sequential']:.1f}x the single-table bytes, "
                 f"json_agg {acc0['join_json'] / acc0['star_sequential']:.1f}x ('account', median user, scale {scale})",
                 fontsize=10)
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
    req = cells.by_client(table[cond & (table.record == "request")])
    server = table[cond & (table.record == "server")].groupby("strategy").server_us.median()
    mean = req.groupby("strategy")[["latency_us", "decode_us", "assemble_us"]].mean()
    strategies = [x for x in ORDER if x in mean.index]
    client = (mean.decode_us + mean.assemble_us).reindex(strategies)
    srv = server.reindex(strategies).fillna(0)
    rest = (mean.latency_us.reindex(strategies) - client - srv).clip(lower=0)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    y = np.arange(len(strategies))
    ax.barh(y, srv / 1000, color=palette.colour("server_time"), label="server execution (pg_stat_statements)")
    ax.barh(y, client / 1000, left=srv / 1000, color=palette.colour("client_time"), label="client decode + assembly")
    ax.barh(y, rest / 1000, left=(srv + client) / 1000, color=palette.colour("network_time"), label="network, waiting, driver")
    ax.set_yticks(y, [palette.label(x) for x in strategies])
    ax.invert_yaxis()
    ax.set_xlabel("mean time per bundle (ms)")
    share = (rest / mean.latency_us.reindex(strategies)).round(2)
    ax.set_title(f"At RTT {rtt_ms:g} ms the network and waiting take {share.min():.0%} to {share.max():.0%} of a bundle "
                 f"('{bundle}', scale {scale})", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    text = ("Share of each request spent on the network and waiting: " +
            ", ".join(f"{palette.label(k)} {v:.0%}" for k, v in share.items()) + ".")
    return fig, text


def condition_cost(s: pd.DataFrame, column: str, base: str, other: str, bundle: str = "account",
                   scale: str | None = None):
    """Median at RTT 0 under two values of a condition (envelope plain/rest, indexes
    indexed/as-written), as points on a log axis joined per strategy (the two can be orders of
    magnitude apart), whiskers the per-repetition range; the ratio and the difference beside."""
    scale = scale or cells.largest_scale(s)
    d = s[(s.bundle == bundle) & (s.scale == scale) & (s.rtt_ms == 0)]
    fixed = {"envelope": "plain", "indexes": "indexed"}
    fixed.pop(column)
    for k, v in fixed.items():
        d = d[d[k] == v]
    names = [x for x in ORDER if x in set(d.strategy)]
    cols = {v: d[d[column] == v].set_index("strategy").reindex(names) for v in (base, other)}
    fig, ax = plt.subplots(figsize=(8.6, 4.2))
    y = np.arange(len(names))
    ax.hlines(y, cols[base].p50_us / 1000, cols[other].p50_us / 1000, color=palette.colour("guide"), lw=2, zorder=1)
    for v in (base, other):
        c = cols[v]
        lo = (c.p50_us - c.get("p50_rep_lo_us", c.p50_us)).clip(lower=0) / 1000
        hi = (c.get("p50_rep_hi_us", c.p50_us) - c.p50_us).clip(lower=0) / 1000
        ax.errorbar(c.p50_us / 1000, y, xerr=[lo, hi], fmt="o", ms=7, color=palette.colour(v), label=palette.label(v),
                    capsize=2, zorder=3)
    ratio = cols[other].p50_us / cols[base].p50_us
    diff = (cols[other].p50_us - cols[base].p50_us) / 1000
    tops = [c.get("p50_rep_hi_us", c.p50_us).to_numpy(dtype=float) / 1000 for c in cols.values()]
    right = float(np.nanmax(np.concatenate(tops))) * 1.3  # the ratio column, clear of every whisker
    for yi, (r, dm) in enumerate(zip(ratio, diff)):
        ax.text(right, yi, f"{r:.2f}x ({dm:+.2f} ms)", va="center", fontsize=8)
    ax.set_yticks(y, [palette.label(x) for x in names])
    ax.invert_yaxis()
    log_ms_axis(ax, "x")
    ax.set_xlim(right=right * 2.2)
    ax.set_xlabel("median latency at RTT 0 (ms, log; whiskers: range of the per-repetition medians)")
    ax.set_title(condition_title(column, base, other, ratio, diff, names)
                 + f"\n('{bundle}', scale {scale}, RTT 0, median per bundle)", fontsize=10)
    fig.legend(*ax.get_legend_handles_labels(), fontsize=8, loc="lower center", ncol=2, frameon=False)  # placed by publish
    text = (f"{palette.label(other)} against {palette.label(base)} at RTT 0, scale {scale}, median per bundle: "
            + ", ".join(f"{palette.label(k)} {r:.2f}x ({dm:+.2f} ms)" for k, r, dm in zip(names, ratio, diff)) + ".")
    return fig, text


CONDITION_WORDS = {"as-written": "As the memo wrote it (no user_id index)",
                   "rest": "Through PostgREST's statements and RLS"}
BASE_WORDS = {"indexed": "with the index", "plain": "on a direct connection"}


def condition_title(column: str, base: str, other: str, ratio: pd.Series, diff: pd.Series, names: list[str]) -> str:
    """'As the memo wrote it (no user_id index), a bundle takes 218x to 411x its time with the
    index (+197.24 to +251.37 ms)': the finding, from the ratios drawn."""
    r = pd.Series(np.asarray(ratio, dtype=float), index=names).dropna()
    dm = pd.Series(np.asarray(diff, dtype=float), index=names).dropna()
    if r.empty:
        return f"No {column} cells to compare"
    lead = CONDITION_WORDS.get(other, palette.label(other))
    than = BASE_WORDS.get(base, f"with {palette.label(base)}")
    def times(v: float) -> str:
        return f"{v:.0f}x" if v >= 10 else f"{v:.2f}x"
    span = times(r.min()) if np.isclose(r.min(), r.max(), rtol=0.005) else f"{times(r.min())} to {times(r.max())}"
    return f"{lead}, a bundle takes {span} its time {than} ({dm.min():+.2f} to {dm.max():+.2f} ms)"


def fidelity(table: pd.DataFrame) -> pd.DataFrame:
    f = table[table.record == "pgbench"].copy()
    return f[["scale", "bundle", "strategy", "pgbench_us", "harness_mean_us", "client_decode_us", "ratio",
              "wire_ratio"]].round(2)
