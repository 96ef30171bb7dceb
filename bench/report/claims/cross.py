"""Cross-spoke questions (the cross_service experiment): per question, one approach's latency
against another's, paired by repetition, at the largest scale; bytes and client memory beside."""
from __future__ import annotations

import pandas as pd

from bench.report import cells
from bench.results import stats

FIGURES = ["fig-cross-latency-scale", "fig-cross-bytes-scale", "fig-cross-memory-scale"]
SERVICES = ("services_parallel", "services_chained")


def requests(t: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    q = t[(t.record == "request") & (t.condition != "orm_page")]
    if q.empty:
        return q, ""
    scale = cells.largest_scale(q)
    return q[q.scale == scale], scale


def calls(q: pd.DataFrame, a: tuple[str, ...], b: str) -> pd.DataFrame:
    """Per question: the best of `a` (by median) against b."""
    rows = []
    for question, g in q.groupby("condition"):
        present = [s for s in a if (g.strategy == s).any()]
        if not present or not (g.strategy == b).any():
            continue
        best = min(present, key=lambda s: g[g.strategy == s].latency_us.median())
        med = g[g.strategy.isin([best, b])].groupby(["rep", "strategy"]).latency_us.median().unstack("strategy")
        c = stats.paired(med[best].to_numpy(), med[b].to_numpy())
        rows.append({"question": question, "a": best, "b": b, "ratio": c.ratio, "lo": c.lo, "hi": c.hi, "call": c.call,
                     "a_ms": g[g.strategy == best].latency_us.median() / 1000,
                     "b_ms": g[g.strategy == b].latency_us.median() / 1000})
    return pd.DataFrame(rows, columns=["question", "a", "b", "ratio", "lo", "hi", "call", "a_ms", "b_ms"])


def moved(t: pd.DataFrame, scale: str) -> tuple[pd.Series, pd.Series]:
    """Per question: the better per-service approach's bytes and client heap peak over the star join's."""
    at = t[t.scale == scale]
    m = at[at.record == "bytes"].assign(moved=lambda d: d["bytes"] + d["sent_bytes"].fillna(0))
    size = m.pivot_table(index="condition", columns="strategy", values="moved")
    heap = at[at.record == "memory"].pivot_table(index="condition", columns="strategy", values="peak_bytes")

    def over(x):
        if x.empty or "join_star" not in x:
            return pd.Series(dtype=float)
        return x[[s for s in SERVICES if s in x]].min(axis=1) / x["join_star"]
    return over(size), over(heap)


def span(x: pd.Series) -> str:
    if x.empty:
        return "n/a"
    return f"{x.min():.1f}x" if round(x.min(), 1) == round(x.max(), 1) else f"{x.min():.1f}x to {x.max():.1f}x"


def words(c: pd.DataFrame) -> str:
    return "; ".join(f"{r.question}: {r.a} {r.ratio:.2f}x [{r.lo:.2f}-{r.hi:.2f}] {r.call} ({r.a_ms:.1f} against "
                     f"{r.b_ms:.1f} ms)" for r in c.itertuples())
