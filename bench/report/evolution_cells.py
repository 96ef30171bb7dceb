"""Data shaping for the evolution and caching experiments (pandas only): shared by their charts
and their verdicts, so a verdict never needs matplotlib."""
from __future__ import annotations

import numpy as np
import pandas as pd

from bench.report.cells import largest_scale
from bench.results import stats

RECIPES = ("recipe_star", "recipe_relational")
SPOKE_CHANGES = ("add_column_default", "set_not_null", "index_plain", "index_concurrently", "fk_plain",
                 "fk_not_valid", "fk_validate", "repoint_spoke", "repoint_validate")
KINDS = ("signup", "sign_in", "profile_update", "spoke_write", "read")
CONDITIONS = ("no_long_txn", "long_txn", "long_txn_lock_timeout")
CACHES = ("warm", "shared_cold", "cold", "small_buffers")
STALL_US = 100_000  # a request that waited this long from its intended start is a stall a user notices
STRONG = ("AccessExclusiveLock", "ExclusiveLock", "ShareRowExclusiveLock", "ShareLock")  # block writes


def records(table: pd.DataFrame, record: str) -> pd.DataFrame:
    d = table[table.record == record]
    return d[d.scale == largest_scale(d)] if not d.empty else d


def impact(table: pd.DataFrame) -> pd.DataFrame:
    """One row per change x condition x request kind (the evolution run's single scale)."""
    return records(table, "impact")


def locks(table: pd.DataFrame, change: str, relation: str | None = None) -> list[str]:
    """The granted relation lock modes a change took (on `relation`, or on any), strongest first."""
    d = records(table, "lock")
    d = d[(d.change == change) & d.granted.astype(bool)]
    if relation:
        d = d[d.relation == relation]
    order = ["AccessExclusiveLock", "ExclusiveLock", "ShareRowExclusiveLock", "ShareLock", "ShareUpdateExclusiveLock",
             "RowExclusiveLock", "RowShareLock", "AccessShareLock"]
    return sorted(set(d["mode"]), key=order.index)


def strongest_lock(table: pd.DataFrame, change: str) -> tuple[str, str]:
    """(relation, mode) of the strongest lock a change took on an existing table (not the one it creates)."""
    d = records(table, "lock")
    d = d[(d.change == change) & d.granted.astype(bool) & (d.relation != "public.user_preferences")
          & ~d.relation.str.endswith(("_idx", "_pkey", "_key"))]
    if d.empty:
        return "", ""
    d = d.assign(rank=d["mode"].map({m: i for i, m in enumerate(STRONG + ("ShareUpdateExclusiveLock", "RowExclusiveLock",
                                                                          "RowShareLock", "AccessShareLock"))}))
    top = d.sort_values(["rank", "relation"]).iloc[0]
    return top.relation, top["mode"]


def _cell(table: pd.DataFrame, change: str, condition: str) -> pd.DataFrame:
    d = impact(table)
    return d[(d.change == change) & (d.condition == condition)]


def worst(table: pd.DataFrame, change: str, condition: str = "no_long_txn") -> pd.Series:
    """Per request kind: the slowest request (latency from its intended start, µs) during the
    change, the worst over its repetitions."""
    return _cell(table, change, condition).groupby("kind").max_us.max().reindex(list(KINDS))


def delayed(table: pd.DataFrame, change: str, condition: str = "no_long_txn") -> pd.Series:
    """Per request kind: requests slower than twice the baseline p99 during the change (the
    median repetition)."""
    return _cell(table, change, condition).groupby("kind").delayed.median().reindex(list(KINDS))


def waited(table: pd.DataFrame, change: str, condition: str = "no_long_txn") -> pd.Series:
    """Per request kind: requests seen waiting on a lock (pg_locks sampled) during the change
    (the median repetition)."""
    return _cell(table, change, condition).groupby("kind").waited.median().reindex(list(KINDS))


