"""app-consistency (a cost): "Application-level consistency management"."""
from __future__ import annotations

from bench.report import cells
from bench.report.claims import census, core

SPEC = core.Spec(
    key="app_consistency", quote="Application-level consistency management", where="Disadvantages 2",
    needs=("integrity",), cost=True,
    comparison=("users left inconsistent under the same injected fault schedule: the memo's separate requests with "
                "rollback against one transaction, an RPC and a trigger"),
    surfaces="the write flows of the memo (supabase-js requests) and of the database",
    attribution_test="shared: any schema written by separate requests",
    rule=("The cost is real if the application's consistency management left users inconsistent and the database's "
          "flows did too, real only when the rows are written by separate requests if only the memo's flow did (can "
          "happen), does not appear if no flow left any, undecided without the census."))
ATTRIBUTION = "shared: not a property of the star (any schema whose rows are written by separate requests)"


def decide(have: bool, memo_left: int, db_left: int) -> tuple[str, str]:
    if not have:
        return core.UNDECIDED, "no fault census in this run"
    if memo_left == 0:
        return core.ABSENT, ""
    if db_left == 0:
        return core.REAL_WHEN, ("a signup's rows are written by separate requests (the memo's flow); one transaction, "
                                "an RPC or a trigger moves the consistency into the database")
    return core.REAL, ""


def evaluate(ev: core.Evidence) -> core.Finding:
    t = ev.table("integrity")
    tot, n, f = census.census(t)
    memo_left, db_left = census.inconsistent(tot)
    label, cond = decide(not tot.empty, memo_left, db_left)
    fig = core.Figure("users the memo's separate requests left inconsistent (injected faults: can happen)",
                      float(memo_left), unit=f"of {f} faulty signups", surface="supabase-js-shaped requests")
    sig = cells.at_scale(t, "signup")
    sig = (cells.medians(sig.dropna(subset=["latency_us"]), "strategy").set_index("strategy").p50_us
           if len(sig) else {})
    answer = (f"Under {f} injected faults in {n} signups, the memo's separate requests with best-effort rollback left "
              f"{memo_left} users inconsistent (this can happen; a fault schedule, not a rate); one transaction, an "
              f"RPC or a trigger left {db_left}.")
    beside = (f"An RPC signup took {sig['rpc'] / 1000:.2f} ms against {sig['three_requests'] / 1000:.2f} ms for the "
              f"separate requests." if {"rpc", "three_requests"} <= set(getattr(sig, "index", [])) else "")
    return core.finding(SPEC, label, condition=cond, attribution=ATTRIBUTION, figure=fig, answer=answer, beside=beside,
                        figures=["fig-integrity-faults-inconsistent", "fig-integrity-signup-latency"],
                        advice=("write a signup's rows in one RPC or trigger" if label != core.ABSENT else ""))
