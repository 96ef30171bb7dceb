"""no-joins: "Lightning fast - no JOINs needed" (the JOIN is "slower")."""
from __future__ import annotations

from bench.report.claims import core, reads

SPEC = core.Spec(
    key="no_joins", quote="Lightning fast - no JOINs needed", where="Advantages 1; Pattern Comparison",
    needs=("read_paths",), row="User-Centric Queries",
    comparison=("per RTT, client and user size: the memo's three queries in turn (star_sequential) against the best "
                "one-request form of the surface; at the lowest RTT, one round trip with the JOIN against one without"),
    surfaces=("PostgREST as `authenticated` (one request: the RPC; the embed in runs before it) and a direct "
              "connection (one request: the flat JOIN or json_agg; the RPC beside), each client"),
    attribution_test=core.NOT_APPLICABLE,
    rule=("The memo is right if its three single-table queries are called faster than the best one-request form in "
          "every cell (surface, client, RTT, user size; medians, paired repetitions, 10 % margin), right only when "
          "they are in some (named), wrong if in none (a tie is no win), undecided if most cells straddle the margin."))


def decide(c, extra=()) -> tuple[str, str]:
    return reads.decide(c, list(extra))


def evaluate(ev: core.Evidence) -> core.Finding:
    r = reads.evaluate(ev, "star_sequential", reads.DIRECT_ONE_REQUEST)
    _, trip = reads.one_trip(r.req)
    rpc = reads.rpc_beside(r.req)
    answer = (f"The memo's three single-table queries in turn against one request, per surface, client, RTT and user "
              f"size (scale {r.scale}): {r.calls_sentence()}" + r.note + (" " + trip if trip else "")
              + (" " + rpc if rpc else "") + r.cold_text + (" " + r.twin_text if r.twin_text else ""))
    advice = ("fetch a user's screen in one request (an RPC or view through PostgREST; a join or json_agg on a direct "
              "connection)" if r.label in (core.WRONG, core.RIGHT_WHEN) else "")
    return core.finding(SPEC, r.label, condition=r.cond, attribution=core.NOT_APPLICABLE, figure=r.fig, answer=answer,
                        beside=r.beside() + ".", advice=advice,
                        figures=r.figures("fig-readpaths-latency-rtt", "fig-readpaths-decomposition-time"))
