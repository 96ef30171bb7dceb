"""Data shaping for the report: run tables -> one row per cell, shared by charts and verdicts.

Pandas only (no plotting, no driver), so computing a verdict loads neither matplotlib nor psycopg.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from bench import config
from bench.report import palette
from bench.results import stats


def by_client(df: pd.DataFrame, client: str = "psycopg") -> pd.DataFrame:
    """The rows of one read-path client (runs before issue 14 have only the harness, psycopg)."""
    if "client" not in df:
        return df
    return df[df.client.fillna("psycopg") == client]


def read_paths(summary: pd.DataFrame, table: pd.DataFrame, cache: str = "warm", client: str = "psycopg") -> pd.DataFrame:
    """The read-paths rows of the run summary for one client (the harness unless asked; warm
    cache unless asked), with the RTT the proxy actually added."""
    s = by_client(summary[summary.experiment == "read_paths"], client).copy()
    if "cache" in s:
        s = s[s.cache == cache]
    rtt = table[table.record == "rtt"][["scale", "rtt_ms", "added_ms"]]
    s = s.merge(rtt, on=["scale", "rtt_ms"], how="left")
    s["rtt_measured_ms"] = s["added_ms"].fillna(0.0)
    return s.drop(columns="added_ms")


def scales(d: pd.DataFrame) -> list[str]:
    """The scales a table holds, smallest first."""
    return config.ordered(d.scale)


def largest_scale(s: pd.DataFrame) -> str:
    return config.largest(s.scale.unique())


def crossovers(d: pd.DataFrame, pairs=(("star_parallel", "star_sequential"), ("star_parallel", "join_json"),
                                        ("star_sequential", "join_flat"))) -> list[str]:
    """Where two strategies' median latencies cross as the measured RTT grows (linear
    interpolation between measured points)."""
    p50 = d.pivot_table(index="rtt_measured_ms", columns="strategy", values="p50_us").sort_index()
    out = []
    for a, b in pairs:
        if not {a, b} <= set(p50.columns):
            continue
        diff = (p50[a] - p50[b]).to_numpy()
        x = p50.index.to_numpy()
        for i in range(len(diff) - 1):
            if diff[i] == 0 or np.sign(diff[i]) != np.sign(diff[i + 1]):
                at = x[i] + (x[i + 1] - x[i]) * diff[i] / (diff[i] - diff[i + 1]) if diff[i] != diff[i + 1] else x[i]
                faster = a if diff[i + 1] < 0 else b
                out.append(f"{palette.label(faster)} overtakes {palette.label(b if faster == a else a)} at about {at:.2g} ms")
    return out


CELL_KEYS = ["record", "client", "strategy", "mode", "clients", "rate", "rtt_ms", "budget", "sweep", "load_fraction"]
LOAD_CLIENT = "psycopg"  # runs before load rows carried `client` were all the Python load generator


def _merged(hists: pd.Series) -> dict:
    return stats.merged_percentiles(hists)


def load(table: pd.DataFrame, record: str = "load") -> pd.DataFrame:
    """One row per cell: percentiles of latency (from the intended start), service time and pool
    wait merged over repetitions; throughput median and range over repetitions; client-bound if
    any repetition was."""
    t = table[table.record == record].copy()
    for col in CELL_KEYS:
        if col not in t:
            t[col] = np.nan
    t["client"] = t["client"].astype(object).where(t["client"].notna(), LOAD_CLIENT)
    rows = []
    for key, g in t.groupby(CELL_KEYS, dropna=False, sort=True):
        row = dict(zip(CELL_KEYS, key))
        for metric in ("latency", "service", "pool_wait", "lag"):
            if f"hist_{metric}" in g:
                row.update({f"{metric}_{k}": v for k, v in _merged(g[f"hist_{metric}"]).items()})
        row.update(throughput_rps=g.throughput_rps.median(), throughput_lo=g.throughput_rps.min(),
                   throughput_hi=g.throughput_rps.max(), statements_per_s=g.statements_per_s.median(),
                   client_bound=bool(g.client_bound.any()), client_cpu_cores=g.client_cpu_cores.median(),
                   server_cpu_cores=g.server_cpu_cores.median(), reps=len(g), requests=int(g.requests.sum()),
                   errors=int(g.errors.sum()))
        for extra in ("other_cpu_cores", "client_side_cores", "connections", "skipped", "locks", "fastpath_locks", "locks_planned", "fastpath_locks_planned", "lock_manager_wait_share"):
            if extra in g:
                row[extra] = g[extra].median()
        rows.append(row)
    return pd.DataFrame(rows)


def saturation(c: pd.DataFrame) -> pd.DataFrame:
    """Highest closed-loop throughput per client, strategy and RTT (at the budget of the main
    matrix), with the throughput range over the repetitions of that cell."""
    d = c[(c["mode"] == "closed") & c.sweep.isna()]
    idx = d.groupby(["client", "rtt_ms", "strategy"]).throughput_rps.idxmax()
    cols = ["client", "rtt_ms", "strategy", "clients", "throughput_rps", "throughput_lo", "throughput_hi",
            "statements_per_s", "latency_p99_us", "client_bound", "server_cpu_cores", "client_cpu_cores"]
    return d.loc[idx, [col for col in cols if col in d]].reset_index(drop=True)


def consistency(table: pd.DataFrame) -> pd.DataFrame:
    t = table[table.record == "consistency"]
    g = t.groupby(["bundle", "strategy", "condition", "write_rate"], sort=True)
    out = g.agg(reads=("reads", "sum"), torn=("torn", "sum"), write_rate_achieved=("write_rate_achieved", "mean"))
    out["torn_per_10k"] = 1e4 * out.torn / out.reads
    out["latency_p50_us"] = g.hist_latency.apply(lambda h: _merged(h)["p50_us"])
    return out.reset_index()


def policy_cells(table: pd.DataFrame) -> pd.DataFrame:
    """The policy sweep, with one time per cell: pg_stat_statements' mean execution time over
    real executions (on a server without it, the client's median); timed-out cells at the
    role's statement_timeout, flagged. (Runs before issue 15 timed a slow cell by its EXPLAIN
    ANALYZE, the last fallback.)"""
    p = table[table.record == "policy"].copy()
    client = p["client_p50_us"] if "client_p50_us" in p else p["explain_exec_us"]  # no pg_stat_statements: the client's time
    p["server_ms"] = p["exec_us"].fillna(client).fillna(p["explain_exec_us"]) / 1000
    if "timeout_us" in p:
        p.loc[p.timed_out.astype(bool), "server_ms"] = p["timeout_us"] / 1000
    return p


def strategy_cells(summary: pd.DataFrame) -> pd.DataFrame:
    s = summary[summary.experiment == "rls"].copy()
    s["setting"] = np.select([s.envelope == "rest_service_role", s.condition == "rls_select_uid",
                              s.condition == "rls_safe"],
                             ["service_role (RLS bypassed)", "(select auth.uid()) policies", "the safe policy set"],
                             "the memo's policies")
    return s


def write_cells(table: pd.DataFrame) -> pd.DataFrame:
    """The RLS write checks, one cell per (op, caller) x policy set: checks held out of all
    (spokes, or role-check forms for promoted_read)."""
    w = table[table.record == "write"]
    g = w.groupby(["op", "case", "policy_set"]).agg(held=("held", "sum"), checks=("held", "size"),
                                                    reach=("reach", "first")).reset_index()
    g["held"] = g["held"].astype(int)
    return g


def at_scale(table: pd.DataFrame, record: str, scale: str | None = None) -> pd.DataFrame:
    d = table[table.record == record]
    return d[d.scale == (scale or largest_scale(d))] if not d.empty else d


def medians(d: pd.DataFrame, by: str | list[str]) -> pd.DataFrame:
    """Pooled median (HdrHistogram) and the range of per-rep medians of latency_us, per group."""
    rows = []
    for key, g in d.groupby(by):
        reps = [float(np.median(r)) for _, r in g.groupby("rep").latency_us]
        rows.append({**dict(zip([by] if isinstance(by, str) else by, key if isinstance(key, tuple) else (key,))),
                     "p50_us": stats.percentiles(stats.histogram(g.latency_us))["p50_us"],
                     "lo_us": min(reps), "hi_us": max(reps), "n": len(g)})
    return pd.DataFrame(rows)


def query_cells(summary: pd.DataFrame) -> pd.DataFrame:
    """The cross-spoke query rows of the run summary."""
    return by_scale(summary[(summary.experiment == "cross_service") & (summary.condition != ORM_PAGE)])


def orm_cells(summary: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The ORM page rows of the run summary, with the statements and round trips per page and the
    RTT the proxy added."""
    s = summary[(summary.experiment == "cross_service") & (summary.condition == ORM_PAGE)]
    shape = table[table.record == "shape"][["scale", "strategy", "statements", "round_trips", "users"]]
    rtt = table[table.record == "rtt"][["scale", "rtt_ms", "added_ms"]]
    s = s.merge(shape, on=["scale", "strategy"]).merge(rtt, on=["scale", "rtt_ms"], how="left")
    return s.assign(rtt_measured_ms=s.added_ms.fillna(0.0)).drop(columns="added_ms")


