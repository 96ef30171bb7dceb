"""microservices: "Microservices architecture ready"."""
from __future__ import annotations

from bench.report.claims import core, cross
from bench.results import stats

SPEC = core.Spec(
    key="microservices", quote="Microservices architecture ready", where="Advantages 3", needs=("cross_service",),
    row="Microservices",
    comparison=("per cross-spoke business question: answered per service (each fetches its own table, the "
                "application merges) against one SQL join on the star; bytes and client memory beside"),
    surfaces="a direct connection, the largest scale",
    attribution_test=core.NOT_APPLICABLE,
    rule=("The memo is right if answering cross-spoke questions per service costs no more than one join (called "
          "faster or equivalent) for every question, right only when for some (named), wrong if it is called slower "
          "for every question, undecided otherwise."))


def decide(c) -> tuple[str, str]:
    """Per question, 'no more than the join' (faster or equivalent) is a win for the memo."""
    won = {stats.FASTER, stats.EQUIVALENT}
    return core.decide([(r.question, stats.FASTER if r.call in won else r.call) for r in c.itertuples()])


def evaluate(ev: core.Evidence) -> core.Finding:
    t = ev.table("cross_service")
    q, scale = cross.requests(t)
    c = cross.calls(q, cross.SERVICES, "join_star")
    label, cond = decide(c)
    size, heap = cross.moved(t, scale)
    worst = c.loc[c.ratio.idxmax()] if len(c) else None
    fig = None if worst is None else core.Figure(
        f"best per-service way / one join, {worst.question}", worst.ratio, worst.lo, worst.hi, worst.call,
        surface="direct connection", scale=scale, users="all")
    answer = (f"Each service can answer from its own table (the answers matched the join's); the application then "
              f"merges. At scale {scale}, the better per-service way against one join: {cross.words(c)}; it moves "
              f"{cross.span(size)} the join's bytes and peaks at {cross.span(heap)} its client memory.")
    return core.finding(SPEC, label, condition=cond, attribution=core.NOT_APPLICABLE, figure=fig, answer=answer,
                        figures=cross.FIGURES,
                        advice=("answer cross-spoke questions with one join (or a view) in the database"
                                if label == core.WRONG else ""))
