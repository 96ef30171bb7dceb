"""The memo's claims, each answered from a run: measured answer, verdict, when it flips, evidence.

Every answer is computed from the run's tables; a claim whose experiment is not in the run says
so. Verdicts: `holds`, `holds only when ...`, `does not hold`, `not covered`.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from bench.report import calls, cells, figindex, palette
from bench.report import verdicts_evolution as evolution
from bench.report import verdicts_integrity as integrity
from bench.report.verdict import DOES_NOT_HOLD, HOLDS, NOT_COVERED, ONLY_WHEN, Verdict  # noqa: F401 (the API)
from bench.results import stats
from bench.results import store as results


@dataclass(frozen=True)
class Claim:
    key: str
    quote: str
    where: str  # the memo's section
    needs: tuple[str, ...]  # experiments the answer comes from
    evaluate: object  # (Evidence) -> Verdict
    row: str = ""  # its row in the memo's Pattern Comparison table, if any


class Evidence:
    """A run, with its summary and tables read once."""

    def __init__(self, run: results.Run):
        self.run = run

    @cached_property
    def summary(self) -> pd.DataFrame:
        return results.summary(self.run.path)

    def table(self, name: str) -> pd.DataFrame:
        return self.run.table(name)

    @cached_property
    def reads(self) -> pd.DataFrame:
        """Read-paths cells of the 'account' bundle, plain, indexed, warm, at the largest scale."""
        s = cells.read_paths(self.summary, self.table("read_paths"))
        scale = cells.largest_scale(s)
        return s[(s.bundle == "account") & (s.scale == scale) & (s.envelope == "plain") & (s.indexes == "indexed")]

    @cached_property
    def p50(self) -> pd.DataFrame:
        """Median latency (ms) per measured RTT x strategy, direct connection as the table owner."""
        return self.reads.pivot_table(index="rtt_measured_ms", columns="strategy", values="p50_us").sort_index() / 1000

    @cached_property
    def tier_p50(self) -> pd.DataFrame:
        """The same through the PostgREST tier as `authenticated` (the memo's supabase-js flow:
        HTTP requests, JSON bodies, db-max-rows), at the scale of `reads`; empty where the run has
        no tier cells."""
        s = cells.read_paths(self.summary, self.table("read_paths"))
        s = s[(s.bundle == "account") & (s.envelope == "tier") & (s.indexes == "indexed")]
        s = s[s.scale == self.reads.scale.iloc[0]] if len(self.reads) else s.iloc[:0]
        return s.pivot_table(index="rtt_measured_ms", columns="strategy", values="p50_us").sort_index() / 1000


def _ms(v: float) -> str:
    return f"{v:.2f} ms" if v < 10 else f"{v:.1f} ms"


def _read_claim(ev: Evidence, a: str, against: tuple[str, ...]) -> tuple[pd.DataFrame, str, str]:
    """a against the fastest of `against`, per client x RTT (bench.report.calls): the calls,
    the verdict (holds where a is called faster in every cell, only when in some, else not:
    a tie is not a win) and a sentence naming each client's calls."""
    c = calls.calls(calls.with_tier(ev.table("read_paths")), a, against)
    faster = c.call == stats.FASTER
    verdict = HOLDS if len(c) and faster.all() else (ONLY_WHEN if faster.any() else DOES_NOT_HOLD)
    text = (f" Called per client and RTT ({a} / the faster of {', '.join(against)}: geometric mean over the paired "
            f"repetitions of the ratio of medians [95 % t interval]; 'faster'/'slower' only beyond "
            f"{stats.MARGIN:.0%} with the interval clear of 1, 'equivalent' with the whole interval inside "
            f"{stats.MARGIN:.0%}, else undecided): {calls.sentence(c)}; "
            f"{calls.across_clients(c)}.")
    return c, verdict, text


def _through_tier(ev: Evidence, a: str, b: str, b_name: str) -> str:
    """The memo's flow as supabase-js makes it: a over b through the PostgREST tier, at the
    lowest and highest RTT; '' where the run has no tier cells of both."""
    t = ev.tier_p50
    if not {a, b} <= set(t.columns):
        return ""
    r = t[a] / t[b]
    return (f" Through the PostgREST tier as `authenticated` (the memo's supabase-js flow: HTTP requests over the "
            f"delayed link, the tier's pool of 10 beside the database, JSON bodies parsed, at most 1000 rows per "
            f"node), {a} takes {r.iloc[0]:.2f}x {b_name} at RTT {t.index.min():.2g} ms ({_ms(t[a].iloc[0])} against "
            f"{_ms(t[b].iloc[0])}) and {r.iloc[-1]:.2f}x at {t.index.max():.2g} ms ({_ms(t[a].iloc[-1])} against "
            f"{_ms(t[b].iloc[-1])}).")