def worst_range(table: pd.DataFrame, change: str, condition: str, kinds) -> tuple[float, float, int]:
    """The worst request of `kinds` per repetition: (lowest, highest, repetitions)."""
    d = _cell(table, change, condition)
    d = d[d.kind.isin(kinds)]
    rep = d.groupby(d["rep"] if "rep" in d else pd.Series(0, d.index)).max_us.max()
    return (float(rep.min()), float(rep.max()), len(rep)) if len(rep) else (np.nan, np.nan, 0)


def duration_us(table: pd.DataFrame, change: str, condition: str = "no_long_txn") -> float:
    """The change's duration (the median repetition)."""
    d = records(table, "change")
    row = d[(d.change == change) & (d.condition == condition)]
    return float(row.duration_us.median()) if len(row) else float("nan")


def spoke_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per spoke change: duration, its strongest lock, the kinds seen waiting on a lock, the kinds
    with a stall (a request over STALL_US), the worst write and read."""
    rows = []
    for change in SPOKE_CHANGES:
        if not (records(table, "change").change == change).any():
            continue
        rel, mode = strongest_lock(table, change)
        w, seen = worst(table, change), waited(table, change)
        rows.append({"change": change, "duration_us": duration_us(table, change), "relation": rel, "mode": mode,
                     "blocked_kinds": [k for k in KINDS if seen.get(k, 0) > 0],
                     "stalled_kinds": [k for k in KINDS if w.get(k, 0) > STALL_US],
                     "worst_write_us": float(np.nanmax([w.get("spoke_write", np.nan), w.get("signup", np.nan)])),
                     "worst_read_us": float(w.get("read", np.nan)),
                     "errors": int(impact(table)[impact(table).change == change].errors.sum())})
    return pd.DataFrame(rows)


# -- caching -----------------------------------------------------------------------------------
def cache_requests(table: pd.DataFrame, sampling: str = "uniform") -> pd.DataFrame:
    d = records(table, "request")
    return d[d.condition == sampling]


def cache_medians(table: pd.DataFrame, sampling: str = "uniform") -> pd.DataFrame:
    """Per cache condition x strategy: median latency of all requests, and the range of the
    per-repetition medians (the noise band: ranges that overlap are a tie)."""
    d = cache_requests(table, sampling)
    rows = []
    for (cache, strategy), g in d.groupby(["cache", "strategy"]):
        reps = g.groupby("rep").latency_us.median()
        rows.append({"cache": cache, "strategy": strategy, "p50_us": float(g.latency_us.median()),
                     "lo_us": float(reps.min()), "hi_us": float(reps.max()), "n": len(g)})
    return pd.DataFrame(rows)


def buffers(table: pd.DataFrame, sampling: str = "uniform") -> pd.DataFrame:
    """Per cache condition x strategy: shared blocks hit and read, read time, per bundle (mean over reps)."""
    d = records(table, "buffers")
    d = d[d.condition == sampling]
    cols = ["shared_hit_per_request", "shared_read_per_request", "read_us_per_request"]
    return d.groupby(["cache", "strategy"])[cols].mean().reset_index()


def proof(table: pd.DataFrame) -> pd.DataFrame:
    """The cold cells' evidence: EXPLAIN (ANALYZE, BUFFERS) cold then warm, per sampling."""
    cols = ["condition", "cache", "user_id", "shared_hit", "shared_read", "read_ms", "execution_ms",
            "buffers_left_after_eviction", "os_cache"]
    d = records(table, "explain")
    return d[[c for c in cols if c in d.columns]]


def proven_cold(table: pd.DataFrame) -> tuple[bool, str]:
    """Whether every cold cell read blocks and the OS cache was dropped; the reason when not."""
    b = records(table, "buffers")
    if b.empty:
        skipped = records(table, "skipped")
        return False, (f"skipped: {skipped.reason.iloc[0]}" if len(skipped) else "no cold cell in this run")
    cold = b[b.cache == "cold"]
    if cold.empty:
        return False, "no cold cell in this run"
    if (cold.shared_read_per_request <= 0).any():
        return False, "a cold cell read no shared block (its pages were still cached)"
    req = records(table, "request")
    os_state = set(req[req.cache == "cold"].os_cache.dropna())
    if os_state != {"dropped"}:
        return False, f"OS page cache: {', '.join(sorted(os_state))}"
    return True, ""


