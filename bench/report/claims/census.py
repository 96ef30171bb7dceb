"""The integrity experiment's census of what each write flow left under the same injected faults,
and the orphan classes each variant's keys prevent. Counts from injected faults say what *can
happen*; they are not rates."""
from __future__ import annotations

import pandas as pd

from bench.report import cells

MEMO_FLOW = "three_requests"


def census(t: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    """Users per flow x class, the signups and the faults injected."""
    c = cells.at_scale(t, "census")
    if c.empty:
        return pd.DataFrame(), 0, 0
    tot = c.groupby(["strategy", "class"]).users.sum().unstack()
    per = c[c["class"] == "inconsistent"].groupby("strategy")[["signups", "faulty"]].sum()
    return tot, int(per.signups.iloc[0]), int(per.faulty.iloc[0])


def inconsistent(tot: pd.DataFrame) -> tuple[int, int]:
    """Users left inconsistent by the memo's flow, and by the database-managed flows together."""
    if tot.empty or "inconsistent" not in tot:
        return 0, 0
    memo = int(tot.inconsistent.get(MEMO_FLOW, 0))
    return memo, int(tot.drop(MEMO_FLOW, errors="ignore").inconsistent.sum())


def orphan_classes(t: pd.DataFrame) -> tuple[dict[str, int], int]:
    p = cells.at_scale(t, "probe")
    if p.empty:
        return {}, 0
    return {v: int((g.verdict == "impossible").sum()) for v, g in p.groupby("variant")}, int(p["class"].nunique())


def left_orphans(tot: pd.DataFrame) -> tuple[dict[str, int], int]:
    """Orphan rows per class left by the memo's flow, and by the other flows together."""
    if tot.empty:
        return {}, 0
    classes = [c for c in tot.columns if c not in ("inconsistent", "complete")]
    by = tot[classes].fillna(0).astype(int)
    memo = by.loc[MEMO_FLOW] if MEMO_FLOW in by.index else by.iloc[0] * 0
    return {c: int(v) for c, v in memo.items() if v > 0}, int(by.drop(MEMO_FLOW, errors="ignore").to_numpy().sum())
