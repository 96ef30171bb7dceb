"""Calls between two read strategies (faster / slower / tie), per client and round trip, from
the run's per-request rows; the statistics are `bench.results.stats` (paired repetitions, an
interval that must exclude equality, and a margin)."""
from __future__ import annotations

import pandas as pd

from bench.report import cells
from bench.results import stats

TIER = "PostgREST tier"  # the harness's HTTP requests through the tier, as `authenticated`
SUPABASE = "supabase-js"  # the memo's own code through the tier: the PostgREST surface's headline client
POSTGREST = (SUPABASE, TIER)  # the clients whose requests go through PostgREST's path
CLIENT_ORDER = ("psycopg", "pgbench", "node-postgres", TIER, SUPABASE)


def requests(table: pd.DataFrame, bundle: str = "account", scale: str | None = None,
             envelope: str = "plain", variant: str = "star") -> pd.DataFrame:
    """Per-request rows of one bundle, one envelope (default plain: a direct connection as the
    table owner), indexed, warm cache, at `scale` (default the largest), every client (rows
    before issue 14 are the harness's: client psycopg), on one dataset variant (rows without
    `variant` are the star's; the relational variant's supabase-js rows: claims.relational)."""
    t = table[(table.record == "request") & (table.bundle == bundle) & (table.envelope == envelope)
              & (table.indexes == "indexed") & (table.cache == "warm")].copy()
    if "variant" in t:
        t = t[t.variant.fillna("star") == variant]
    t["client"] = t["client"].fillna("psycopg") if "client" in t else "psycopg"
    if t.empty:
        return t
    scale = scale or cells.largest_scale(t)
    return t[t.scale == scale]


def with_tier(table: pd.DataFrame, bundle: str = "account") -> pd.DataFrame:
    """The direct-connection rows of every client, and the harness's requests through the tier as
    one more client (TIER), at the direct rows' scale: the memo's flow is called beside the direct
    forms. supabase-js's own requests through the tier (client `supabase-js`) are not mixed in:
    `supabase_js` gives them apart."""
    plain = requests(table, bundle)
    if plain.empty:
        return plain
    return pd.concat([plain, _through_tier(table, bundle, plain, "psycopg").assign(client=TIER)], ignore_index=True)


def supabase_js(table: pd.DataFrame, bundle: str = "account") -> pd.DataFrame:
    """supabase-js's requests through the tier (the memo's own code), at the direct rows' scale."""
    plain = requests(table, bundle)
    return plain if plain.empty else _through_tier(table, bundle, plain, SUPABASE)


def _through_tier(table: pd.DataFrame, bundle: str, plain: pd.DataFrame, client: str) -> pd.DataFrame:
    tier = requests(table, bundle, scale=plain.scale.iloc[0], envelope="tier")
    return tier[tier.client == client]


def calls(req: pd.DataFrame, a: str, against: tuple[str, ...], margin: float = stats.MARGIN) -> pd.DataFrame:
    """a against the fastest of `against` (by pooled median) in each client x RTT cell where the
    client ran both: ratio a/b, interval, call."""
    rows = []
    for (client, rtt), g in req.groupby(["client", "rtt_ms"], sort=True):
        present = [b for b in against if (g.strategy == b).any()]
        if not (g.strategy == a).any() or not present:
            continue
        b = min(present, key=lambda s: g[g.strategy == s].latency_us.median())
        med = stats.rep_medians(g[g.strategy.isin([a, b])], [])
        c = stats.paired(med[a].to_numpy(), med[b].to_numpy(), margin)
        rows.append({"client": client, "rtt_ms": rtt, "a": a, "b": b, "ratio": c.ratio, "lo": c.lo, "hi": c.hi,
                     "reps": c.reps, "call": c.call})
    out = pd.DataFrame(rows, columns=["client", "rtt_ms", "a", "b", "ratio", "lo", "hi", "reps", "call"])
    rank = {c: i for i, c in enumerate(CLIENT_ORDER)}
    return out.sort_values(["client", "rtt_ms"], key=lambda s: s.map(rank) if s.name == "client" else s)


def where(c: pd.DataFrame, call: str) -> str:
    """'psycopg at RTT 0, 2 ms; node-postgres at RTT 2 ms' or 'nowhere'."""
    hit = c[c.call == call]
    parts = [f"{client} at RTT " + ", ".join(f"{r:g}" for r in g.rtt_ms) + " ms"
             for client, g in hit.groupby("client", sort=False)]
    return "; ".join(parts) if parts else "nowhere"


def sentence(c: pd.DataFrame) -> str:
    """Per client, each cell's ratio with its interval and call."""
    parts = []
    for client, g in c.groupby("client", sort=False):
        text = ", ".join(f"RTT {r.rtt_ms:g} ms {r.ratio:.2f}x [{r.lo:.2f}-{r.hi:.2f}] {r.call}" for r in g.itertuples())
        parts.append(f"{client}: {text}")
    return "; ".join(parts)


def across_clients(c: pd.DataFrame) -> str:
    """Whether every client makes the same call in every RTT cell it ran, else who differs."""
    if c.empty:
        return "no cell to call"
    differ = []
    for rtt, g in c.groupby("rtt_ms"):
        if g.call.nunique() > 1:
            differ.append(f"RTT {rtt:g} ms (" + ", ".join(f"{r.client} {r.call}" for r in g.itertuples()) + ")")
    return ("the same call for every client" if not differ
            else "clients disagree at " + "; ".join(differ))


def clients_against(req: pd.DataFrame, reference: str = "pgbench") -> pd.DataFrame:
    """Each client's per-request latency over `reference`'s for the same statements, per strategy
    x RTT: repetitions are paired (the same users in the same order), so the ratio of medians is
    taken per repetition and called as any other."""
    rows = []
    for (strategy, rtt), g in req.groupby(["strategy", "rtt_ms"], sort=True):
        med = g.groupby(["rep", "client"]).latency_us.median().unstack("client")
        if reference not in med:
            continue
        for client in (c for c in CLIENT_ORDER if c in med and c != reference):
            c = stats.paired(med[client].to_numpy(), med[reference].to_numpy())
            rows.append({"strategy": strategy, "rtt_ms": rtt, "client": client, "over": reference, "ratio": c.ratio,
                         "lo": c.lo, "hi": c.hi, "reps": c.reps, "call": c.call,
                         "client_p50_us": med[client].median(), "reference_p50_us": med[reference].median()})
    return pd.DataFrame(rows)
