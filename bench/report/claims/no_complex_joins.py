"""no-complex-joins: "No complex JOINs for user data retrieval" as a performance benefit."""
from __future__ import annotations

import numpy as np
import pandas as pd

from bench.report import cells
from bench.report.claims import core, reads
from bench.results import stats

SPEC = core.Spec(
    key="no_complex_joins", quote="No complex JOINs for user data retrieval", where="Performance Benefits",
    needs=("read_paths",),
    comparison=("server time of the three single-table statements against the best joined statement (paired "
                "repetitions); bytes on the wire per user size beside (per size where the run's rows name the users)"),
    surfaces="a direct connection (psycopg, RTT 0), the largest scale",
    attribution_test=core.NOT_APPLICABLE,
    rule=("The memo is right if the three single-table statements are called cheaper in server time than the best "
          "joined statement (paired repetitions, 10 % margin), wrong if they are called as costly or costlier, "
          "undecided if the interval straddles the margin; bytes are reported beside."))
JOINS = ("join_flat", "join_json")


def bytes_call(ratio: float, margin: float = stats.MARGIN) -> str:
    """Bytes are exact per user (no repetitions): fewer beyond the margin is 'faster'."""
    if not np.isfinite(ratio):
        return stats.UNDECIDED
    return stats.FASTER if ratio <= 1 / (1 + margin) else (stats.SLOWER if ratio >= 1 + margin else stats.EQUIVALENT)


def decide(cells_: list[tuple[str, str]]) -> tuple[str, str]:
    return core.decide(cells_)


def evaluate(ev: core.Evidence) -> core.Finding:
    t = ev.table("read_paths")
    req = reads.requests(t)
    scale = reads.scale(t)
    srv = t[(t.record == "server") & (t.scale == scale) & (t.bundle == "account") & (t.envelope == "plain")
            & (t.indexes == "indexed") & (t.cache == "warm") & (t.rtt_ms == t.rtt_ms.min())]
    if "client" in srv:
        srv = srv[srv.client.fillna("psycopg") == "psycopg"]
    per = srv.pivot_table(index="rep", columns="strategy", values="server_us")
    rule_cells, parts, fig = [], [], None
    joins = [j for j in JOINS if j in per]
    if "star_sequential" in per and joins:
        best = min(joins, key=lambda j: per[j].median())
        c = stats.paired(per["star_sequential"].to_numpy(), per[best].to_numpy())
        rule_cells.append(("server time", c.call))
        fig = core.Figure(f"star_sequential / {best}, server time per bundle", c.ratio, c.lo, c.hi, c.call,
                          surface="direct connection", rtt_ms=float(srv.rtt_ms.min()), scale=scale, client="psycopg",
                          users="all")
        parts.append(f"server time: the three statements take {core.call_words(c)} of {best}'s "
                     f"({per['star_sequential'].median() / 1000:.3f} against {per[best].median() / 1000:.3f} ms)")
    b = t[(t.record == "bytes") & (t.bundle == "account") & (t.scale == scale)]
    sizes = req.drop_duplicates("user_id").set_index("user_id").users if "user_id" in req else pd.Series(dtype=str)
    b = b.assign(users=b.user_id.map(sizes)) if "user_id" in b else b.assign(users=np.nan)
    groups = [(u, b[b.users == u]) for u in reads.SIZES] if b.users.notna().any() else [("all", b)]
    for users, g in groups:  # runs whose request rows carry no user_id: bytes over all sampled users
        u = g.groupby("strategy")["bytes"].median()
        if "star_sequential" in u and any(j in u for j in JOINS):
            best = min((j for j in JOINS if j in u), key=lambda j: u[j])
            r = u["star_sequential"] / u[best]
            parts.append(f"{users} users: {r:.2f}x {best}'s bytes ({bytes_call(r)}; the flat JOIN "
                         f"{u.get('join_flat', np.nan) / u['star_sequential']:.1f}x the single-table bytes)")
    label, cond = decide(rule_cells)
    answer = (f"At scale {scale}, the memo's single-table statements against the best joined statement: "
              + "; ".join(parts) + " (bytes: fewer beyond 10 % is 'faster')." if parts
              else "No server-time or bytes cells in this run.")
    rtt0 = cells.read_paths(ev.summary, t)
    rtt0 = rtt0[(rtt0.bundle == "account") & (rtt0.scale == scale) & (rtt0.envelope == "plain")
                & (rtt0.indexes == "indexed") & (rtt0.rtt_ms == rtt0.rtt_ms.min())].set_index("strategy").p50_us
    beside = (f"Latency at the lowest RTT (direct, median of all users): star_sequential {rtt0['star_sequential'] / 1000:.2f} "
              f"ms, join_json {rtt0['join_json'] / 1000:.2f} ms, join_flat {rtt0['join_flat'] / 1000:.2f} ms."
              if {"star_sequential", "join_json", "join_flat"} <= set(rtt0.index) else "")
    advice = ("embed with json_agg rather than a flat JOIN, which multiplies rows" if label != core.RIGHT else "")
    return core.finding(SPEC, label, condition=cond, attribution=core.NOT_APPLICABLE, figure=fig, answer=answer,
                        beside=beside, figures=["fig-readpaths-bytes-strategy", "fig-readpaths-latency-fanout"],
                        advice=advice)
