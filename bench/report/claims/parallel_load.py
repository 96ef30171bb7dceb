"""parallel-load: "Fast, parallel, independent queries" under load. Torn reads beside, never the gate."""
from __future__ import annotations

import pandas as pd

from bench.names import TIER_LOAD_CLIENT
from bench.report import cells
from bench.report.claims import core
from bench.results import stats

SPEC = core.Spec(
    key="parallel_load", quote="Fast, parallel, independent queries", where="Advantages 2 (getUserData)",
    needs=("concurrency",),
    comparison=("saturation throughput of star_parallel against the best one-request form at a fixed connection "
                "budget, per RTT, in cells where neither the client nor the delay proxy is the bottleneck"),
    surfaces=("the PostgREST path: the requests supabase-js makes, replayed by node's http client with many in "
              "flight, against the tier and its pool of 10 beside the database, the round trip on the client's side; "
              "beside it, the Python load generator and pgbench on direct connections"),
    attribution_test=core.NOT_APPLICABLE,
    rule=("The memo is right if Promise.all's saturation throughput is called higher than one request's in every "
          "cell free of a client bottleneck, right only when in some (named), wrong if in none (a tie is no win), "
          "undecided if no such cell or most straddle the margin; torn reads are reported beside, never the gate."))
ONE_REQUEST = ("join_json", "rpc_bundle")
TIER_CLIENT = TIER_LOAD_CLIENT  # the headline: through the PostgREST path (CLAIMS.md), where the run has it


def _reps(t: pd.DataFrame, sat: pd.DataFrame) -> dict:
    load = t[(t.record == "load") & (t["mode"] == "closed")]
    if "sweep" in load:
        load = load[load.sweep.isna()]
    client = load["client"].fillna(cells.LOAD_CLIENT) if "client" in load else pd.Series(cells.LOAD_CLIENT, load.index)
    out = {}
    for row in sat.itertuples():
        g = load[(client == row.client) & (load.rtt_ms == row.rtt_ms) & (load.strategy == row.strategy)
                 & (load.clients == row.clients)]
        out[row.client, row.rtt_ms, row.strategy] = g.throughput_rps.to_numpy()
    return out


def called(fair: pd.DataFrame, per_rep: dict, client: str, a: str, against: tuple[str, ...]) -> list:
    out = []
    for rtt, g in fair[fair.client == client].groupby("rtt_ms"):
        others = g[g.strategy.isin(against)]
        if a in set(g.strategy) and len(others):
            best = others.loc[others.throughput_rps.idxmax(), "strategy"]
            out.append((rtt, best, stats.unpaired(per_rep.get((client, rtt, a), []),
                                                  per_rep.get((client, rtt, best), []), stats.LOAD_MARGIN,
                                                  lower_is_better=False)))
    return out


def decide(cells_: list[tuple[str, str]]) -> tuple[str, str]:
    return core.decide(cells_)


def _calls_text(got: list, who: str) -> str:
    return ", ".join(f"{c.ratio:.2f}x [{c.lo:.2f}-{c.hi:.2f}] {c.call} at RTT {rtt:g} ms (vs {b})" for rtt, b, c in got) \
        + f" ({who})"


