"""evolution: "Schema evolution made easy" (adding a table linked to the centre; nothing existing changes)."""
from __future__ import annotations

import numpy as np

from bench.report import evolution_cells as ec
from bench.report.claims import core

SPEC = core.Spec(
    key="evolution", quote="Schema evolution made easy", where="Advantages 5", needs=("evolution",),
    row="Schema Evolution",
    comparison=("the memo's CREATE TABLE ... REFERENCES auth.users under steady signups, sign-ins and spoke traffic: "
                "locks taken, hub writes delayed beyond 100 ms, worst delay; a long write transaction on the hub as a "
                "stated stress condition"),
    surfaces="the star's recipe and the relational variant's (REFERENCES profiles)",
    attribution_test="star against relational: the same recipe on the relational variant",
    rule=("The memo is right if adding the table delays no hub write beyond 100 ms, right only when no transaction "
          "holds a write on the referenced table (if only the stress condition delays them), wrong if it delays them "
          "on a quiet hub, undecided if the run has no recipe cells."))


def _hub(t, change: str, condition: str) -> tuple[int, float]:
    kinds = ["signup", "sign_in"] if change == "recipe_star" else ["signup", "profile_update"]
    late, worst = ec.delayed(t, change, condition), ec.worst(t, change, condition)
    kinds = [k for k in kinds if k in worst.index]
    if not kinds:
        return 0, float("nan")
    return int(late[kinds].fillna(0).sum()), float(np.nanmax(worst[kinds].to_numpy(dtype=float)))


def decide(quiet_worst_us: float, held_worst_us: float) -> tuple[str, str]:
    if not np.isfinite(quiet_worst_us):
        return core.UNDECIDED, "no recipe cell on a quiet hub"
    if quiet_worst_us > ec.STALL_US:
        return core.WRONG, ""
    if np.isfinite(held_worst_us) and held_worst_us > ec.STALL_US:
        return core.RIGHT_WHEN, ("no transaction holds a write on auth.users while the table is added (else every "
                                 "signup and sign-in queues behind the DDL for as long as that transaction lasts; "
                                 "lock_timeout with retries bounds it)")
    return core.RIGHT, ""


def evaluate(ev: core.Evidence) -> core.Finding:
    t = ev.table("evolution")
    rel, mode = ec.strongest_lock(t, "recipe_star")
    q_late, q_worst = _hub(t, "recipe_star", "no_long_txn")
    h_late, h_worst = _hub(t, "recipe_star", "long_txn")
    lt_late, lt_worst = _hub(t, "recipe_star", "long_txn_lock_timeout")
    r_late, r_worst = _hub(t, "recipe_relational", "long_txn")
    hold = ec.records(t, "change")
    hold_s = float(hold[(hold.change == "recipe_star") & (hold.condition == "long_txn")].held_s.median())
    label, cond = decide(q_worst, h_worst)
    star_stalls, rel_stalls = h_worst > ec.STALL_US, r_worst > ec.STALL_US
    attribution = (core.SHARED + " (the relational recipe queues its hub writes the same way)"
                   if star_stalls == rel_stalls else core.STAR_SPECIFIC)
    fig = core.Figure("worst signup or sign-in while the table is added, quiet hub", q_worst / 1000, unit="ms",
                      surface="steady application traffic", scale=str(t.scale.iloc[0]))
    spoke = ec.spoke_summary(t)
    stalled = spoke[spoke.stalled_kinds.map(len) > 0]
    answer = (f"The memo's CREATE TABLE ... REFERENCES auth.users takes {mode} on {rel}; on a quiet hub it delayed "
              f"{q_late} hub writes beyond {ec.STALL_US / 1000:.0f} ms (worst {q_worst / 1000:.1f} ms). Stress "
              f"condition, injected by the experiment: one transaction holding a write on auth.users for {hold_s:.1f} s; "
              f"the DDL waits for it and {h_late} signups and sign-ins queued behind it, the worst "
              f"{h_worst / 1e6:.2f} s, i.e. the injected hold passed on; with lock_timeout and retries {lt_late} were "
              f"delayed, the worst {lt_worst / 1000:.1f} ms. The relational recipe under the same stress: {r_late} "
              f"delayed, worst {r_worst / 1e6:.2f} s.")
    beside = ("Other migrations on a loaded spoke that stalled its requests: "
              + (", ".join(f"{r.change} ({r.mode})" for r in stalled.itertuples()) or "none")
              + "; CREATE INDEX CONCURRENTLY and NOT VALID then VALIDATE did not.")
    return core.finding(SPEC, label, condition=cond, attribution=attribution, figure=fig, answer=answer, beside=beside,
                        figures=["fig-evolution-recipe-wait", "fig-evolution-recipe-timeline",
                                 "fig-evolution-spoke-changes"],
                        advice=("add tables with lock_timeout and retries" if label != core.RIGHT else ""))
