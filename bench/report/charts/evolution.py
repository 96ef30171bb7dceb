"""Figures of notebook 08-evolution-caching: each returns (fig, sentence computed from the data)."""
from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bench.report import evolution_cells as cells
from bench.report import palette
from bench.report.charts import whiskers
from bench.results import stats

SHORT = {"no_long_txn": "quiet hub", "long_txn": "long transaction", "long_txn_lock_timeout": "long transaction,\nlock_timeout + retry"}
READ_STRATEGIES = ("star_sequential", "star_parallel", "star_pipelined", "join_flat", "join_json")


def _ms(us: float) -> str:
    return f"{us / 1000:.1f} ms" if us < 1e6 else f"{us / 1e6:.2f} s"


def _grouped(ax, groups, series: dict[str, list[float]], log: bool = False):
    """Bars per group (x) and series (colour from the palette)."""
    width = 0.8 / max(1, len(series))
    x = np.arange(len(groups))
    for i, (key, values) in enumerate(series.items()):
        ax.bar(x + (i - (len(series) - 1) / 2) * width, values, width, color=palette.colour(key),
               label=palette.label(key))
    ax.set_xticks(x, groups)
    if log:
        ax.set_yscale("log")


def recipe_wait(table: pd.DataFrame):
    """The slowest request of each kind while the recipe ran, per condition, star and relational."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
    for ax, change in zip(axes, cells.RECIPES):
        series = {kind: [cells.worst(table, change, cond).get(kind, np.nan) / 1000 for cond in cells.CONDITIONS]
                  for kind in cells.KINDS}
        _grouped(ax, [SHORT[c] for c in cells.CONDITIONS], series, log=True)
        rel, mode = cells.strongest_lock(table, change)
        ax.set_title(f"{change}: {mode} on {rel}", fontsize=9.5)
        ax.tick_params(axis="x", labelsize=8)
    axes[0].set_ylabel("slowest request (ms from intended start, log)")
    axes[1].legend(fontsize=7.5, loc="upper right")
    star = cells.worst(table, "recipe_star", "long_txn")
    timeout = cells.worst(table, "recipe_star", "long_txn_lock_timeout")
    fig.suptitle(f"A long transaction on the hub makes every signup wait for the memo's CREATE TABLE "
                 f"({_ms(star['signup'])}); lock_timeout + retry caps it at {_ms(timeout['signup'])}", fontsize=10)
    text = (f"With a long transaction on auth.users, the memo's CREATE TABLE ... REFERENCES auth.users made the "
            f"slowest signup wait {_ms(star['signup'])} and the slowest sign-in {_ms(star['sign_in'])}; reads and "
            f"spoke writes did not wait ({_ms(star['read'])}, {_ms(star['spoke_write'])}). With lock_timeout and "
            f"retries the slowest signup took {_ms(timeout['signup'])}.")
    return fig, text


def recipe_timeline(table: pd.DataFrame, change: str = "recipe_star"):
    """Every request around the recipe, against time from the change's start, per condition."""
    d = cells.records(table, "request")
    d = d[d.change == change]
    conds = [c for c in cells.CONDITIONS if c != "no_long_txn" and (d.condition == c).any()]
    fig, axes = plt.subplots(1, len(conds), figsize=(10, 4), sharey=True, squeeze=False)
    for ax, cond in zip(axes[0], conds):
        g = d[d.condition == cond]
        for kind in cells.KINDS:
            k = g[g.kind == kind]
            ax.scatter(k.t_ms, k.latency_from_intended_us / 1000, s=9, color=palette.colour(kind),
                       label=palette.label(kind), alpha=0.8)
        ax.axvspan(0, cells.duration_us(table, change, cond) / 1000, color=palette.colour("background"), zorder=0)
        ax.set_yscale("log")
        ax.set_xlabel("intended start, ms from the change's start (shaded: the change)")
        ax.set_title(palette.label(cond), fontsize=9.5)
    axes[0][0].set_ylabel("latency from intended start (ms, log)")
    axes[0][-1].legend(fontsize=7.5, loc="upper right")
    held = cells.worst(table, change, "long_txn")
    fig.suptitle(f"{change}: hub writes queue behind the waiting DDL until the long transaction ends", fontsize=10)
    text = (f"While the DDL waited for the long transaction, signups and sign-ins piled up behind it "
            f"(slowest {_ms(held['signup'])}) and all went through together when it got its lock.")
    return fig, text