def _tier_figure(ev: Evidence) -> list[str]:
    return ["fig-readpaths-latency-rtt-postgrest"] if len(ev.tier_p50) else []


def _no_joins(ev: Evidence) -> Verdict:
    p = ev.p50
    seq, best_join = p["star_sequential"], p[["join_flat", "join_json"]].min(axis=1)
    lo, hi = (seq / best_join).min(), (seq / best_join).max()
    c, verdict, called = _read_claim(ev, "star_sequential", ("join_flat", "join_json"))
    tier = _through_tier(ev, "star_sequential", "join_json", "one embedded request").lstrip()
    answer = (tier + (" On a direct connection as the table owner (the suite's harness), the" if tier else "The")
              + f" memo's three single-table queries, one after another, take {lo:.1f}x to {hi:.1f}x the time of one "
              f"joined statement returning the same bundle (scale {ev.reads.scale.iloc[0]}, 'account' bundle, "
              f"RTT {p.index.min():.2g} to {p.index.max():.2g} ms): {_ms(seq.iloc[0])} against "
              f"{_ms(best_join.iloc[0])} at RTT 0, {_ms(seq.iloc[-1])} against {_ms(best_join.iloc[-1])} at "
              f"{p.index.max():.2g} ms (direct connection, table owner)." + called)
    cold, cold_text = evolution.cold_reads(ev, "star_sequential", ("join_flat", "join_json"), stats.MARGIN)
    flips = (f"single-table fetches called faster: {calls.where(c, stats.FASTER)}; "
             f"equivalent: {calls.where(c, stats.EQUIVALENT)}; undecided: {calls.where(c, stats.UNDECIDED)}; "
             f"slower: {calls.where(c, stats.SLOWER)}")
    advice = (f"fetch a user's screen in one request that joins or embeds the spokes (PostgREST's embedding or an RPC): "
              f"the three sequential queries took {lo:.1f}x to {hi:.1f}x its time, RTT 0 to {p.index.max():.2g} ms")
    return Verdict(answer + cold_text, _with_cold(verdict, cold), flips + _cold_flip(cold),
                   [*_tier_figure(ev), "fig-readpaths-latency-rtt", "fig-readpaths-decomposition-time"], advice)


def _parallel(ev: Evidence) -> Verdict:
    p = ev.p50
    par, seq, join = p["star_parallel"], p["star_sequential"], p["join_json"]
    c, verdict, called = _read_claim(ev, "star_parallel", ("join_json",))
    tier = _through_tier(ev, "star_parallel", "join_json", "the one embedded request").lstrip()
    answer = (tier + (" " if tier else "") + "On a direct connection as the table owner"
              + f", Promise.all over three pooled connections takes {(par / join).iloc[0]:.1f}x the single "
              f"PostgREST-shaped JOIN at RTT 0 and {(par / join).iloc[-1]:.2f}x at {p.index.max():.2g} ms (the suite's "
              f"harness): it waits for its slowest fetch and spends three connections. Against the sequential fetches "
              f"it is {(par / seq).iloc[0]:.2f}x at RTT 0 and {(par / seq).iloc[-1]:.2f}x at {p.index.max():.2g} ms."
              + called)
    crossings = cells.crossovers(ev.reads, pairs=(("star_parallel", "join_json"), ("star_parallel", "star_sequential")))
    flips = (f"parallel called faster than the JOIN: {calls.where(c, stats.FASTER)}; equivalent: "
             f"{calls.where(c, stats.EQUIVALENT)}; undecided: {calls.where(c, stats.UNDECIDED)}; "
             + ("; ".join(crossings) if crossings else "no crossover with the JOIN in the measured range"))
    cold, cold_text = evolution.cold_reads(ev, "star_parallel", ("join_json",), stats.MARGIN)
    advice = (f"replace Promise.all over three tables by one embedded request: it took {(par / join).iloc[0]:.1f}x the "
              f"JOIN at RTT 0 and {(par / join).iloc[-1]:.2f}x at {p.index.max():.2g} ms, on three connections instead of one")
    return Verdict(answer + cold_text, _with_cold(verdict, cold), flips + _cold_flip(cold),
                   [*_tier_figure(ev), "fig-readpaths-latency-rtt", "fig-readpaths-latency-rtt-chat",
                    *(["fig-caching-latency-cache"] if cold is not None else [])], advice)


def _with_cold(warm: str, cold: str | None) -> str:
    """A read-path verdict with its cold condition: a claim false warm but called faster cold
    holds only when the cache is cold."""
    return ONLY_WHEN if warm == DOES_NOT_HOLD and cold == stats.FASTER else warm


def _cold_flip(cold: str | None) -> str:
    return "" if cold is None else f"; cold cache: {cold}"