def evaluate(ev: core.Evidence) -> core.Finding:
    t = ev.table("concurrency")
    sat = cells.saturation(cells.load(t))
    fair = sat[~sat.client_bound.astype(bool)]
    per_rep = _reps(t, sat)
    through_tier = (sat.client == TIER_CLIENT).any()
    head = TIER_CLIENT if through_tier else cells.LOAD_CLIENT  # runs before the tier's load cells: the direct pool
    got = called(fair, per_rep, head, "star_parallel", ("rpc_bundle",) if through_tier else ONE_REQUEST)
    label, cond = decide([(f"RTT {rtt:g} ms", c.call) for rtt, _, c in got])
    mine = sat[sat.client == head]
    if not got:
        cond = (f"no saturation cell of star_parallel and a one-request form free of a client bottleneck "
                f"({int(mine.client_bound.astype(bool).sum())} of {len(mine)} client-bound)")
    surface = ("PostgREST tier, pool of 10 beside the database; supabase-js's requests replayed by node's http"
               if through_tier else "load generator, pool of 10")
    fig, p99_text = None, ""
    if got:
        rtt, best, c = got[-1]
        fig = core.Figure(f"star_parallel / {best}, saturation throughput", c.ratio, c.lo, c.hi, c.call,
                          surface=surface, rtt_ms=rtt, client=head, users="all")
        p99 = fair[(fair.client == head) & (fair.rtt_ms == rtt)].set_index("strategy").latency_p99_us
        p99_text = (f"; p99 at saturation {p99['star_parallel'] / 1000:.1f} ms against {p99[best] / 1000:.1f} ms "
                    f"at RTT {rtt:g} ms" if {"star_parallel", best} <= set(p99.index) else "")
    who = ("through the PostgREST path: the requests supabase-js makes, replayed by node's http client, against the "
           "tier and its pool of 10 beside the database" if through_tier else "the Python load generator, a pool of 10")
    load = ("Saturation throughput of Promise.all (star_parallel) over one request, cells free of a client "
            "bottleneck: " + _calls_text(got, who) + p99_text if got else f"Under load: {cond}, so no throughput call")
    if through_tier:
        tier = t[(t.record == "load") & (t.client == TIER_CLIENT)]
        load += (f". The tier's own CPU per HTTP request: {tier[tier.strategy == 'rpc_bundle'].tier_cpu_us_per_http.median():.0f} µs "
                 f"for the RPC, {tier[tier.strategy == 'star_parallel'].tier_cpu_us_per_http.median():.0f} µs for each request "
                 "of Promise.all's three (median over cells; a single-threaded Python process in PostgREST's place)")
        direct = called(fair, per_rep, cells.LOAD_CLIENT, "star_parallel", ONE_REQUEST)
        if direct:
            load += "; on direct connections beside it, " + _calls_text(direct, "the Python load generator, a pool of 10")
    server = called(fair, per_rep, "pgbench", "star_pipelined", ("join_json",)) + called(
        fair, per_rep, "pgbench", "star_sequential", ("join_json",))
    if server:
        load += ("; driven by pgbench (C), the star's single-table forms over join_json: "
                 + ", ".join(f"{c.ratio:.2f}x [{c.lo:.2f}-{c.hi:.2f}] {c.call} at RTT {rtt:g} ms" for rtt, _, c in server))
    cons = cells.consistency(t)
    top = cons[cons.write_rate == cons.write_rate.max()] if len(cons) else cons
    rc = top[(top.strategy == "star_parallel") & (top.condition == "read committed")] if len(top) else top
    one = top[top.strategy.isin(["join_json", "join_flat"])] if len(top) else top
    torn, reads_ = (int(rc.torn.sum()), int(rc.reads.sum())) if len(rc) else (0, 0)
    beside = (f"Consistency, a separate finding: reading three tables under three snapshots, {torn} of {reads_} "
              f"bundles were torn while a writer changed two spokes per transaction, against "
              f"{int(one.torn.sum()) if len(one) else 0} of {int(one.reads.sum()) if len(one) else 0} for one joined "
              f"statement." if len(cons) else "No consistency cells in this run.")
    return core.finding(SPEC, label, condition=cond, attribution=core.NOT_APPLICABLE, figure=fig, answer=load + ".",
                        beside=beside, figures=[*(["fig-concurrency-tier-load"] if through_tier else []), "fig-concurrency-saturation-clients", "fig-concurrency-torn-reads",
                                                "fig-concurrency-budget-throughput"],
                        advice=("under load, read a user's tables in one request" if label in (core.WRONG,
                                                                                               core.RIGHT_WHEN) else ""))
