"""parallel: "Parallel fetching - each table independent (Promise.all)"."""
from __future__ import annotations

from bench.report import calls
from bench.report.claims import core, reads
from bench.results import stats

SPEC = core.Spec(
    key="parallel", quote="Parallel fetching - each table independent (Promise.all)",
    where="Advantages 2; Performance Benefits", needs=("read_paths",),
    comparison=("per RTT, client and user size: Promise.all (star_parallel) against one request (PostgREST: the RPC "
                "on the star; direct: json_agg), and against the same three in turn (beside)"),
    surfaces="PostgREST as `authenticated` and a direct connection, each client that can run Promise.all",
    attribution_test=core.NOT_APPLICABLE,
    rule=("The memo is right if Promise.all is called faster than one request in every cell (surface, client, RTT, "
          "user size; medians, paired repetitions, 10 % margin), right only when it is in some (named), wrong if in "
          "none (a tie is no win), undecided if most cells straddle the margin."))


def decide(c, extra=()) -> tuple[str, str]:
    return reads.decide(c, list(extra))


def evaluate(ev: core.Evidence) -> core.Finding:
    t = ev.table("read_paths")
    req = reads.requests(t)
    form, note = reads.tier_form(req)
    c = reads.table_calls(req, "star_parallel", ("join_json",), (form,))
    c, twin_text = reads.reproduced(c, reads.twin_table(ev), "star_parallel", ("join_json",), (form,))
    label, cond = decide(c)
    cold_call, cold_text = reads.cold(ev, "star_parallel", ("join_json",))
    if cold_call is not None:  # the cold cell is one more deciding cell
        label, cond = decide(c, [("cold cache, direct, psycopg", cold_call)])
    seq = reads.table_calls(req, "star_parallel", ("star_sequential",), ("star_sequential",))
    h = reads.headline(c)
    fig = None if h is None else core.Figure(
        f"star_parallel / {h.b}, median latency", h.ratio, h.lo, h.hi, h.call,
        rtt_ms=h.rtt_ms, scale=reads.scale(t), users=h.users, **reads.figure_where(h))
    answer = (f"Promise.all over three pooled connections against one request, per surface, client, RTT and user size "
              f"(scale {reads.scale(t)}): called faster {reads.summarise(c, stats.FASTER)}; slower "
              f"{reads.summarise(c, stats.SLOWER)}; equivalent {reads.summarise(c, stats.EQUIVALENT)}; undecided "
              f"{reads.summarise(c, stats.UNDECIDED)}." + (f" Headline: {fig.words()}, {core.ms(h.a_ms)} against "
                                                           f"{core.ms(h.b_ms)}." if fig else "") + note
              + f" Against the same three queries in turn it is called faster {reads.summarise(seq, stats.FASTER)}."
              + cold_text + (" " + twin_text if twin_text else ""))
    beside = (f"Mean and p95 in the headline cell: {h.mean_ratio:.2f}x ({h.mean_call}) and {h.p95_ratio:.2f}x; "
              if h is not None else "") + reads.mean_differs(c) + "; Promise.all spends three connections per request."
    advice = ("replace Promise.all over three tables by one request (an RPC through PostgREST)"
              if label in (core.WRONG, core.RIGHT_WHEN) else "")
    figs = (["fig-readpaths-latency-rtt-postgrest"] if c.client.isin(calls.POSTGREST).any() else []) + [
        "fig-readpaths-latency-rtt", "fig-readpaths-latency-rtt-chat"]
    return core.finding(SPEC, label, condition=cond, attribution=core.NOT_APPLICABLE, figure=fig, answer=answer,
                        beside=beside, figures=figs, advice=advice)