def _fanout(ev: Evidence) -> Verdict:
    """A joined shape costs more when it moves more than the margin in bytes over the single-table
    fetches for the median sampled user AND is not faster than them at RTT 0 (largest scale)."""
    t = ev.table("read_paths")
    b = t[(t.record == "bytes") & (t.bundle == "account")]
    scale = cells.largest_scale(b)
    med = b[b.scale == scale].groupby("strategy").bytes.median()
    rtt0 = ev.p50.iloc[0]
    ratio = {j: med[j] / med["star_sequential"] for j in ("join_flat", "join_json")}
    costs = {j: ratio[j] > 1 + stats.MARGIN and rtt0[j] >= rtt0["star_sequential"] for j in ratio}
    fastest = rtt0.idxmin()
    answer = (f"At scale {scale}, for the median sampled user, the flat JOIN moves {ratio['join_flat']:.1f}x the bytes of "
              f"the single-table fetches (roles x audit rows multiply) and the PostgREST json_agg shape "
              f"{ratio['join_json']:.1f}x; at RTT 0 the flat JOIN takes {rtt0['join_flat'] / rtt0['star_sequential']:.2f}x "
              f"and json_agg {rtt0['join_json'] / rtt0['star_sequential']:.2f}x the sequential fetches' median; the "
              f"fastest read is {palette.label(fastest)} ({_ms(rtt0[fastest])}).")
    verdict = HOLDS if all(costs.values()) else (ONLY_WHEN if any(costs.values()) else DOES_NOT_HOLD)
    flips = "; ".join(
        f"{'holds' if costs[j] else 'not'} against {palette.label(j)} ({ratio[j]:.1f}x the bytes, "
        f"{rtt0[j] / rtt0['star_sequential']:.2f}x the latency at RTT 0)" for j in ratio)
    advice = (f"embed the spokes with json_agg (PostgREST's shape) rather than a flat JOIN, which multiplies rows: "
              f"{ratio['join_flat']:.1f}x the single-table bytes against {ratio['join_json']:.1f}x" if costs["join_flat"]
              else "")
    return Verdict(answer, verdict, flips, ["fig-readpaths-bytes-strategy", "fig-readpaths-latency-fanout"], advice)


def _rls_simple(ev: Evidence) -> Verdict:
    t = ev.table("rls")
    p = cells.policy_cells(t)
    scale = cells.largest_scale(p)
    d = p[(p.scale == scale) & (p.caller == "authenticated") & (p.to == "public")].set_index(["form", "index", "query"])

    def cost(form, index, query="select"):
        if (form, index, query) not in d.index:
            return None, "not measured"
        row = d.loc[(form, index, query)]
        return row.server_ms, (f"> {row.server_ms / 1000:.0f} s (timed out)" if bool(row.timed_out) else _ms(row.server_ms))

    iso = t[t.record == "isolation"]
    tables = iso[~iso.case.str.startswith("view_")]
    leak = iso[(iso.case == "view_default") & ~iso.held.astype(bool)]
    parts, conditions = [], []
    memo_idx, memo_idx_txt = cost("memo", "indexed")
    memo_scan, memo_scan_txt = cost("memo", "none")
    parts.append(f"the memo's policy reading one user's audit rows takes {memo_idx_txt} with a user_id index"
                 + (f" and {memo_scan_txt} without (the memo's DDL has none)" if memo_scan is not None else ""))
    if memo_scan is not None and memo_idx is not None and memo_scan > 3 * memo_idx:
        conditions.append(f"every user_id is indexed ({memo_scan / memo_idx:.0f}x slower without)")
    role, role_txt = cost("role_fn", "indexed")
    wrapped, wrapped_txt = cost("role_fn_select", "indexed")
    if role is not None:
        parts.append(f"a role check through a plain function {role_txt}, wrapped in (select ...) {wrapped_txt}")
        if wrapped is not None and role > 2 * wrapped:
            conditions.append("role checks are wrapped in (select ...)")
        if d.loc[("role_fn", "indexed", "select")].timed_out or (wrapped is not None and wrapped > 10 * memo_idx):
            conditions.append("policies stay free of per-row lookups (a role check scans every row of an unfiltered read)")
    if len(leak):
        conditions.append(f"no view skips security_invoker (a plain view handed {int(leak.rows_seen.max()):,} rows "
                          f"to a user owning {int(leak.expected_rows.max()):,})")
    answer = (f"Isolation held in {int(tables.held.sum())} of {len(tables)} checks (every spoke, every strategy, anon, "
              f"missing and forged claims). Cost at scale {scale}: " + "; ".join(parts) + ".")
    if not tables.held.astype(bool).all():
        return Verdict(answer, DOES_NOT_HOLD, "isolation failed in: " + ", ".join(sorted(set(tables[~tables.held].case))),
                       ["fig-rls-isolation"])
    writes = _rls_writes(t)
    if writes is not None:
        return Verdict(answer + " " + writes.answer, writes.verdict, "; ".join(filter(None, [writes.flips, *conditions])),
                       ["fig-rls-write-paths", "fig-rls-isolation", "fig-rls-forms-scale", "fig-rls-strategies"])
    verdict = ONLY_WHEN if conditions else HOLDS
    return Verdict(answer, verdict, ("simple and safe only when " + "; ".join(conditions)) if conditions else "",
                   ["fig-rls-isolation", "fig-rls-forms-scale", "fig-rls-index-filter", "fig-rls-anon-to",
                    "fig-rls-strategies"])