def moved(table: pd.DataFrame) -> pd.DataFrame:
    """Bytes over the wire per execution (DataRow bytes received + id lists sent), rows, statements."""
    b = table[table.record == "bytes"].copy()
    b["moved_bytes"] = b["bytes"] + b["sent_bytes"].fillna(0)
    return by_scale(b)


ORM_PAGE = "orm_page"


def by_scale(d: pd.DataFrame) -> pd.DataFrame:
    """Rows smallest scale first."""
    return d.assign(order=d.scale.map(config.SCALE_ORDER.index)).sort_values("order")


def tier_overhead(table: pd.DataFrame, rtt_ms: float = 0.0) -> pd.DataFrame:
    """Per bundle x strategy through the tier: the client's median latency, the tier's handling,
    its statements' time and its own share (handling less statements, pool wait included), µs."""
    t = table[(table.record == "request") & (table.envelope == "tier") & (table.rtt_ms == rtt_ms)].copy()
    if t.empty:
        return pd.DataFrame()
    t["tier_own_us"] = t.tier_us - t.tier_db_us
    g = t.groupby(["scale", "bundle", "strategy"])
    out = g.agg(requests=("latency_us", "size"), latency_p50_us=("latency_us", "median"),
                tier_p50_us=("tier_us", "median"), tier_db_p50_us=("tier_db_us", "median"),
                tier_own_p50_us=("tier_own_us", "median"), http_requests=("http_requests", "median")).reset_index()
    out["tier_own_share"] = (out.tier_own_p50_us / out.latency_p50_us).round(2)
    return out


