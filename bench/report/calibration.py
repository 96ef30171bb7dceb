"""How far the run's calls can be trusted, from the run itself (and its A/A twin): the sham pairs'
false-call rate per kind of block, the repetitions each block took, where client and server ran,
what the delay proxy cost the client's core, the tier's own time per round trip, and which
headline calls the twin run makes differently. 06-method shows these tables."""
from __future__ import annotations

import math

import pandas as pd

from bench.names import TIER_LOAD_CLIENT
from bench.report import calls, cells, sham
from bench.results import stats

HEADLINES = (("star_sequential", ("join_flat", "join_json", "rpc_bundle")),
             ("star_parallel", ("join_flat", "join_json", "rpc_bundle")))


def sham_summary(run) -> pd.DataFrame:
    """One row per kind of timed block: sham pairs, false calls, their rate, equivalent and
    undecided shares, and the median per-repetition spread."""
    rows = []
    if run.has("read_paths"):
        t = run.table("read_paths")
        p = sham.pairs(t)
        for name, part in (("read paths, the harness (psycopg)", p[p.client == "psycopg"]),
                           ("read paths, the other clients", p[p.client != "psycopg"])):
            if len(part):
                rows.append({"blocks": name, **sham.rate(part)})
    if run.has("caching"):
        p = sham.pairs(run.table("caching"))
        if len(p):
            rows.append({"blocks": "cache cells (warm and cold)", **sham.rate(p)})
    if run.has("concurrency"):
        p = sham.load_pairs(run.table("concurrency"))
        if len(p):
            rows.append({"blocks": "load cells (throughput per repetition)", **sham.rate(p.assign(spread=float("nan")))})
    return pd.DataFrame(rows)


def load_margins(run, margins=(0.10, 0.15, stats.LOAD_MARGIN, 0.25)) -> pd.DataFrame:
    """The load cells' sham pairs called faster or slower at each candidate margin: how
    `stats.LOAD_MARGIN` was chosen (the smallest with at most `sham.TARGET` false calls)."""
    if not run.has("concurrency"):
        return pd.DataFrame()
    t = run.table("concurrency")
    rows = []
    for m in sorted(set(margins)):
        r = stats.sham_rate(sham.load_pairs(t, m).call)
        rows.append({"margin": f"{m:.0%}" + (" (used)" if m == stats.LOAD_MARGIN else ""), "sham pairs": r["pairs"],
                     "called faster/slower": r["false_calls"], "false-call rate": f"{r['false_call_rate']:.1%}",
                     "equivalent": f"{r['equivalent_rate']:.0%}", "undecided": f"{r['undecided_rate']:.0%}"})
    return pd.DataFrame(rows)


def load_margin_sentence(margins: pd.DataFrame) -> str:
    """Why load throughput has its own margin, and how coarse the estimate behind it is (the
    exact one-sided 95 % upper bound on the false-call rate, from the used margin's count)."""
    used = margins[margins.margin.str.endswith("(used)")].iloc[0]
    n, k = int(used["sham pairs"]), int(used["called faster/slower"])
    bound = rate_upper_bound(k, n)
    return (f"Load cells are not paired: each strategy's repetitions run back to back, one cell after the other, so "
            f"slow drift on a shared machine falls between the two cells of a comparison. Their throughput is compared "
            f"with a Welch t interval on the logs at a margin of {stats.LOAD_MARGIN:.0%}, the smallest of these at "
            f"which the load shams stay within the {sham.TARGET:.0%} target (the load row above uses it). With "
            f"{n} pairs the rate is a coarse estimate: {k} false calls in {n} still allows up to {bound:.0%} "
            f"(one-sided 95 % bound).")


def rate_upper_bound(k: int, n: int, confidence: float = 0.95) -> float:
    """Clopper-Pearson one-sided upper bound on a rate seen k times in n: the rate at which
    seeing k or fewer has probability 1 - confidence (bisection on the binomial CDF)."""
    if n == 0 or k >= n:
        return 1.0

    def cdf(p: float) -> float:
        return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k + 1))

    lo, hi = k / n, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) > 1 - confidence else (lo, mid)
    return hi


