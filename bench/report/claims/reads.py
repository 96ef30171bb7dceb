"""Read-path calls for the read claims (no-joins, parallel): per surface (each direct client;
through PostgREST, supabase-js itself and the harness's requests in its flow), RTT and user size (light / median / heavy by the user's audit rows), the
memo's form against the best one-request form the surface allows. The median decides; the mean
(per repetition, paired the same way) and the pooled p95 are reported beside."""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bench.report import calls, cells
from bench.report.claims import core
from bench.results import stats

SIZES = ("light", "median", "heavy")
HEADLINE_RTT_MS = 2.0  # the canonical cell: a client in the same region as its database
DIRECT_ONE_REQUEST = ("join_flat", "join_json")  # rpc_bundle is reported beside
TIER = calls.TIER
SUPABASE = calls.SUPABASE


def tier_form(req: pd.DataFrame) -> tuple[str, str]:
    """The PostgREST tier's one-request form on the star: the RPC where the run has it; runs made
    before the tier refused embeds on the star (PGRST200) have the embed instead. Returns (form,
    note)."""
    tier = req[req.client == TIER]
    if (tier.strategy == "rpc_bundle").any():
        return "rpc_bundle", ""
    return "join_json", (" (this run predates the RPC through the tier: its one-request form there was the embed, "
                         "which PostgREST refuses on the star, PGRST200)")


def requests(table: pd.DataFrame) -> pd.DataFrame:
    """Warm, indexed 'account' requests at the largest scale, every direct client, the harness
    through the tier and supabase-js through it, each user sized by its audit rows (terciles of
    the sampled users)."""
    req = calls.with_tier(table)
    if not req.empty:
        req = pd.concat([req, calls.supabase_js(table)], ignore_index=True)
    return sized(req)


def sized(req: pd.DataFrame) -> pd.DataFrame:
    """Each request's user sized light, median or heavy by its audit rows (terciles of the
    sampled users), in column `users`."""
    if req.empty:
        return req.assign(users=pd.Series(dtype=str))
    if "audit_rows" in req and req.audit_rows.notna().any():
        per_user = req.groupby("user_idx").audit_rows.first().rank(method="first")
        size = pd.qcut(per_user, 3, labels=list(SIZES)).astype(str) if len(per_user) >= 3 else per_user.map(
            lambda _: "median")
        req = req.assign(users=req.user_idx.map(size))
    else:
        req = req.assign(users="median")
    return req


def _cell(g: pd.DataFrame, a: str, against: tuple[str, ...]) -> dict | None:
    present = [b for b in against if (g.strategy == b).any()]
    if not (g.strategy == a).any() or not present:
        return None
    b = min(present, key=lambda s: g[g.strategy == s].latency_us.median())
    ab = g[g.strategy.isin([a, b])]
    med = ab.groupby(["rep", "strategy"]).latency_us.median().unstack("strategy")
    mean = ab.groupby(["rep", "strategy"]).latency_us.mean().unstack("strategy")
    c = stats.paired(med[a].to_numpy(), med[b].to_numpy())
    m = stats.paired(mean[a].to_numpy(), mean[b].to_numpy())
    pa, pb = (float(np.percentile(ab[ab.strategy == s].latency_us, 95)) for s in (a, b))
    return {"a": a, "b": b, "ratio": c.ratio, "lo": c.lo, "hi": c.hi, "call": c.call, "reps": c.reps,
            "a_ms": float(ab[ab.strategy == a].latency_us.median()) / 1000,
            "b_ms": float(ab[ab.strategy == b].latency_us.median()) / 1000,
            "mean_ratio": m.ratio, "mean_call": m.call, "p95_ratio": pa / pb}


def table_calls(req: pd.DataFrame, a: str, direct: tuple[str, ...], tier: tuple[str, ...]) -> pd.DataFrame:
    """One row per client x RTT x user size (and 'all'): a against the best of the surface's forms."""
    rows = []
    for (client, rtt), g in req.groupby(["client", "rtt_ms"], sort=True):
        against = tier if client in calls.POSTGREST else direct
        for users, u in [("all", g), *((s, g[g.users == s]) for s in SIZES)]:
            got = _cell(u, a, against) if len(u) else None
            if got:
                rows.append({"client": client, "rtt_ms": float(rtt), "users": users, **got})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    rank = {c: i for i, c in enumerate(calls.CLIENT_ORDER)}
    return out.sort_values(["client", "rtt_ms"], key=lambda s: s.map(rank) if s.name == "client" else s,
                           kind="stable").reset_index(drop=True)