def present(m: pd.DataFrame) -> list[str]:
    """The cache conditions a run has, in CACHES' order."""
    return [c for c in CACHES if (m.cache == c).any()]


def cold_call(table: pd.DataFrame, a: str, against: tuple[str, ...], margin: float) -> tuple[str, float, str] | None:
    """`a` against the fastest of `against` in the cold cells (uniform sampling), by the suite's
    one rule: the repetitions are paired (the same users in the same order for every strategy of a
    repetition), so the call is `stats.paired` on the per-repetition medians; returns the call,
    the ratio and the strategy it was set against."""
    got = cold_paired(table, a, against, margin)
    return None if got is None else (got[0].call, got[0].ratio, got[1])


def cold_paired(table: pd.DataFrame, a: str, against: tuple[str, ...], margin: float) -> tuple[stats.Call, str] | None:
    """`cold_call`'s comparison whole: the `stats.paired` call (ratio, interval, call) and the
    strategy it was set against, or None where the cold cells lack `a` or all of `against`."""
    d = cache_requests(table)
    d = d[d.cache == "cold"]
    present = [b for b in against if (d.strategy == b).any()]
    if not (d.strategy == a).any() or not present:
        return None
    b = min(present, key=lambda x: d[d.strategy == x].latency_us.median())
    med = d[d.strategy.isin([a, b])].groupby(["rep", "strategy"]).latency_us.median().unstack("strategy")
    return stats.paired(med[a].to_numpy(), med[b].to_numpy(), margin), b


def tie(a: pd.Series, b: pd.Series) -> bool:
    """Two cells whose per-repetition median ranges overlap."""
    return not (a.hi_us < b.lo_us or b.hi_us < a.lo_us)


# -- the cold cells' A/A twin --------------------------------------------------------------------
# The cold comparisons the claims call: Promise.all against the join (caching, parallel) and the
# star's queries in turn against the best one-request join (no-joins).
COLD_COMPARISONS = (("star_parallel", ("join_json",)), ("star_sequential", ("join_flat", "join_json")))


def twin_caching(run_path) -> pd.DataFrame | None:
    """The caching table of the run's A/A twin (`make reference` runs caching again beside the
    read paths), or None: no twin, or a twin of the read paths alone (older references)."""
    from bench.results import store

    twin = store.aa_run(run_path)
    if twin is None:
        return None
    run = store.load(twin)
    return run.table("caching") if run.has("caching") else None


def twin_cold(table: pd.DataFrame, call: str, twin: pd.DataFrame | None, a: str, against: tuple[str, ...],
              margin: float) -> tuple[str | None, str]:
    """The run's cold call (`call`, of `a` against the fastest of `against` in `table`) checked
    against the same call in the A/A twin's caching table: returns the twin's call (None where the
    twin cannot check it: no twin of the cold cells, not proven cold, another scale, no such
    cells) and a sentence naming it. A call the twin makes otherwise counts as undecided; the
    sentence says so, and the caller counts it."""
    if twin is None:
        return None, "no A/A twin of the cold cells"
    ok, why = proven_cold(twin)
    if not ok:
        return None, f"the A/A twin's cold cells are not called ({why})"
    here, there = (str(records(t, "buffers").scale.iloc[0]) for t in (table, twin))
    if here != there:
        return None, f"the A/A twin's cold cells are at scale {there}, not {here}: not checked"
    got = cold_call(twin, a, against, margin)
    if got is None:
        return None, "the A/A twin has no cold cells for these strategies"
    twin_call, ratio, b = got
    if twin_call == call:
        return twin_call, f"the A/A twin called it {twin_call} too ({ratio:.2f}x {b}'s median)"
    return twin_call, f"the A/A twin called it {twin_call} ({ratio:.2f}x {b}'s median); counted undecided"


def counted(call: str | None, twin_call: str | None) -> str | None:
    """The cold call a verdict counts: undecided where the A/A twin called it otherwise."""
    return stats.UNDECIDED if call is not None and twin_call is not None and twin_call != call else call