def _rls_writes(t: pd.DataFrame) -> Verdict | None:
    """The write paths, when the run has them and the memo's policies or grants let a write
    through: does not hold if a supabase-js client can do it through PostgREST; holds only when
    the grants are narrowed if only a direct connection can."""
    from bench.report.charts import rls as rc

    if "policy_set" not in t.columns:  # a run recorded before the write-path checks
        return None
    w = t[t.record == "write"]
    memo, safe = w[w.policy_set == "memo"], w[w.policy_set == "safe"]
    holes = memo[~memo.held.astype(bool)]
    if holes.empty:
        return None
    fix = (f"the safe set held {int(safe.held.sum())} of {len(safe)} write checks" if len(safe) else "")
    if (holes.reach == "postgrest").any():
        return Verdict(rc.write_sentence(w), DOES_NOT_HOLD,
                       "holds with separate FOR SELECT and write policies (WITH CHECK), no user write policy on "
                       "user_roles and no TRUNCATE/TRIGGER grants to the API roles" + (f": {fix}" if fix else ""))
    return Verdict(rc.write_sentence(w), ONLY_WHEN, "the API roles are granted no TRUNCATE or TRIGGER and "
                   "SECURITY DEFINER functions pin their search_path" + (f" ({fix})" if fix else ""))


def _oauth_isolation(ev: Evidence) -> Verdict:
    all_checks = ev.table("rls")
    iso = all_checks[(all_checks.record == "isolation") & ~all_checks.case.str.startswith("view_")]
    leak = all_checks[(all_checks.case == "view_default") & ~all_checks.held.astype(bool)]
    held = iso.held.astype(bool)
    answer = (f"{int(held.sum())} of {len(iso)} isolation checks held: user A never received user B's rows through "
              f"any spoke or read strategy; anon, a missing claim and a forged claim received nothing. The isolation "
              f"comes from the policies, which the relational variant carries identically (same policy file).")
    flips = (f"breaks through a view created without security_invoker: it returned "
             f"{int(leak.foreign_rows.max()):,} other users' rows" if len(leak) else "")
    return Verdict(answer, HOLDS if held.all() else DOES_NOT_HOLD, flips, ["fig-rls-isolation"])


def _cross_ratios(ev: Evidence) -> tuple[pd.DataFrame, str]:
    """Per cross-spoke query at the largest scale: each approach's latency, bytes moved and client
    heap peak over the SQL join on the star."""
    t = ev.table("cross_service")
    s = ev.summary
    s = s[(s.experiment == "cross_service") & (s.condition != "orm_page")]
    scale = cells.largest_scale(s)
    lat = s[s.scale == scale].pivot_table(index="condition", columns="strategy", values="p50_us")
    at = t[t.scale == scale]
    moved = at[at.record == "bytes"].assign(moved=lambda d: d["bytes"] + d["sent_bytes"].fillna(0))
    size = moved.pivot_table(index="condition", columns="strategy", values="moved")
    heap = at[at.record == "memory"].pivot_table(index="condition", columns="strategy", values="peak_bytes")
    frames = {k: v.div(v["join_star"], axis=0) for k, v in (("latency", lat), ("bytes", size), ("memory", heap))}
    return pd.concat(frames, axis=1), scale


def _span(x: pd.Series) -> str:
    return f"{x.min():.1f}x" if round(x.min(), 1) == round(x.max(), 1) else f"{x.min():.1f}x to {x.max():.1f}x"


CROSS_FIGURES = ["fig-cross-latency-scale", "fig-cross-bytes-scale", "fig-cross-memory-scale"]


