"""integrity (a cost): "No referential integrity between business entities (accept the trade-off)"."""
from __future__ import annotations

from bench.report import cells
from bench.report.claims import census, core

SPEC = core.Spec(
    key="integrity", quote="No referential integrity between business entities (accept the trade-off)",
    where="Disadvantages 1; Pattern Comparison", needs=("integrity",), cost=True, row="Data Integrity",
    comparison="orphan classes each variant's keys make impossible; what the write flows left under injected faults",
    surfaces="the star, the relational variant and the star without keys, one database",
    attribution_test="star-specific by definition (the relational variant's keys between entities)",
    rule=("The cost is real if the relational variant's keys prevent orphan classes the star's do not and a write "
          "flow left such rows under faults (can happen), real only when a write is interrupted if the classes are "
          "possible but no flow left one, does not appear if the star prevents as many classes, undecided without "
          "the class probe."))


def decide(star: int, relational: int, total: int, rows_left: int) -> tuple[str, str]:
    if total == 0:
        return core.UNDECIDED, "no orphan-class probe in this run"
    if relational <= star:
        return core.ABSENT, ""
    if rows_left > 0:
        return core.REAL, ""
    return core.REAL_WHEN, "a multi-table write is interrupted (the classes are possible; no flow left one here)"


def evaluate(ev: core.Evidence) -> core.Finding:
    t = ev.table("integrity")
    impossible, total = census.orphan_classes(t)
    tot, n, f = census.census(t)
    memo_left, other_left = census.left_orphans(tot)
    label, cond = decide(impossible.get("star", 0), impossible.get("relational", 0), total,
                         sum(memo_left.values()) + other_left)
    fig = core.Figure("orphan classes the relational keys prevent and the star's do not",
                      float(impossible.get("relational", 0) - impossible.get("star", 0)), unit=f"of {total} classes",
                      surface="one database")
    cas = cells.medians(cells.at_scale(t, "cascade"), "indexes").set_index("indexes").p50_us
    bulk = cells.at_scale(t, "bulk").groupby("strategy").total_s.median()
    answer = (f"The star's foreign keys to auth.users make {impossible.get('star', 0)} of {total} orphan classes "
              f"impossible, the relational variant's {impossible.get('relational', 0)}, no keys "
              f"{impossible.get('star_nofk', 0)}. Under {f} injected faults in {n} signups the memo's separate requests "
              f"left " + (", ".join(f"{v} {k.replace('_', ' ')}" for k, v in memo_left.items()) or "no orphan rows")
              + " (can happen, not a rate).")
    beside = (f"The keys' costs: bulk load {bulk['per_row_checks'] / bulk['not_valid_validate']:.1f}x as long checked per "
              f"row as with NOT VALID + VALIDATE; a cascading user delete {cas['as-written'] / cas['indexed']:.1f}x as "
              f"long without user_id indexes." if {"per_row_checks", "not_valid_validate"} <= set(bulk.index)
              and {"as-written", "indexed"} <= set(cas.index) else "")
    return core.finding(SPEC, label, condition=cond, attribution=core.STAR_SPECIFIC, figure=fig, answer=answer,
                        beside=beside, figures=["fig-integrity-faults-inconsistent", "fig-integrity-orphans-census",
                                                "fig-integrity-bulk-load", "fig-integrity-cascade-delete"])