def sham_by_rtt(table: pd.DataFrame) -> pd.DataFrame:
    """Read-path sham pairs per envelope x RTT: pairs, calls, undecided, spread."""
    p = sham.pairs(table)
    if p.empty:
        return p
    g = p.groupby(["envelope", "rtt_ms"])
    return pd.DataFrame({"pairs": g.size(), "false calls": g.call.apply(lambda c: int(c.isin(stats.DECIDED).sum())),
                         "undecided": g.call.apply(lambda c: int((c == stats.UNDECIDED).sum())),
                         "median spread": g.spread.median().round(2)}).reset_index()


def reps_taken(table: pd.DataFrame) -> pd.DataFrame:
    """How many repetitions the harness's read-path blocks took, per RTT (adaptive: from the
    first look to the cap)."""
    t = table[(table.record == "request") & (table.get("client", "psycopg") == "psycopg")]
    if "reps_taken" not in t or t.reps_taken.isna().all():
        return pd.DataFrame()
    blocks = t.groupby(["rtt_ms", "indexes", "envelope", "bundle"]).reps_taken.max().reset_index()
    return blocks.groupby(["rtt_ms", "indexes"]).reps_taken.agg(blocks="size", fewest="min", median="median",
                                                               most="max").reset_index()


def proxy_cost(table: pd.DataFrame) -> pd.DataFrame:
    """The delay proxies' CPU per timed request (warm-ups included in the CPU) and their share of
    one core, per RTT."""
    px = table[table.record == "proxy"] if "record" in table else table.iloc[0:0]
    if px.empty:
        return pd.DataFrame()
    return pd.DataFrame({"scale": px.scale, "RTT (ms)": px.rtt_ms, "timed requests": px.requests.astype(int),
                         "proxy CPU per request (ms)": (px.proxy_cpu_s * 1e3 / px.requests).round(3),
                         "share of one core": (px.proxy_cpu_s / px.wall_s).round(3)})


def tier_by_rtt(table: pd.DataFrame) -> pd.DataFrame:
    """The tier's own handling per HTTP request (median, µs), per strategy x RTT: what it spends
    beside the database (parsing, token, body) and its statements' time. Neither should grow
    with the client's round trip, which lies outside the tier."""
    t = table[(table.record == "request") & (table.envelope == "tier")]
    if "tier_us" not in t or t.empty:
        return pd.DataFrame()
    t = t[t.client.fillna("psycopg") == "psycopg"] if "client" in t else t
    t = t[t.scale == cells.largest_scale(t)]
    per = t.http_requests.clip(lower=1)
    t = t.assign(own=(t.tier_us - t.tier_db_us - t.tier_wait_us.fillna(0)) / per, db=t.tier_db_us / per)
    out = t.groupby(["strategy", "rtt_ms"]).agg(own=("own", "median"), statements=("db", "median")).round(0)
    wide = out.unstack("rtt_ms")
    wide.columns = [f"{part} at RTT {rtt:g} ms" for part, rtt in wide.columns]
    return wide.reset_index()


def headline_calls(table: pd.DataFrame) -> pd.DataFrame:
    """The headline comparisons (the star's sequential and parallel fetches against the fastest
    one-request form) per client x RTT, with interval and call."""
    req = calls.with_tier(table)
    if req.empty:
        return pd.DataFrame()
    return pd.concat([calls.calls(req, a, against) for a, against in HEADLINES], ignore_index=True)


def aa_differences(table_a: pd.DataFrame, table_b: pd.DataFrame) -> pd.DataFrame:
    """The headline calls of a run beside its A/A twin's, with whether the call or the form
    compared against differs (a difference makes that call undecided on the pages)."""
    a, b = headline_calls(table_a), headline_calls(table_b)
    if a.empty or b.empty:
        return pd.DataFrame()
    m = a.merge(b, on=["client", "rtt_ms", "a"], suffixes=("", "_twin"))
    m["same"] = m.call == m.call_twin  # the fastest one-request form may differ where two are equivalent
    return m[["client", "rtt_ms", "a", "b", "ratio", "lo", "hi", "call", "b_twin", "ratio_twin", "lo_twin", "hi_twin",
              "call_twin", "same"]]


