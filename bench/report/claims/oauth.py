"""oauth: "Each OAuth account gets completely isolated data universe"."""
from __future__ import annotations

from bench.report.claims import core

SPEC = core.Spec(
    key="oauth", quote="Each OAuth account gets completely isolated data universe", where="Why this pattern is perfect",
    needs=("rls",), row="OAuth Isolation",
    comparison="isolation checks across every spoke and read strategy: user A on user B's rows, anon, missing and forged claims",
    surfaces="reads as `authenticated` and `anon` under the memo's policies",
    attribution_test="shared: the relational variant carries the same policies",
    rule=("The memo is right if every isolation check holds (no user sees another's rows through any spoke or "
          "strategy), right only when views are created with security_invoker if only a plain view leaks, wrong if "
          "any table check fails, undecided if the run has no checks."))
ATTRIBUTION = "shared: not a property of the star (the isolation comes from the policies, which relational carries too)"


def decide(n_checks: int, failed: int, view_leaks: int) -> tuple[str, str]:
    if n_checks == 0:
        return core.UNDECIDED, "no isolation check in this run"
    if failed:
        return core.WRONG, f"{failed} checks failed"
    if view_leaks:
        return core.RIGHT_WHEN, "views over the spokes are created WITH (security_invoker = true)"
    return core.RIGHT, ""


def evaluate(ev: core.Evidence) -> core.Finding:
    t = ev.table("rls")
    iso = t[t.record == "isolation"]
    tables = iso[~iso.case.str.startswith("view_")]
    held = tables.held.astype(bool)
    leak = iso[(iso.case == "view_default") & ~iso.held.astype(bool)]
    label, cond = decide(len(tables), int((~held).sum()), len(leak))
    answer = (f"{int(held.sum())} of {len(tables)} isolation checks held: user A never received user B's rows through "
              f"any spoke or read strategy; anon, a missing claim and a forged claim received nothing.")
    beside = (f"A view created without security_invoker returned {int(leak.foreign_rows.max()):,} other users' rows "
              f"(views run with their owner's rights)." if len(leak) else "")
    fig = core.Figure("isolation checks held", float(held.sum()), unit=f"of {len(tables)}", surface="reads under RLS")
    return core.finding(SPEC, label, condition=cond, attribution=ATTRIBUTION, figure=fig, answer=answer, beside=beside,
                        figures=["fig-rls-isolation"])