PATHS = {"rest_envelope": "old envelope", "rest": "PostgREST's statements", "tier": "PostgREST tier"}


def path_costs(table: pd.DataFrame, bundle: str = "account", rtts_ms=(0.0, 2.0)) -> pd.DataFrame:
    """Per strategy x RTT, the per-request median (ms) through the suite's old envelope emulation,
    PostgREST's statements sent by the client (RTT 0 only) and the PostgREST tier, for the median
    sampled user (median over users of each user's median) and the heaviest sampled user (most
    audit rows), with the tier over the old envelope: what the faithful path changes."""
    t = by_client(table)
    t = t[(t.record == "request") & (t.bundle == bundle) & (t.indexes == "indexed") & (t.cache == "warm")
          & t.rtt_ms.isin(rtts_ms) & t.envelope.isin(list(PATHS))]
    if not {"rest_envelope", "tier"} <= set(t.envelope):
        return pd.DataFrame()
    t = t[t.scale == largest_scale(t)]
    heaviest = t.loc[t.audit_rows.idxmax()]
    per_user = t.groupby(["strategy", "rtt_ms", "envelope", "user_idx"]).latency_us.median() / 1000
    who = {"median user": per_user.groupby(level=[0, 1, 2]).median(),
           f"heaviest ({int(heaviest.audit_rows)} audit rows)": per_user.xs(heaviest.user_idx, level="user_idx")}
    out = pd.concat({k: v.unstack("envelope") for k, v in who.items()}, names=["user"]).reset_index()
    out = out[out.strategy.isin(t[t.envelope == "tier"].strategy.unique())]
    out["tier / old"] = (out["tier"] / out["rest_envelope"]).round(2)
    out = out.rename(columns={k: f"{v} (ms)" for k, v in PATHS.items()})
    cols = ["user", "strategy", "rtt_ms", *(f"{v} (ms)" for k, v in PATHS.items() if f"{v} (ms)" in out), "tier / old"]
    return out[cols].sort_values(["user", "rtt_ms", "strategy"], ascending=[False, True, True]).round(3)


def lock_rows(run) -> pd.DataFrame:
    """The lock cells: the `locks` experiment's table, or in runs made before it was one, the
    concurrency table's `locks` records."""
    if not (run.has("locks") or run.has("concurrency")):
        return pd.DataFrame(columns=["record", "strategy", "clients", "locks_planned", "lock_manager_wait_share"])
    return load(run.table("locks") if run.has("locks") else run.table("concurrency"), "locks")