def cells_for_rule(c: pd.DataFrame) -> list[tuple[str, str]]:
    """The deciding cells (per size, not 'all'), each named, the call oriented so FASTER means
    the memo's form is faster."""
    sized = c[c.users != "all"]
    return [(where(r), r.call) for r in sized.itertuples()]


def surface(client: str) -> str:
    return {SUPABASE: "through PostgREST, supabase-js", TIER: "through PostgREST, the harness"}.get(
        client, f"direct, {client}")


def where(r) -> str:
    return f"{surface(r.client)}, {r.users} users, RTT {r.rtt_ms:g} ms"


def summarise(c: pd.DataFrame, call: str) -> str:
    """The cells with `call`, grouped: 'direct, pgbench: heavy users at RTT 0 ms; ...' or 'nowhere'."""
    hit = c[(c.users != "all") & (c.call == call)]
    parts = []
    for client, g in hit.groupby("client", sort=False):
        per = []
        for users, h in g.groupby("users", sort=False):
            per.append(f"{users} users at RTT " + ", ".join(f"{x:g}" for x in h.rtt_ms) + " ms")
        parts.append(f"{surface(client)}: " + ", ".join(per))
    return "; ".join(parts) if parts else "nowhere"


def decide(c: pd.DataFrame, extra: list[tuple[str, str]] = ()) -> tuple[str, str]:
    """The read claims' rule: `core.decide` over the per-size cells (and `extra`, e.g. the cold
    cell); the condition names the cells grouped by surface and user size."""
    label, cond = core.decide([*cells_for_rule(c), *extra])
    named_extra = lambda call: [w for w, x in extra if x == call]  # noqa: E731
    if label == core.RIGHT_WHEN:
        cond = "; ".join(x for x in [summarise(c, stats.FASTER), *named_extra(stats.FASTER)] if x != "nowhere")
    elif cond.startswith("undecided at"):
        cond = "undecided at " + "; ".join(x for x in [summarise(c, stats.UNDECIDED), *named_extra(stats.UNDECIDED)]
                                           if x != "nowhere")
    return label, cond


def figure_where(h: pd.Series) -> dict:
    """The headline cell's surface and client, as the findings record names them."""
    if h.client in calls.POSTGREST:
        return {"surface": "PostgREST as authenticated",
                "client": "supabase-js" if h.client == SUPABASE else "supabase-js flow (harness)"}
    return {"surface": "direct connection", "client": h.client}


def headline(c: pd.DataFrame) -> pd.Series | None:
    """The canonical cell: the memo's own code through PostgREST (supabase-js) where the run has
    it, else the harness's requests in its flow through the tier, else the harness on a direct
    connection; the RTT nearest HEADLINE_RTT_MS; median users."""
    if c.empty:
        return None
    client = next((k for k in (SUPABASE, TIER, "psycopg") if (c.client == k).any()), c.client.iloc[0])
    s = c[(c.client == client) & (c.users == "median")]
    if s.empty:
        s = c[(c.client == client) & (c.users == "all")]
    rtt = s.rtt_ms.iloc[(s.rtt_ms - HEADLINE_RTT_MS).abs().argmin()]
    return s[s.rtt_ms == rtt].iloc[0]


def mean_differs(c: pd.DataFrame) -> str:
    """Where the per-repetition means call otherwise than the medians (reported beside)."""
    d = c[(c.users != "all") & (c.call != c.mean_call)]
    if d.empty:
        return "the means call every cell as the medians do"
    return "on means instead of medians: " + "; ".join(
        f"{where(r)} {r.mean_ratio:.2f}x {r.mean_call} (median: {r.call})" for r in d.head(8).itertuples()) + (
        f"; and {len(d) - 8} more cells" if len(d) > 8 else "")


def scale(table: pd.DataFrame) -> str:
    req = calls.requests(table)
    return str(req.scale.iloc[0]) if len(req) else ""


def cold(ev, a: str, against: tuple[str, ...]) -> tuple[str | None, str]:
    """The cold-cache cell from the caching experiment, when it proved cold; a call the A/A twin
    run's cold cells make otherwise counts as undecided (`evolution_cells.twin_cold`)."""
    from bench.report import evolution_cells as ec

    if not ev.has("caching"):
        return None, ""
    t = ev.table("caching")
    ok, why = ec.proven_cold(t)
    got = ec.cold_call(t, a, against, stats.MARGIN) if ok else None
    if got is None:
        return None, f" Cold cache: not called ({why or 'no cold cells for these strategies'})."
    call, ratio, b = got
    twin_call, twin_text = ec.twin_cold(t, call, ec.twin_caching(ev.run.path), a, against, stats.MARGIN)
    return ec.counted(call, twin_call), (
        f" Cold (relations evicted from shared buffers and the OS page cache before each request, "
        f"psycopg, direct): {a} takes {ratio:.2f}x {b}'s median, {call} ({twin_text}).")


