"""The parallel claim's comparison on the relational variant (CLAIMS.md "parallel": PostgREST, the
embed on relational): supabase-js through a second tier on the relational dataset (spokes
reference profiles, so PostgREST accepts the embed `.from('profiles').select('*,user_roles(*),
auth_audit_log(*)')` it refuses on the star with PGRST200), per RTT: Promise.all and the three in
turn, each against the embed, paired repetitions (stats.paired, margin stats.MARGIN). Reported
beside the claim's headline; its label is decided on the star as before.

The rows (bench.experiments.read_paths_clients.relational_cells) carry `variant` "relational"
and envelope "tier_relational": nothing that reads the star's `tier` rows sees them."""
from __future__ import annotations

import pandas as pd

from bench.report import calls
from bench.results import stats

ENVELOPE = "tier_relational"  # read_paths_clients.RELATIONAL_ENVELOPE
VARIANT = "relational"
EMBED = "join_json"
FORMS = {"star_parallel": "Promise.all", "star_sequential": "in turn", EMBED: "the embed"}
NONE = "no relational cells in this run"
WHY = ("its spokes reference profiles, so PostgREST accepts the embed it refuses on the star with PGRST200, "
       "where every spoke references auth.users")
COLUMNS = ["rtt_ms", "users", "Promise.all (ms)", "in turn (ms)", "the embed (ms)", "Promise.all / embed", "call",
           "in turn / embed", "call (in turn)", "reps"]


def requests(table: pd.DataFrame, bundle: str = "account") -> pd.DataFrame:
    """supabase-js's requests on the relational variant, at the direct rows' scale (the star's)."""
    if "envelope" not in table or not (table.envelope == ENVELOPE).any():
        return pd.DataFrame()
    plain = calls.requests(table, bundle)
    scale = plain.scale.iloc[0] if len(plain) else None
    t = calls.requests(table, bundle, scale=scale, envelope=ENVELOPE, variant=VARIANT)
    return t[t.client == calls.SUPABASE]


def cells(table: pd.DataFrame, bundle: str = "account") -> pd.DataFrame:
    """Per RTT and user size (all, then light / median / heavy by audit rows, as the star's read
    calls size them): each form's median (ms), Promise.all / the embed and the three in turn / the
    embed (geometric mean of per-repetition median ratios, paired interval, call)."""
    from bench.report.claims import reads  # the star's read-path cells: the same sizing and cell rule

    req = reads.sized(requests(table, bundle))
    if req.empty:
        return pd.DataFrame(columns=COLUMNS)
    par = reads.table_calls(req, "star_parallel", (), (EMBED,))
    seq = reads.table_calls(req, "star_sequential", (), (EMBED,)).set_index(["rtt_ms", "users"])
    rows = []
    for r in par.itertuples():
        row = {"rtt_ms": r.rtt_ms, "users": r.users, "Promise.all (ms)": round(r.a_ms, 3),
               "the embed (ms)": round(r.b_ms, 3), "Promise.all / embed": f"{r.ratio:.2f}x [{r.lo:.2f}-{r.hi:.2f}]",
               "call": r.call, "reps": int(r.reps)}
        if (r.rtt_ms, r.users) in seq.index:
            q = seq.loc[(r.rtt_ms, r.users)]
            row.update({"in turn (ms)": round(q.a_ms, 3), "in turn / embed": f"{q.ratio:.2f}x [{q.lo:.2f}-{q.hi:.2f}]",
                        "call (in turn)": q.call})
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=COLUMNS)


def calls_text(table: pd.DataFrame, bundle: str = "account") -> str:
    """'RTT 0 ms 1.95x [1.80-2.10] slower, RTT 2 ms ...' for Promise.all / the embed, or ''."""
    req = requests(table, bundle)
    if req.empty:
        return ""
    c = calls.calls(req, "star_parallel", (EMBED,))
    return ", ".join(f"RTT {r.rtt_ms:g} ms {r.ratio:.2f}x [{r.lo:.2f}-{r.hi:.2f}] {r.call}" for r in c.itertuples())


def beside(table: pd.DataFrame, bundle: str = "account") -> str:
    """The sentence beside the parallel claim's headline: Promise.all against the embed on the
    relational variant, through PostgREST, supabase-js, per RTT; '' where the run has no such cells."""
    got = calls_text(table, bundle)
    if not got:
        return ""
    seq = calls.calls(requests(table, bundle), "star_sequential", (EMBED,))
    turn = ", ".join(f"RTT {r.rtt_ms:g} ms {r.ratio:.2f}x {r.call}" for r in seq.itertuples())
    return (f"On the relational variant ({WHY}; the same users), through PostgREST, supabase-js, Promise.all "
            f"against the embed, one request, all users: {got} (paired repetitions, margin {stats.MARGIN:.0%})"
            + (f"; the three in turn against it: {turn}" if turn else "") + ".")


def sentence(table: pd.DataFrame, bundle: str = "account") -> str:
    """For the page: the beside sentence, or that the run has no relational cells."""
    return beside(table, bundle) or f"On the relational variant: {NONE} ({WHY})."