def aa_sentence(d: pd.DataFrame) -> str:
    if d.empty:
        return "No A/A twin of the read-path matrix beside this run."
    differ = d[~d.same]
    if differ.empty:
        return f"Every one of the {len(d)} headline read-path calls is the same in both runs."
    named = "; ".join(f"{r.a} against the one-request form ({r.client}, RTT {r.rtt_ms:g} ms): {r.call} here, "
                      f"{r.call_twin} in the twin" for r in differ.itertuples())
    return (f"{len(d) - len(differ)} of {len(d)} headline read-path calls are the same in both runs; these differ, "
            f"read each of them as undecided: {named}.")


def supabase_calls(table: pd.DataFrame) -> pd.DataFrame:
    """The memo's own code through the tier: supabase-js's Promise.all and its three calls in
    turn against its one request (the RPC), per RTT; and, for each strategy, supabase-js's
    median over the harness's through the same tier (the same users in the same order), so the
    Python client's figures can be read against the memo's."""
    sb = calls.supabase_js(table)
    if sb.empty:
        return pd.DataFrame()
    own = pd.concat([calls.calls(sb, a, ("rpc_bundle",)) for a in ("star_parallel", "star_sequential")],
                    ignore_index=True)
    harness = calls.with_tier(table)
    harness = harness[harness.client == calls.TIER]
    rows = []
    for (strategy, rtt), g in sb.groupby(["strategy", "rtt_ms"]):
        h = harness[(harness.strategy == strategy) & (harness.rtt_ms == rtt)]
        if h.empty:
            continue
        a, b = (x.groupby("rep").latency_us.median() for x in (g, h))
        reps = a.index.intersection(b.index)
        c = stats.paired(a[reps].to_numpy(), b[reps].to_numpy())
        rows.append({"strategy": strategy, "rtt_ms": rtt, "supabase-js ms": round(float(g.latency_us.median()) / 1e3, 3),
                     "harness ms": round(float(h.latency_us.median()) / 1e3, 3), "supabase-js / harness": c.words()})
    own = own.assign(call=own.apply(lambda r: f"{r.ratio:.2f}x [{r.lo:.2f}-{r.hi:.2f}] {r.call}", axis=1))
    return own[["rtt_ms", "a", "b", "call"]].merge(pd.DataFrame(rows), left_on=["rtt_ms", "a"],
                                                   right_on=["rtt_ms", "strategy"], how="left").drop(columns="strategy")


def tier_growth(wide: pd.DataFrame) -> str:
    """What the tier table says: how much the tier's time (own + statements) grows from the
    lowest to the highest RTT, per strategy."""
    own = [c for c in wide.columns if c.startswith("own at")]
    stm = [c for c in wide.columns if c.startswith("statements at")]
    if len(own) < 2:
        return ""
    parts = [f"{r.strategy} {((r[own[-1]] + r[stm[-1]]) / (r[own[0]] + r[stm[0]])):.2f}x"
             for _, r in wide.iterrows()]
    return (f"From {own[0].removeprefix('own at ')} to {own[-1].removeprefix('own at ')} the tier's time per request "
            f"grows: {', '.join(parts)}, mostly in its statements' time. It is not the delay proxy: the proxy runs on "
            f"the client's core, and a client that merely sleeps as long between requests on a direct connection, "
            f"with no proxy, sees the same growth (`python -m bench.measure.tier_gap`). Nor is it how the tier "
            f"measures: its clock starts once the whole request is read (tests/db/test_tier_rtt.py). On this "
            f"virtual machine any process that sleeps a few milliseconds runs its next round trips slower, pinned "
            f"or not, idle cores polling or not: PostgreSQL's own statement time and a bare socket ping-pong between "
            f"two processes grow alike. So tier and server times at RTT 10 ms and beyond include a cost of waking "
            f"from idle, paid per request: a form that sends more requests pays it more often, as it would over a real "
            f"link to an otherwise idle server.")