def rpc_beside(req: pd.DataFrame) -> str:
    """On the direct harness: the RPC (one request, three single-table selects in a function, no
    JOIN) against the best join, per RTT (all users)."""
    d = req[(req.client == "psycopg")]
    if not (d.strategy == "rpc_bundle").any():
        return ""
    parts = []
    for rtt, g in d.groupby("rtt_ms"):
        got = _cell(g, "rpc_bundle", DIRECT_ONE_REQUEST)
        if got:
            parts.append(f"RTT {rtt:g} ms {got['ratio']:.2f}x [{got['lo']:.2f}-{got['hi']:.2f}] {got['call']}")
    return ("The RPC (one request: three single-table selects inside a function, no JOIN) against the best join, "
            "direct, psycopg, all users: " + ", ".join(parts) + ".") if parts else ""


def one_trip(req: pd.DataFrame) -> tuple[str | None, str]:
    """At RTT 0 on the direct harness: one round trip with the JOIN (json_agg) against one round
    trip without (pipelined or the RPC): is the cost the JOIN or the round trips?"""
    d = req[(req.client == "psycopg") & (req.rtt_ms == req.rtt_ms.min())]
    got = _cell(d, "join_json", ("star_pipelined", "rpc_bundle"))
    if not got:
        return None, ""
    verdict = {stats.SLOWER: "the JOIN itself costs more than one round trip without it",
               stats.FASTER: "the JOIN costs less than one round trip without it: what the star pays is round trips",
               stats.EQUIVALENT: "the JOIN costs the same as one round trip without it: what the star pays is round "
                                 "trips",
               stats.UNDECIDED: "undecided whether the JOIN itself costs anything"}[got["call"]]
    return got["call"], (f"At RTT {d.rtt_ms.min():g} ms (direct, psycopg), one round trip with the JOIN (json_agg) "
                         f"against one without ({got['b']}): {got['ratio']:.2f}x [{got['lo']:.2f}-{got['hi']:.2f}] "
                         f"{got['call']}: {verdict}.")


def largest(table: pd.DataFrame) -> str:
    return cells.largest_scale(table[table.record == "request"]) if (table.record == "request").any() else ""


def twin_table(ev) -> pd.DataFrame | None:
    """The read-path table of the run's A/A twin (the same matrix run again, nothing changed:
    `make reference` makes it), or None."""
    from bench.results import store

    twin = store.aa_run(ev.run.path)
    if twin is None:
        return None
    run = store.load(twin)
    return run.table("read_paths") if run.has("read_paths") else None


def reproduced(c: pd.DataFrame, twin: pd.DataFrame | None, a: str, direct: tuple[str, ...],
               tier: tuple[str, ...]) -> tuple[pd.DataFrame, str]:
    """The calls `c` against the same calls in the A/A twin: a cell whose call differs between the
    two runs did not reproduce and becomes undecided (`twin_call` keeps what the twin said).
    Returns the calls and a sentence for the page."""
    if twin is None or c.empty:
        return c, ""
    t = table_calls(requests(twin), a, direct, tier)
    if t.empty:
        return c, ""
    keys = ["client", "rtt_ms", "users"]
    m = c.merge(t[keys + ["call"]].rename(columns={"call": "twin_call"}), on=keys, how="left")
    differ = m.twin_call.notna() & (m.twin_call != m.call)
    sized = m.users != "all"
    m.loc[differ, "call"] = stats.UNDECIDED
    if not (differ & sized).any():
        return m, f"Every one of these {int((sized & m.twin_call.notna()).sum())} calls is the same in the A/A twin run."
    named = "; ".join(f"{where(r)} ({r.twin_call} in the twin)" for r in m[differ & sized].itertuples())
    return m, (f"{int((differ & sized).sum())} of {int((sized & m.twin_call.notna()).sum())} calls differ in the A/A "
               f"twin run and count as undecided: {named}.")


def main_run_unreproduced(ev, a: str, direct: tuple[str, ...], tier: tuple[str, ...]) -> pd.DataFrame | None:
    """For a run on another server beside a main run (`run --servers`: <root>/servers/<main-id>/<run>,
    as make reference's PostgreSQL 15 run), the cells (client, RTT, users) whose call the main run's
    A/A twin did not reproduce: this machine cannot reproduce them, so no server's call in them
    counts. None where the run is not such a companion or the main run has no twin."""
    from pathlib import Path


    path = Path(ev.run.path)
    if path.parent.parent.name != "servers":
        return None
    return _unreproduced(str(path.parent.parent.parent / path.parent.name), a, direct, tier)


