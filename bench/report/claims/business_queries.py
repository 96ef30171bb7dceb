"""business-queries (a cost): "Complex business logic queries need JOINs" (worse than with direct relations)."""
from __future__ import annotations

from bench.report.claims import core, cross
from bench.results import stats

SPEC = core.Spec(
    key="business_queries", quote="Complex business logic queries need JOINs", where="Disadvantages 3",
    needs=("cross_service",), cost=True,
    comparison="the same cross-spoke questions as one join on the star against one join on the relational variant",
    surfaces="a direct connection, the largest scale",
    attribution_test="star against relational",
    rule=("The cost is real if the star's join is called slower than the relational variant's for every question, "
          "real only when for some (named), does not appear if it is faster or equivalent for every question "
          "(the spokes join on user_id in both), undecided otherwise."))


def decide(c) -> tuple[str, str]:
    """c: the star's join over the relational one per question; the cost shows where the star is slower."""
    flip = {stats.SLOWER: stats.FASTER, stats.FASTER: stats.SLOWER}
    return core.decide([(r.question, flip.get(r.call, r.call)) for r in c.itertuples()], cost=True)


def evaluate(ev: core.Evidence) -> core.Finding:
    t = ev.table("cross_service")
    q, scale = cross.requests(t)
    c = cross.calls(q, ("join_star",), "join_relational")
    label, cond = decide(c)
    worst = c.loc[c.ratio.idxmax()] if len(c) else None
    fig = None if worst is None else core.Figure(
        f"star join / relational join, {worst.question}", worst.ratio, worst.lo, worst.hi, worst.call,
        surface="direct connection", scale=scale, users="all")
    without = cross.calls(q, cross.SERVICES, "join_star")
    answer = (f"At scale {scale}, the star's join against the relational variant's for the same questions: "
              f"{cross.words(c)}.")
    beside = ("Doing without a join (per-service fetches merged in the application) against the star's join: "
              + cross.words(without) + "." if len(without) else "")
    attribution = (core.STAR_SPECIFIC if label in (core.REAL, core.REAL_WHEN)
                   else "shared: both designs answer these questions with the same joins on user_id")
    return core.finding(SPEC, label, condition=cond, attribution=attribution, figure=fig, answer=answer, beside=beside,
                        figures=cross.FIGURES)
