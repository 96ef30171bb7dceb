"""Figures of notebook 01-dataset: each takes the `dataset` results table, returns (fig, sentence)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bench.report import cells, palette

SPOKE_ORDER = ("profiles", "user_roles", "auth_audit_log", "user_state", "chat_sessions",
               "message_cache", "session_shares", "session_analytics")


def _short(name: str) -> str:
    return name.split(".")[-1]


def schema_graph(ds: pd.DataFrame):
    """The foreign-key graph of each variant, drawn around auth.users."""
    fk = ds[ds.metric == "foreign_key"]
    fk = fk[fk.scale == cells.largest_scale(fk)]  # the catalog is the same at every scale: one of them
    variants = list(dict.fromkeys(fk.strategy))
    fig, axes = plt.subplots(1, len(variants), figsize=(4.2 * len(variants), 4.4))
    for ax, variant in zip(np.atleast_1d(axes), variants):
        edges = fk[fk.strategy == variant]
        tables = sorted({_short(t) for t in edges["table"]} | {_short(t) for t in edges["references"]} | {"users"},
                        key=lambda t: (t != "users", SPOKE_ORDER.index(t) if t in SPOKE_ORDER else 99))
        angle = np.linspace(0, 2 * np.pi, len(tables) - 1, endpoint=False) + np.pi / 2
        pos = {"users": (0.0, 0.0), **{t: (np.cos(a), np.sin(a)) for t, a in zip(tables[1:], angle)}}
        for _, e in edges.iterrows():
            (x0, y0), (x1, y1) = pos[_short(e["table"])], pos[_short(e["references"])]
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                        arrowprops={"arrowstyle": "-|>", "color": palette.NEUTRAL, "shrinkA": 18, "shrinkB": 18, "lw": 1.2})
        for t, (x, y) in pos.items():
            label = "auth.users" if t == "users" else t
            ax.text(x, y, label, ha="center", va="center", fontsize=8,
                    bbox={"boxstyle": "round", "fc": palette.colour("hub" if t == "users" else "table"), "ec": palette.NEUTRAL})
        lonely = [t for t in SPOKE_ORDER if t in pos and t != "users"
                  and not ((edges["table"].map(_short) == t).any())]
        ax.set_title(f"{variant}: {len(edges)} foreign keys" + (f" ({len(lonely)} tables unchecked)" if lonely else ""),
                     fontsize=10)
        ax.set_xlim(-1.45, 1.45)
        ax.set_ylim(-1.3, 1.3)
        ax.axis("off")
    counts = fk.groupby("strategy").size()
    sentence = (f"Foreign keys per variant (the same at every scale; drawn from scale {fk.scale.iloc[0]}): " + ", ".join(f"{v} {counts.get(v, 0)}" for v in variants)
                + ". Arrows point from the referencing table to the referenced one.")
    return fig, sentence


def rows_per_scale(ds: pd.DataFrame):
    planned = ds[ds.metric == "planned_rows"].pivot_table(index="table", columns="scale", values="rows", aggfunc="first")
    scales = [s for s in ("xs", "s", "m", "l") if s in planned.columns]
    planned = planned[scales].loc[sorted(planned.index, key=lambda t: planned.loc[t, scales[-1]], reverse=True)]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    width = 0.8 / len(scales)
    x = np.arange(len(planned))
    for i, s in enumerate(scales):
        ax.bar(x + i * width, planned[s].fillna(0), width, label=s)
    ax.set_yscale("log")
    ax.set_xticks(x + width * (len(scales) - 1) / 2, [_short(t) for t in planned.index], rotation=30, ha="right")
    ax.set_ylabel("rows (log scale)")
    ax.legend(title="scale")
    biggest = planned.index[0]
    top = scales[-1]
    total = planned[top].sum()
    sentence = (f"At scale {top}, {_short(biggest)} holds {planned.loc[biggest, top] / total:.0%} of "
                f"{total:,.0f} rows; auth.users is {planned.loc['auth.users', top]:,.0f}.")
    return fig, sentence


def fanout(ds: pd.DataFrame):
    fo = ds[ds.metric == "fanout"]
    scale = cells.largest_scale(fo)
    fo = fo[fo.scale == scale]  # one line per table: scales are not pooled
    fig, ax = plt.subplots(figsize=(8, 4.2))
    parts = []
    for table, g in fo.groupby("table", sort=False):
        g = g.sort_values("fanout")
        ax.plot(g.fanout.clip(lower=0.5), g.users, marker="o", ms=2.5, lw=1, label=_short(table))
        users = np.repeat(g.fanout.to_numpy(), g.users.to_numpy().astype(int))
        parts.append(f"{_short(table)} median {np.median(users):.0f}, p99 {np.percentile(users, 99):.0f}, "
                     f"max {users.max():,}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rows per user (log; 0 drawn at 0.5)")
    ax.set_ylabel("users (log)")
    ax.legend()
    ax.set_title(f"Scale {scale}: most users have a few rows per spoke, a long tail has hundreds to thousands")
    return fig, f"Rows per user at scale {scale}: " + "; ".join(parts) + "."


def scatter(ds: pd.DataFrame):
    sc = ds[(ds.metric == "scatter") & (ds.table == "public.auth_audit_log")].sort_values("rows")
    fig, ax = plt.subplots(figsize=(7, 4.4))
    ax.scatter(sc.rows, sc.pages, s=9, alpha=0.6, label="heap pages holding the user's rows")
    ax.plot(sc.rows, sc.pages_if_clustered, color=palette.colour("reference"), lw=1.2, label="pages if stored together")
    ax.plot(sc.rows, sc.rows, color=palette.colour("guide"), lw=0.8, ls="--", label="one page per row")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("audit rows of the user (log)")
    ax.set_ylabel("8 kB heap pages read (log)")
    ax.legend()
    heavy = sc[sc.rows >= 20]
    share = (heavy.pages / heavy.rows).median() if len(heavy) else float("nan")
    ratio = (heavy.pages / heavy.pages_if_clustered).median() if len(heavy) else float("nan")
    sentence = (f"For users with 20+ audit rows, the rows sit on a median {share:.0%} as many heap pages as rows: "
                f"{ratio:.0f}x the pages they would fill stored together, so a per-user read touches one page per row.")
    return fig, sentence