def _microservices(ev: Evidence) -> Verdict:
    r, scale = _cross_ratios(ev)
    services = ["services_parallel", "services_chained"]
    best = r["latency"][services].min(axis=1)
    answer = (f"Each service can answer from its own table, and the answers matched the SQL join's for all "
              f"{len(r)} cross-spoke questions; but the application then joins in pandas: at scale {scale} the "
              f"better per-service way takes {_span(best)} the join's latency, moves "
              f"{_span(r['bytes'][services].min(axis=1))} its bytes and peaks at "
              f"{_span(r['memory'][services].min(axis=1))} its client memory (each service filtering on its own: "
              f"up to {r['latency']['services_parallel'].max():.0f}x the latency).")
    slower = best > 1.2
    flips = (f"the per-service way is not slower only for: {', '.join(best.index[~slower])}" if (~slower).any()
             else "every cross-spoke question measured costs more per service than as one join")
    return Verdict(answer, ONLY_WHEN if slower.any() else HOLDS,
                   "holds for questions inside one service's table; " + flips, CROSS_FIGURES)


def _business_queries(ev: Evidence) -> Verdict:
    """The memo's disadvantage: such questions need joins. It holds where doing without the join
    (per-service fetches merged in the application) costs clearly more than the join."""
    r, scale = _cross_ratios(ev)
    rel = r["latency"]["join_relational"]
    without = r["latency"][["services_parallel", "services_chained"]].min(axis=1)
    needed = without > JOIN_NEEDED_MARGIN
    answer = (f"At scale {scale}, doing without the join (per-service fetches merged in pandas) takes "
              f"{_span(without)} the join's latency for {len(r)} cross-spoke questions; the same join on the "
              f"relational schema takes {_span(rel)} the star's (the spokes join on user_id in both).")
    verdict = HOLDS if needed.all() else (ONLY_WHEN if needed.any() else DOES_NOT_HOLD)
    flips = (f"joins are needed for {', '.join(needed.index[needed]) or 'none'} (more than "
             f"{JOIN_NEEDED_MARGIN:.1f}x the join's latency without it)")
    return Verdict(answer, verdict, flips, CROSS_FIGURES)


JOIN_NEEDED_MARGIN = 1.2  # doing without the join must cost more than this to call the join needed


def _parallel_under_load(ev: Evidence) -> Verdict:
    t = ev.table("concurrency")
    sat = cells.saturation(cells.load(t))
    fair = sat[~sat.client_bound.astype(bool)]
    per_rep = _saturation_reps(t, sat)
    called = _called(fair, per_rep, cells.LOAD_CLIENT, "star_parallel", ("join_json",))
    cons = cells.consistency(t)
    top = cons[cons.write_rate == cons.write_rate.max()]
    rc = top[(top.strategy == "star_parallel") & (top.condition == "read committed")]
    torn = int(rc.torn.sum())
    reads = int(rc.reads.sum())
    one = top[top.strategy.isin(["join_json", "join_flat"])]
    if called:
        load = ("Under load with a shared pool of 10 connections, in the saturation cells that were not client-bound "
                "(the client side, the delay proxy included, against the cores), star_parallel's throughput over "
                "join_json's is " + _calls(called)
                + f" (the Python load generator; called only where the repetition ranges do not overlap and beyond "
                  f"{stats.MARGIN:.0%})")
    else:
        load = (f"Under load no saturation cell of star_parallel and join_json at the same RTT was free of a client "
                f"bottleneck ({int(sat.client_bound.astype(bool).sum())} of {len(sat)} were client-bound), so no "
                f"throughput verdict is called")
    server = _called(fair, per_rep, "pgbench", "join_json", ("star_sequential", "star_pipelined"))
    if server:
        load += ("; driven by pgbench (C, no Python client), the joined statement's saturation throughput over the "
                 "star's best single-table form is " + _calls(server))
    answer = (load + f"; it reads three tables under three snapshots: {torn} of {reads} bundles were torn "
              f"({1e4 * torn / max(reads, 1):.0f} per 10,000) while a writer changed two spokes per transaction, against "
              f"{int(one.torn.sum())} of {int(one.reads.sum())} for the single joined statement.")
    faster = [rtt for rtt, c in called if c.call == stats.FASTER]
    independent = bool(faster) and torn == 0
    flips = ("called faster under load at RTT " + ", ".join(f"{x:g}" for x in faster) + " ms" if faster
             else "never called faster than the joined statement in a cell without a client bottleneck")
    flips += "; consistent only inside one exported snapshot or repeatable-read transaction"
    advice = ("under load, read a user's tables in one statement (or inside one snapshot): star_parallel "
              + (f"reached {called[-1][1].ratio:.2f}x join_json's saturation throughput at RTT {called[-1][0]:g} ms and " if called else "")
              + f"tore {1e4 * torn / max(reads, 1):.0f} of 10,000 bundles while a writer ran")
    return Verdict(answer, HOLDS if independent else DOES_NOT_HOLD, flips,
                   ["fig-concurrency-saturation-clients", "fig-concurrency-torn-reads", "fig-concurrency-budget-throughput"],
                   advice)