def cold_twin_calls(table: pd.DataFrame | None, twin: pd.DataFrame | None) -> pd.DataFrame:
    """The cold comparisons the claims call (`evolution_cells.COLD_COMPARISONS`), in the run's
    caching table and in its A/A twin's: per comparison the form set against, the ratio of
    medians with its interval and the call in each, and whether the two calls agree (where they
    do not, the pages count the cold call as undecided). The twin's columns stay empty where it
    has no proven cold cells at the run's scale (a twin of the read paths alone); no rows where
    the run's own cold cells are not proven cold."""
    from bench.report import evolution_cells as ec

    cols = ["a", "b", "ratio", "lo", "hi", "call", "b_twin", "ratio_twin", "lo_twin", "hi_twin", "call_twin", "same"]
    if table is None or not ec.proven_cold(table)[0]:
        return pd.DataFrame(columns=cols)
    usable = (twin is not None and ec.proven_cold(twin)[0]
              and ec.records(twin, "buffers").scale.iloc[0] == ec.records(table, "buffers").scale.iloc[0])
    rows = []
    for a, against in ec.COLD_COMPARISONS:
        got = ec.cold_paired(table, a, against, stats.MARGIN)
        if got is None:
            continue
        (c, b), t = got, ec.cold_paired(twin, a, against, stats.MARGIN) if usable else None
        row = {"a": a, "b": b, "ratio": c.ratio, "lo": c.lo, "hi": c.hi, "call": c.call}
        if t is None:
            row.update(b_twin="", ratio_twin=float("nan"), lo_twin=float("nan"), hi_twin=float("nan"), call_twin="",
                       same=None)
        else:
            row.update(b_twin=t[1], ratio_twin=t[0].ratio, lo_twin=t[0].lo, hi_twin=t[0].hi, call_twin=t[0].call,
                       same=t[0].call == c.call)
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)


def cold_twin_sentence(d: pd.DataFrame) -> str:
    """What `cold_twin_calls` shows, in one sentence."""
    if d.empty:
        return "The run's cold cells are not proven cold (or it has none): no cold call to set beside a twin."
    if d.call_twin.eq("").all():
        return ("No A/A twin of the cold cells beside this run (no twin, a twin of the read paths alone, or twin cold "
                "cells not proven cold): the cold calls below are this run's, not checked against a second run.")
    differ = d[d.same.eq(False)]
    if differ.empty:
        return f"Every one of the {len(d)} cold calls is the same in the A/A twin run."
    named = "; ".join(f"{r.a} against {r.b}: {r.call} here, {r.call_twin} in the twin" for r in differ.itertuples())
    return f"{len(differ)} of {len(d)} cold calls differ in the A/A twin run and count as undecided: {named}."


def tier_load_cost(table: pd.DataFrame) -> pd.DataFrame:
    """Through the PostgREST path under load (concurrency, client node-http): per RTT, strategy
    and virtual users, the tier's CPU per HTTP request, the cores of the tier, of PostgreSQL and the
    tier together, of node and of the delay proxy, and whether the cell was client-bound; medians
    over the repetitions."""
    cols = ["RTT ms", "strategy", "virtual users", "HTTP per bundle", "bundles/s", "tier µs CPU per HTTP",
            "tier cores", "server side cores", "node cores", "proxy cores", "client-bound"]
    if table is None or "client" not in table:
        return pd.DataFrame(columns=cols)
    t = table[(table.record == "load") & (table.client == TIER_LOAD_CLIENT)]
    if t.empty:
        return pd.DataFrame(columns=cols)
    g = t.groupby(["rtt_ms", "strategy", "clients"], sort=True)
    out = g.agg(http=("http_per_request", "first"), rps=("throughput_rps", "median"),
                tier_us=("tier_cpu_us_per_http", "median"), tier=("tier_cpu_cores", "median"),
                server=("server_cpu_cores", "median"), node=("client_cpu_cores", "median"),
                proxy=("proxy_cpu_cores", "median"), bound=("client_bound", "any")).reset_index()
    out[["rps", "tier_us"]] = out[["rps", "tier_us"]].round(0)
    out[["tier", "server", "node", "proxy"]] = out[["tier", "server", "node", "proxy"]].round(2)
    out["clients"] = out.clients.astype(int)
    out.columns = cols
    return out