def spoke_changes(table: pd.DataFrame):
    """Per change on the loaded spoke: its duration beside the slowest write and read it caused."""
    s = cells.spoke_summary(table)
    fig, ax = plt.subplots(figsize=(10, 4.6))
    y = np.arange(len(s))
    h = 0.27
    ax.barh(y - h, s.duration_us / 1000, h, color=palette.colour("muted"), label="the change itself")
    ax.barh(y, s.worst_write_us / 1000, h, color=palette.colour("spoke_write"), label="slowest write (signup or spoke)")
    ax.barh(y + h, s.worst_read_us / 1000, h, color=palette.colour("read"), label="slowest read")
    ax.set_yticks(y, [f"{r.change}\n{r.mode} on {r.relation}" for r in s.itertuples()], fontsize=7.5)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("ms (log)")
    ax.axvline(cells.STALL_US / 1000, color=palette.colour("bad"), lw=0.8, ls="--")
    ax.legend(fontsize=7.5, loc="lower right")
    stalled = s[s.stalled_kinds.map(len) > 0]
    ax.set_title("Plain index, SET NOT NULL and a plain foreign key stall the application; CONCURRENTLY and "
                 "NOT VALID + VALIDATE do not" if {"index_plain", "fk_plain"} <= set(stalled.change)
                 and not {"index_concurrently", "fk_validate"} & set(stalled.change)
                 else "Changes to a loaded spoke: duration and the slowest request each caused", fontsize=10)
    text = ("On the loaded spoke, " + (", ".join(f"{r.change} ({_ms(r.duration_us)}, {r.mode})" for r in stalled.itertuples())
                                       or "no change") +
            f" stalled the application (a request over {_ms(cells.STALL_US)}, dashed); "
            + ", ".join(s[s.stalled_kinds.map(len) == 0].change) + " did not.")
    return fig, text


def cache_latency(table: pd.DataFrame, sampling: str = "uniform"):
    """Median latency per strategy, warm, shared buffers evicted, and cold; per-rep range as whiskers."""
    m = cells.cache_medians(table, sampling)
    fig, ax = plt.subplots(figsize=(11, 4.2))
    names = [s for s in READ_STRATEGIES if (m.strategy == s).any()]
    caches = cells.present(m)
    width = 0.8 / len(caches)
    x = np.arange(len(names))
    for i, cache in enumerate(caches):
        c = m[m.cache == cache].set_index("strategy").reindex(names)
        off = x + (i - (len(caches) - 1) / 2) * width
        ax.bar(off, c.p50_us / 1000, width, color=palette.colour(cache), label=palette.label(cache))
        ax.errorbar(off, c.p50_us / 1000, yerr=whiskers.spread(c.p50_us, c.lo_us, c.hi_us, 1000),
                    fmt="none", ecolor=palette.colour("muted"), lw=0.8, capsize=2)
    ax.set_xticks(x, [textwrap.fill(palette.label(n), 18) for n in names], fontsize=8)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("median latency per bundle (ms)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    cold = m[m.cache == "cold"].set_index("strategy")
    scale = cells.records(table, "request").scale.iloc[0]
    called = cells.cold_call(table, "star_parallel", ("join_json",), stats.MARGIN) if sampling == "uniform" else None
    if called is None:
        lead = "Cold, parallel fetching against one JOIN: no paired cold cells to call"
        tail = "."
    else:
        call, ratio, b = called
        lead = (f"Cold, parallel fetching takes {ratio:.2f}x one JOIN's time: {call}"
                f"{'' if call in (stats.EQUIVALENT, stats.UNDECIDED) else ' than ' + palette.label(b)}")
        tail = (f"; star_parallel over {b}, paired per repetition: {ratio:.2f}x, {call} (margin "
                f"{stats.MARGIN:.0%}).")
    ax.set_title(f"{lead}\n(scale {scale}, {sampling} sampling; whiskers: range of per-repetition medians)", fontsize=10)
    text = f"Cold at scale {scale} ({sampling} sampling), median per bundle: " + ", ".join(
        f"{palette.label(n)} {_ms(cold.loc[n, 'p50_us'])}" for n in names) + tail
    return fig, text


def cache_buffers(table: pd.DataFrame, sampling: str = "uniform"):
    """Shared buffers touched per bundle and strategy: hit and read, per cache condition."""
    b = cells.buffers(table, sampling)
    names = [s for s in READ_STRATEGIES if (b.strategy == s).any()]
    caches = cells.present(b)
    fig, axes = plt.subplots(1, len(caches), figsize=(3.4 * len(caches), 4), sharey=True, squeeze=False)
    axes = axes[0]
    for ax, cache in zip(axes, caches):
        c = b[b.cache == cache].set_index("strategy").reindex(names)
        ax.bar(names, c.shared_hit_per_request, color=palette.colour("warm"), label="shared hit")
        ax.bar(names, c.shared_read_per_request, bottom=c.shared_hit_per_request, color=palette.colour("cold"),
               label="shared read (from the OS or disk)")
        ax.set_title(palette.label(cache), fontsize=9)
        ax.tick_params(axis="x", rotation=35, labelsize=7.5)
    axes[0].set_ylabel("shared buffers per bundle")
    axes[0].set_ylim(0, float((b.shared_hit_per_request + b.shared_read_per_request).max()) * 1.1)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8, frameon=False)
    cold = b[b.cache == "cold"].set_index("strategy")
    touched = cold.shared_hit_per_request + cold.shared_read_per_request
    fig.suptitle(f"Each strategy touches the same {touched.min():.0f}-{touched.max():.0f} pages per bundle: "
                 "separate tables are not cached any better than one JOIN", fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 0.95))
    text = (f"Every strategy touches {touched.min():.0f} to {touched.max():.0f} shared buffers per bundle: the star's "
            f"separate queries read the same pages as one JOIN, so caching each table independently saves no page. "
            f"Cold, reading them took {cold.read_us_per_request.min() / 1000:.1f} to "
            f"{cold.read_us_per_request.max() / 1000:.1f} ms per bundle (track_io_timing).")
    return fig, text