def _called(fair: pd.DataFrame, per_rep: dict, client: str, a: str, against: tuple[str, ...]) -> list:
    """Per RTT where `client` has cells for `a` and one of `against` free of a client bottleneck:
    a's saturation throughput over the best of `against`'s (more is better)."""
    out = []
    for rtt, g in fair[fair.client == client].groupby("rtt_ms"):
        others = g[g.strategy.isin(against)]
        if a in set(g.strategy) and len(others):
            best = others.loc[others.throughput_rps.idxmax(), "strategy"]
            out.append((rtt, stats.unpaired(per_rep.get((client, rtt, a), []), per_rep.get((client, rtt, best), []),
                                            lower_is_better=False)))
    return out


def _calls(called: list) -> str:
    return ", ".join(f"{c.ratio:.2f}x [{c.lo:.2f}-{c.hi:.2f}] ({c.call}) at RTT {rtt:g} ms" for rtt, c in called)


def _saturation_reps(t: pd.DataFrame, sat: pd.DataFrame) -> dict:
    """(client, rtt, strategy) -> per-repetition throughput of that strategy's saturation cell."""
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


def _locking(ev: Evidence) -> Verdict:
    t = ev.table("integrity")
    lock = cells.at_scale(t, "lock")
    p50 = cells.medians(lock, "strategy").set_index("strategy").p50_us / 1000
    waited = lock.groupby("strategy").blocked.mean()
    mx = cells.at_scale(t, "multixact").groupby("strategy").multixacts.median()
    locks = cells.lock_rows(ev.run)
    locks = locks[locks.record == "locks"]
    wide = locks[locks.strategy == "wide_join"]
    answer = (f"A spoke insert waited on its user's row in {waited.get('delete_user', 0):.0%} of tries while the user "
              f"was being deleted ({p50['delete_user']:.1f} ms median) and in {waited.get('update_last_sign_in', 0):.0%} "
              f"while last_sign_in_at was updated ({p50['update_last_sign_in']:.1f} ms): every spoke foreign key takes "
              f"FOR KEY SHARE on the same auth.users row, so concurrent audit writes for one user made "
              f"{mx.get('same_user', 0):.0f} multixacts per burst against {mx.get('distinct_users', 0):.0f} spread over "
              f"users. A join over auth.users and every spoke held {int(wide.locks_planned.max()) if len(wide) else 0} "
              f"relation locks with LockManager waits in {locks.lock_manager_wait_share.max():.1%} of samples "
              f"(PostgreSQL {ev.run.meta['versions']['postgresql']}).")
    contended = waited.get("delete_user", 0) > 0 or mx.get("same_user", 0) > mx.get("distinct_users", 0)
    flips = (f"tables share the hub: a delete of the user blocks writes to every spoke ({waited.get('delete_user', 0):.0%} "
             f"waited); ordinary user updates do not ({waited.get('update_last_sign_in', 0):.0%})")
    return Verdict(answer, ONLY_WHEN if contended else HOLDS, flips,
                   ["fig-integrity-lock-wait", "fig-integrity-multixact-burst", "fig-concurrency-locks-throughput"])


CLAIMS = (
    Claim("no_joins", "Lightning fast - no JOINs needed", "Advantages 1; Pattern Comparison", ("read_paths",), _no_joins,
          row="User-Centric Queries"),
    Claim("parallel", "Parallel fetching - each table independent (Promise.all)", "Advantages 2; Performance Benefits",
          ("read_paths",), _parallel),
    Claim("parallel_load", "Fast, parallel, independent queries", "Advantages 2 (getUserData)", ("concurrency",),
          _parallel_under_load),
    Claim("no_complex_joins", "No complex JOINs for user data retrieval", "Performance Benefits", ("read_paths",),
          _fanout),
    Claim("rls", "Simplified security (RLS): consistent, simple policies across all tables", "Advantages 4",
          ("rls",), _rls_simple, row="RLS Simplicity"),
    Claim("oauth", "Each OAuth account gets completely isolated data universe", "Why this pattern is perfect",
          ("rls",), _oauth_isolation, row="OAuth Isolation"),
    Claim("microservices", "Microservices architecture ready", "Advantages 3", ("cross_service",),
          _microservices, row="Microservices"),
    Claim("evolution", "Schema evolution made easy", "Advantages 5", ("evolution",), evolution.evolution,
          row="Schema Evolution"),
    Claim("caching", "Better caching (each table cached independently)", "Performance Benefits", ("caching",),
          evolution.caching),
    Claim("locking", "Minimal locking (changes to one table don't affect others)", "Performance Benefits",
          ("integrity",), _locking),
    Claim("integrity", "No referential integrity between business entities (accept the trade-off)",
          "Disadvantages 1; Pattern Comparison", ("integrity",), integrity.integrity,
          row="Data Integrity"),
    Claim("app_consistency", "Application-level consistency management", "Disadvantages 2", ("integrity",),
          integrity.app_consistency),
    Claim("business_queries", "Complex business logic queries need JOINs", "Disadvantages 3", ("cross_service",),
          _business_queries),
    Claim("orphans", "Potential data orphaning", "Disadvantages 4", ("integrity",),
          integrity.orphans),
)

