"""orphans (a cost): "Potential data orphaning" (no automatic cleanup)."""
from __future__ import annotations

from bench.report import cells
from bench.report.claims import census, core

SPEC = core.Spec(
    key="orphans", quote="Potential data orphaning", where="Disadvantages 4", needs=("integrity",), cost=True,
    comparison=("deletes of chat sessions under a soft reference against a foreign key ON DELETE SET NULL; orphan "
                "rows the memo's write flows left under injected faults (can happen)"),
    surfaces="one database, the star's soft reference and a keyed one",
    attribution_test="star against relational: a foreign key on the same reference",
    rule=("The cost is real if the star's soft reference is left dangling by deletes, real only when a user's rows "
          "are written by separate requests and a fault interrupts them if only the write flows left orphans (can "
          "happen), does not appear if neither, undecided without the cells."))


def decide(have: bool, dangling: int, flow_orphans: int) -> tuple[str, str]:
    if not have:
        return core.UNDECIDED, "no soft-reference or census cells in this run"
    if dangling > 0:
        return core.REAL, ""
    if flow_orphans > 0:
        return core.REAL_WHEN, "a user's rows are written by separate requests and a fault interrupts them"
    return core.ABSENT, ""


def evaluate(ev: core.Evidence) -> core.Finding:
    t = ev.table("integrity")
    tot, n, f = census.census(t)
    memo_left, _ = census.left_orphans(tot)
    soft = cells.at_scale(t, "soft_refs")
    soft = soft.groupby("strategy")[["dangling", "sessions_deleted"]].median() if len(soft) else soft
    dangling = int(soft.loc["soft_reference", "dangling"]) if "soft_reference" in soft.index else 0
    keyed = int(soft.loc["fk_set_null", "dangling"]) if "fk_set_null" in soft.index else 0
    deleted = int(soft.loc["soft_reference", "sessions_deleted"]) if "soft_reference" in soft.index else 0
    label, cond = decide(len(soft) > 0 or not tot.empty, dangling, sum(memo_left.values()))
    fig = core.Figure("user_state pointers left dangling by chat-session deletes", float(dangling),
                      unit=f"of {deleted:,} sessions deleted", surface="soft reference (the memo)")
    answer = (f"Deleting {deleted:,} chat sessions left {dangling:,} dangling user_state.current_session_id pointers "
              f"under the soft reference, {keyed} with a foreign key ON DELETE SET NULL. Under {f} injected faults in "
              f"{n} signups the memo's separate requests left "
              + (", ".join(f"{v} {k.replace('_', ' ')}" for k, v in memo_left.items()) or "no orphan rows")
              + " (can happen, not a rate).")
    attribution = core.STAR_SPECIFIC if keyed == 0 else core.SHARED
    return core.finding(SPEC, label, condition=cond, attribution=attribution, figure=fig, answer=answer,
                        figures=["fig-integrity-faults-inconsistent", "fig-integrity-soft-refs",
                                 "fig-integrity-orphans-census"])
