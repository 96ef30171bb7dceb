"""no-joins: "Lightning fast - no JOINs needed" (the JOIN is "slower")."""
from __future__ import annotations

from bench.report import calls
from bench.report.claims import core, reads
from bench.results import stats

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
    t = ev.table("read_paths")
    req = reads.requests(t)
    form, note = reads.tier_form(req)
    c = reads.table_calls(req, "star_sequential", reads.DIRECT_ONE_REQUEST, (form,))
    c, twin_text = reads.reproduced(c, reads.twin_table(ev), "star_sequential", reads.DIRECT_ONE_REQUEST, (form,))
    label, cond = decide(c)
    cold_call, cold_text = reads.cold(ev, "star_sequential", ("join_flat", "join_json"))
    if cold_call is not None:  # the cold cell is one more deciding cell
        label, cond = decide(c, [("cold cache, direct, psycopg", cold_call)])
    h = reads.headline(c)
    fig = None if h is None else core.Figure(
        f"star_sequential / {h.b}, median latency", h.ratio, h.lo, h.hi, h.call,
        rtt_ms=h.rtt_ms, scale=reads.scale(t), users=h.users, **reads.figure_where(h))
    _, trip = reads.one_trip(req)
    answer = (f"The memo's three single-table queries in turn against one request, per surface, client, RTT and user "
              f"size (scale {reads.scale(t)}): called faster {reads.summarise(c, stats.FASTER)}; slower "
              f"{reads.summarise(c, stats.SLOWER)}; equivalent {reads.summarise(c, stats.EQUIVALENT)}; undecided "
              f"{reads.summarise(c, stats.UNDECIDED)}." + (f" Headline: {fig.words()}, {core.ms(h.a_ms)} against "
                                                           f"{core.ms(h.b_ms)}." if fig else "")
              + note + (" " + trip if trip else "") + (" " + reads.rpc_beside(req) if reads.rpc_beside(req) else "")
              + cold_text + (" " + twin_text if twin_text else ""))
    beside = (f"Mean and p95 in the headline cell: {h.mean_ratio:.2f}x ({h.mean_call}) and {h.p95_ratio:.2f}x; "
              if h is not None else "") + reads.mean_differs(c) + "."
    advice = ("fetch a user's screen in one request (an RPC or view through PostgREST; a join or json_agg on a direct "
              "connection)" if label in (core.WRONG, core.RIGHT_WHEN) else "")
    figs = (["fig-readpaths-latency-rtt-postgrest"] if c.client.isin(calls.POSTGREST).any() else []) + [
        "fig-readpaths-latency-rtt", "fig-readpaths-decomposition-time"]
    return core.finding(SPEC, label, condition=cond, attribution=core.NOT_APPLICABLE, figure=fig, answer=answer,
                        beside=beside, figures=figs, advice=advice)