MEMO_TABLE = {  # the memo's Pattern Comparison rows: star entry, relational entry, its recommendation
    "OAuth Isolation": ("✅ Perfect", "⚠️ Complex", "✅ Keep Star"),
    "User-Centric Queries": ("✅ Lightning Fast", "❌ Slow JOINs", "✅ Keep Star"),
    "Microservices": ("✅ Excellent", "❌ Tight Coupling", "✅ Keep Star"),
    "RLS Simplicity": ("✅ Dead Simple", "❌ Complex Policies", "✅ Keep Star"),
    "Schema Evolution": ("✅ Easy to Add Tables", "⚠️ Migration Complexity", "✅ Keep Star"),
    "Data Integrity": ("⚠️ App Managed", "✅ DB Enforced", "🤔 Accept Trade-off"),
}


SERVER_FIGURES = {  # claim -> the servers chapter's figure that sets its cells side by side
    "no_joins": ("fig-servers-reads",), "parallel": ("fig-servers-reads",), "no_complex_joins": ("fig-servers-reads",),
    "rls": ("fig-servers-rls",), "locking": ("fig-servers-locks",),
}


def evaluate(run: results.Run, others: list[results.Run] | None = None) -> pd.DataFrame:
    """One row per claim: quote, measured answer, verdict, when it flips, evidence figure ids.
    Each claim is also answered on the run's other servers (default: results.server_runs); where
    one gives another verdict, the claim holds only on the server where it does, and says so."""
    table = _evaluate_one(run)
    others = results.server_runs(run.path) if others is None else others
    table["other_servers"] = ""
    for other in others:
        theirs = _evaluate_one(other).set_index("claim")
        label, here = results.server_label(other), results.server_label(run)
        for i, row in table.iterrows():
            their = theirs.loc[row.claim]
            if NOT_COVERED in (their.verdict, row.verdict):
                continue
            table.at[i, "other_servers"] += f"{label}: {their.verdict}. "
            if their.verdict != row.verdict:
                table.at[i, "flips"] = _across_servers(row, their, here, label)
                table.at[i, "verdict"] = ONLY_WHEN
                table.at[i, "figures"] = [*row.figures, *SERVER_FIGURES.get(row.claim, ())]
    return table


def _across_servers(row, their, here: str, label: str) -> str:
    """The condition of a claim whose verdict differs between two servers, with the other
    server's own measured answer (its first sentence)."""
    first = their.answer.split(". ")[0].rstrip(".")
    if their.verdict == DOES_NOT_HOLD:
        return f"the server is {here}{': ' + row.flips if row.flips else ''} (on {label} it does not hold: {first})"
    if row.verdict == DOES_NOT_HOLD:
        return f"the server is {label} ({first}{'; ' + their.flips if their.flips else ''}); on {here} it does not hold"
    return f"{row.flips or their.flips} (on {label}: {their.verdict}; {first})"


def _evaluate_one(run: results.Run) -> pd.DataFrame:
    ev = Evidence(run)
    rows = []
    for claim in CLAIMS:
        missing = [n for n in claim.needs if not run.has(n)]
        if missing:
            v = Verdict(f"Not covered by this run: it has no {', '.join(missing)} results.", NOT_COVERED)
        else:
            v = claim.evaluate(ev)
        rows.append({"claim": claim.key, "quote": claim.quote, "where": claim.where, "row": claim.row,
                     "answer": v.answer, "verdict": v.verdict, "flips": v.flips, "figures": v.figures, "advice": v.advice})
    return pd.DataFrame(rows)


def reader_verdict(verdict: str, where: str, condition: str = "") -> tuple[str, str]:
    """What a reader needs to hear: is the memo right, right only under a condition (written out),
    or wrong; for the memo's listed disadvantages, whether the cost it admits is real. Returns the
    words and the CSS class that colours them."""
    cost = "Disadvantage" in where
    if verdict == HOLDS:
        return ("The memo is right: the cost is real" if cost else "The memo is right"), "verdict-right"
    if verdict == ONLY_WHEN:
        cond = condition.rstrip(".") or "see the answer"
        return (f"Right only in part: {cond}" if cost else f"Right only when: {cond}"), "verdict-only"
    if verdict == DOES_NOT_HOLD:
        return ("The memo is wrong: the cost does not appear" if cost else "The memo is wrong"), "verdict-wrong"
    return "Not measured by this run", "verdict-none"