@functools.lru_cache(maxsize=16)
def _unreproduced(main_dir: str, a: str, direct: tuple[str, ...], tier: tuple[str, ...]) -> pd.DataFrame | None:
    """main_run_unreproduced's work, once per main run and comparison in a process."""
    from pathlib import Path

    from bench.results import store

    main = Path(main_dir)
    twin = store.aa_run(main) if main.is_dir() else None
    if twin is None:
        return None
    main_run, twin_run = store.load(main), store.load(twin)
    if not (main_run.has("read_paths") and twin_run.has("read_paths")):
        return None
    mine = requests(main_run.table("read_paths"))
    c = table_calls(mine, a, direct, (tier_form(mine)[0],))
    m, _ = reproduced(c, twin_run.table("read_paths"), a, direct, (tier_form(mine)[0],))
    if "twin_call" not in m:
        return None
    differ = m.twin_call.notna() & (m.twin_call != c.call.to_numpy()) & (m.users != "all")  # reproduced's left merge keeps c's rows
    return m[differ][["client", "rtt_ms", "users", "twin_call"]]


def as_companion(c: pd.DataFrame, unreproduced: pd.DataFrame | None) -> tuple[pd.DataFrame, str]:
    """The calls of a run on another server, with the cells the main run's A/A twin did not
    reproduce counted as undecided, and a sentence naming them."""
    if unreproduced is None or c.empty:
        return c, ""
    keys = ["client", "rtt_ms", "users"]
    hit = c.merge(unreproduced[keys].assign(unsure=True), on=keys, how="left").unsure.fillna(False).to_numpy(bool)
    c = c.copy()
    c.loc[hit, "call"] = stats.UNDECIDED
    if not hit.any():
        return c, "No cell here is one the main run's A/A twin did not reproduce."
    named = "; ".join(where(r) for r in c[hit & (c.users != "all").to_numpy()].itertuples())
    return c, (f"{int((hit & (c.users != 'all').to_numpy()).sum())} cells the main run's A/A twin did not reproduce "
               f"on this machine count as undecided here too: {named}.")


@dataclass
class Evaluated:
    """A read claim's calls, label and headline, as both read claims take them: the memo's form
    `a` against the surface's best one-request form, reproduced against the A/A twin, the cold
    cell as one more deciding cell."""
    a: str
    scale: str
    req: pd.DataFrame
    c: pd.DataFrame
    label: str
    cond: str
    h: pd.Series | None
    fig: core.Figure | None
    note: str
    cold_text: str
    twin_text: str

    def calls_sentence(self) -> str:
        """'called faster ...; slower ...; equivalent ...; undecided .... Headline: ...'"""
        c, h, fig = self.c, self.h, self.fig
        return (f"called faster {summarise(c, stats.FASTER)}; slower {summarise(c, stats.SLOWER)}; equivalent "
                f"{summarise(c, stats.EQUIVALENT)}; undecided {summarise(c, stats.UNDECIDED)}."
                + (f" Headline: {fig.words()}, {core.ms(h.a_ms)} against {core.ms(h.b_ms)}." if fig else ""))

    def beside(self) -> str:
        h = self.h
        return (f"Mean and p95 in the headline cell: {h.mean_ratio:.2f}x ({h.mean_call}) and {h.p95_ratio:.2f}x; "
                if h is not None else "") + mean_differs(self.c)

    def figures(self, *rest: str) -> list[str]:
        """The PostgREST chart first where the claim was called through PostgREST, then `rest`."""
        return (["fig-readpaths-latency-rtt-postgrest"] if self.c.client.isin(calls.POSTGREST).any() else []) + list(rest)


def evaluate(ev, a: str, direct: tuple[str, ...]) -> Evaluated:
    t = ev.table("read_paths")
    req = requests(t)
    form, note = tier_form(req)
    c = table_calls(req, a, direct, (form,))
    twin = twin_table(ev)
    c, twin_text = (reproduced(c, twin, a, direct, (form,)) if twin is not None
                    else as_companion(c, main_run_unreproduced(ev, a, direct, (form,))))
    label, cond = decide(c)
    cold_call, cold_text = cold(ev, a, direct)
    if cold_call is not None:  # the cold cell is one more deciding cell
        label, cond = decide(c, [("cold cache, direct, psycopg", cold_call)])
    h = headline(c)
    fig = None if h is None else core.Figure(f"{a} / {h.b}, median latency", h.ratio, h.lo, h.hi, h.call,
                                             rtt_ms=h.rtt_ms, scale=scale(t), users=h.users, **figure_where(h))
    return Evaluated(a, scale(t), req, c, label, cond, h, fig, note, cold_text, twin_text)
