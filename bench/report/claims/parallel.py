"""parallel: "Parallel fetching - each table independent (Promise.all)"."""
from __future__ import annotations

from bench.report.claims import core, reads, relational
from bench.results import stats

SPEC = core.Spec(
    key="parallel", quote="Parallel fetching - each table independent (Promise.all)",
    where="Advantages 2; Performance Benefits", needs=("read_paths",),
    comparison=("per RTT, client and user size: Promise.all (star_parallel) against one request (PostgREST: the RPC "
                "on the star; direct: json_agg), and against the same three in turn (beside); through PostgREST, "
                "supabase-js, per RTT: Promise.all against the embed on the relational variant (beside)"),
    surfaces="PostgREST as `authenticated` and a direct connection, each client that can run Promise.all",
    attribution_test=core.NOT_APPLICABLE,
    rule=("The memo is right if Promise.all is called faster than one request in every cell (surface, client, RTT, "
          "user size; medians, paired repetitions, 10 % margin), right only when it is in some (named), wrong if in "
          "none (a tie is no win), undecided if most cells straddle the margin."))


def decide(c, extra=()) -> tuple[str, str]:
    return reads.decide(c, list(extra))


def evaluate(ev: core.Evidence) -> core.Finding:
    r = reads.evaluate(ev, "star_parallel", ("join_json",))
    seq = reads.table_calls(r.req, "star_parallel", ("star_sequential",), ("star_sequential",))
    answer = (f"Promise.all over three pooled connections against one request, per surface, client, RTT and user size "
              f"(scale {r.scale}): {r.calls_sentence()}" + r.note
              + f" Against the same three queries in turn it is called faster {reads.summarise(seq, stats.FASTER)}."
              + r.cold_text + (" " + r.twin_text if r.twin_text else ""))
    advice = ("replace Promise.all over three tables by one request (an RPC through PostgREST)"
              if r.label in (core.WRONG, core.RIGHT_WHEN) else "")
    return core.finding(SPEC, r.label, condition=r.cond, attribution=core.NOT_APPLICABLE, figure=r.fig, answer=answer,
                        beside=r.beside() + "; Promise.all spends three connections per request."
                        + _relational(ev), advice=advice,
                        figures=r.figures("fig-readpaths-latency-rtt", "fig-readpaths-latency-rtt-chat"))


def _relational(ev: core.Evidence) -> str:
    """Promise.all against the embed on the relational variant (relational.beside), or ''."""
    got = relational.beside(ev.table("read_paths"))
    return " " + got if got else ""
