"""The same cells on two servers (a run and its run on another server, `results.server_runs`),
shaped for the servers chapter: read-path latency and server time per strategy, the RLS policy
forms, the lock fast-path cells, each at the scale both runs measured."""
from __future__ import annotations

import pandas as pd

from bench import config
from bench.report import cells
from bench.results import store as results


def common_scale(a: pd.DataFrame, b: pd.DataFrame) -> str | None:
    shared = set(a.scale) & set(b.scale)
    return config.largest(shared) if shared else None


def _label(run: results.Run) -> str:
    return results.server_label(run)


def reads(runs: list[results.Run], bundle: str = "account") -> pd.DataFrame:
    """Per server x RTT x strategy: the harness's median latency (and the range of per-repetition
    medians) and PostgreSQL's own time per request (pg_stat_statements), direct connection,
    indexed, warm, at the largest scale every run measured."""
    tables = {_label(r): r.table("read_paths") for r in runs if r.has("read_paths")}
    if len(tables) < 2:
        return pd.DataFrame()
    scale = common_scale(*list(tables.values())[:2])
    rows = []
    for server, t in tables.items():
        base = t[(t.scale == scale) & (t.bundle == bundle) & (t.envelope == "plain") & (t.indexes == "indexed")
                 & (t.get("cache", "warm") == "warm")]
        req = base[(base.record == "request") & (base.client == "psycopg")]
        srv = base[base.record == "server"]
        for (rtt, strategy), g in req.groupby(["rtt_ms", "strategy"]):
            per_rep = g.groupby("rep").latency_us.median()
            s = srv[(srv.rtt_ms == rtt) & (srv.strategy == strategy)]
            rows.append({"server": server, "scale": scale, "rtt_ms": rtt, "strategy": strategy,
                         "p50_us": float(g.latency_us.median()), "rep_lo_us": float(per_rep.min()),
                         "rep_hi_us": float(per_rep.max()), "reps": int(per_rep.size),
                         "server_us": float(s.server_us.median()) if len(s) and s.server_us.notna().any() else None})
    return pd.DataFrame(rows)


def policy(runs: list[results.Run]) -> pd.DataFrame:
    """Per server x form x index: the policy cell's server time (query `select`, the user's own
    rows, authenticated, policy TO public), at the largest scale every run measured."""
    tables = {_label(r): cells.policy_cells(r.table("rls")) for r in runs if r.has("rls")}
    if len(tables) < 2:
        return pd.DataFrame()
    scale = common_scale(*list(tables.values())[:2])
    out = []
    for server, p in tables.items():
        d = p[(p.scale == scale) & (p["query"] == "select") & (p.caller == "authenticated") & (p.to == "public")]
        out.append(d.assign(server=server)[["server", "scale", "form", "index", "server_ms", "timed_out"]])
    return pd.concat(out, ignore_index=True)


def locks(runs: list[results.Run]) -> pd.DataFrame:
    """Per server x join: relation locks one statement holds and how many were fast-path, and the
    throughput at each client count."""
    out = []
    for run in runs:
        if run.has("locks"):
            d = cells.load(run.table("locks"), "locks")
            out.append(d.assign(server=_label(run)))
    return pd.concat(out, ignore_index=True) if len(out) >= 2 else pd.DataFrame()


def ratio_table(reads_cells: pd.DataFrame, against: str = "join_json") -> pd.DataFrame:
    """Per server x RTT: each strategy's median over `against`'s (the star/JOIN ratios)."""
    if reads_cells.empty:
        return reads_cells
    p = reads_cells.pivot_table(index=["server", "rtt_ms"], columns="strategy", values="p50_us")
    return p.div(p[against], axis=0).drop(columns=against).reset_index()