def claim_anchor(key: str) -> str:
    return "claim-" + key.replace("_", "-")


def figure_pages() -> dict[str, str]:
    """fig-id -> the page (stem) that shows it."""
    return {fig: stem for stem, figs in figindex.saved_by_notebook().items() for fig in figs}


def figure_link(fig_id: str, pages: dict[str, str] | None = None) -> str:
    """A link to the figure where its page discusses it (relative to the pages' folder)."""
    stem = (pages if pages is not None else figure_pages()).get(fig_id)
    return f"[{fig_id}]({stem}.html#{fig_id})" if stem else f"[{fig_id}](figures/{fig_id}.svg)"


def claims_markdown(v: pd.DataFrame) -> str:
    pages = figure_pages()
    out = []
    for r in v.itertuples():
        words, css = reader_verdict(r.verdict, r.where, r.flips)
        figs = ", ".join(figure_link(f, pages) for f in r.figures) or "none yet"
        out.append(f'<h3 id="{claim_anchor(r.claim)}">“{html.escape(r.quote)}”</h3>\n\n'
                   f'*{r.where}* · <span class="{css}">**{html.escape(words)}**</span>\n\n{r.answer}\n\n'
                   + (f"When it flips: {r.flips.rstrip('.')}.\n\n" if r.flips and r.verdict != ONLY_WHEN else "")
                   + (f"Also measured on {r.other_servers.strip()}\n\n" if getattr(r, "other_servers", "") else "")
                   + f"Evidence: {figs}\n")
    return "\n".join(out)


def table_html(v: pd.DataFrame, page: str = "") -> str:
    """The claim table for readers: the claim (linked to its answer), the measured verdict in words
    and colour, the memo's own section."""
    rows = []
    for r in v.itertuples():
        words, css = reader_verdict(r.verdict, r.where, r.flips)
        rows.append(f'<tr><td><a href="{page}#{claim_anchor(r.claim)}">“{html.escape(r.quote)}”</a></td>'
                    f'<td class="{css}"><strong>{html.escape(words)}</strong></td><td>{html.escape(r.where)}</td></tr>')
    return ('<table class="reader verdicts"><thead><tr><th>the memo says</th><th>measured verdict</th>'
            f'<th>memo section</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def bottom_line_html(v: pd.DataFrame, page: str = "00-verdicts.html") -> str:
    """The first screen: how many claims stand, and what the run recommends instead, each item
    the condition the run measured for a claim that does not hold as written."""
    adv = v[~v["where"].str.contains("Disadvantage")]
    counts = adv.verdict.value_counts()
    head = (f"<p>Of the memo's {len(adv)} claimed advantages, this run finds <strong>{counts.get(HOLDS, 0)} right</strong>, "
            f"<strong>{counts.get(ONLY_WHEN, 0)} right only under a condition</strong> and "
            f"<strong>{counts.get(DOES_NOT_HOLD, 0)} wrong</strong>"
            + (f"; {counts.get(NOT_COVERED, 0)} not measured" if counts.get(NOT_COVERED, 0) else "") + ".</p>")
    items = []
    for r in v.itertuples():
        say = getattr(r, "advice", "") or r.flips
        if r.verdict in (ONLY_WHEN, DOES_NOT_HOLD) and say:
            items.append(f'<li><a href="{page}#{claim_anchor(r.claim)}">{html.escape(r.quote)}</a>: '
                         f"{html.escape(say[0].upper() + say[1:].rstrip('.'))}.</li>")
    return head + ("<p>What the measurements say to do instead:</p><ul>" + "".join(items) + "</ul>" if items else "")


def _quiet(text: str) -> str:
    """The memo's cell without its emoji marks: the measured verdict is the loud part of the table."""
    return "".join(ch for ch in text if ch not in "✅❌⚠️✔✖").strip()


def comparison_markdown(v: pd.DataFrame) -> str:
    """The memo's Pattern Comparison table with the measured verdict beside each row."""
    by_row = {r.row: r for r in v.itertuples() if r.row}
    lines = ["| Aspect | memo: star | memo: relational | memo recommends | measured verdict | measured |",
             "|---|---|---|---|---|---|"]
    for aspect, (star, rel, rec) in MEMO_TABLE.items():
        r = by_row.get(aspect)
        short = r.answer.split(". ")[0].rstrip(".") + "." if r is not None else ""
        words, css = reader_verdict(r.verdict, r.where, r.flips) if r is not None else reader_verdict(NOT_COVERED, "")
        link = f"[{words}](#{claim_anchor(r.claim)})" if r is not None else words
        lines.append(f"| **{aspect}** | {_quiet(star)} | {_quiet(rel)} | {_quiet(rec)} | **{link}** | {short} |")
    return "\n".join(lines)
