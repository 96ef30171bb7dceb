"""caching: "Better caching (each table cached independently)"."""
from __future__ import annotations

import numpy as np

from bench.report import evolution_cells as ec
from bench.report.claims import core
from bench.results import stats

SPEC = core.Spec(
    key="caching", quote="Better caching (each table cached independently)", where="Performance Benefits",
    needs=("caching",),
    comparison=("shared buffers touched per bundle, the star's three queries against the join; cold latency with "
                "verified eviction, Promise.all against the join (paired repetitions)"),
    surfaces="a direct connection (psycopg), cold and warm cache",
    attribution_test="star against relational: the join reads the same tables' pages",
    rule=("The memo is right if the star's queries touch fewer shared buffers than the join (beyond 10 %), right only "
          "when the cache is cold if only its overlapping cold reads are called faster, wrong if neither, undecided "
          "if the cold cells are not proven cold, the cold call straddles the margin or the A/A twin run calls it "
          "otherwise."))


def decide(proven: bool, pages_ratio: float, cold_call: str | None, twin_call: str | None = None) -> tuple[str, str]:
    """`twin_call`: the same cold call in the A/A twin run (None where it has no proven cold cells);
    a cold call the twin does not reproduce counts as undecided."""
    if not proven:
        return core.UNDECIDED, "the cold cells did not prove they were cold"
    if np.isfinite(pages_ratio) and pages_ratio <= 1 / (1 + stats.MARGIN):
        return core.RIGHT, ""
    if ec.counted(cold_call, twin_call) != cold_call:
        return core.UNDECIDED, f"the A/A twin run calls the cold latency {twin_call}, this run {cold_call}"
    if cold_call == stats.FASTER:
        return core.RIGHT_WHEN, "the cache is cold (three overlapping I/O waits beat one statement)"
    if cold_call in (None, stats.UNDECIDED):
        return core.UNDECIDED, "the cold latency call straddles the margin"
    return core.WRONG, ""


def evaluate(ev: core.Evidence) -> core.Finding:
    t = ev.table("caching")
    ok, why = ec.proven_cold(t)
    if not ok:
        label, cond = decide(False, float("nan"), None)
        return core.finding(SPEC, label, condition=cond, answer=f"The cold cells did not prove they were cold ({why}).",
                            attribution="not measured")
    b = ec.buffers(t).set_index(["cache", "strategy"])
    touched = b.shared_hit_per_request + b.shared_read_per_request
    star, join = float(touched.loc[("cold", "star_sequential")]), float(touched.loc[("cold", "join_json")])
    got = ec.cold_call(t, "star_parallel", ("join_json",), stats.MARGIN)
    d = ec.cache_requests(t)
    d = d[(d.cache == "cold") & d.strategy.isin(["star_parallel", "join_json"])]
    med = d.groupby(["rep", "strategy"]).latency_us.median().unstack("strategy")
    c = stats.paired(med["star_parallel"].to_numpy(), med["join_json"].to_numpy())
    twin_call, twin_text = (ec.twin_cold(t, got[0], ec.twin_caching(ev.run.path), "star_parallel", ("join_json",),
                                         stats.MARGIN) if got else (None, ""))
    label, cond = decide(True, star / join, got[0] if got else None, twin_call)
    scale = str(ec.records(t, "buffers").scale.iloc[0])
    fig = core.Figure("star_parallel / join_json, cold median latency", c.ratio, c.lo, c.hi, ec.counted(c.call, twin_call),
                      surface="direct connection, cold cache", scale=scale, client="psycopg", users="all")
    answer = (f"Cold (relations evicted from shared buffers and the OS page cache before every request, proved by "
              f"{b.loc[('cold', 'join_json')].shared_read_per_request:.0f} blocks read per bundle), scale {scale}: the "
              f"star's three queries touch {star:.0f} shared buffers per bundle, the join {join:.0f} (the same pages, "
              f"cached the same way); cold, Promise.all against the join: {core.call_words(c)}"
              + (f" ({twin_text})." if twin_text else "."))
    return core.finding(SPEC, label, condition=cond, figure=fig, answer=answer,
                        attribution="shared: the join reads the same tables' pages (no relational cold cells in this run)",
                        figures=["fig-caching-latency-cache", "fig-caching-buffers-strategy"])
