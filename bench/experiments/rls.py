"""RLS: what the memo's "simplified security" costs, which policy forms are fast, and whether
isolation holds. Requests run as PostgREST runs them: a transaction that sets the role and
`request.jwt.claims`, then the statement.

Rows of the table (column `record`):
- `policy`: one policy form x TO clause x index x query x caller on auth_audit_log (the largest
  spoke): server execution time from pg_stat_statements (mean over `n` real executions) and the
  plan shape; `timed_out` when it ran past the role's statement_timeout (`timeout_us`);
- `request` / `server`: each read strategy through the rest envelope under the memo's policies,
  under the `(select auth.uid())` form, and as service_role (RLS bypassed), as read_paths times them;
- `isolation`: who saw what, per spoke and per strategy, and the view leak (held = False);
- `write`: what each caller could write to another user's rows, per spoke, op and policy set
  (the memo's, and the safe set of rls/safe.sql), self-promotion and what it then reads, TRUNCATE,
  TRIGGER and handle_new_user's search_path (see measure/rls_writes.py);
- `safe_isolation`: the read isolation checks repeated under the safe set;
- `request` / `server` also under the safe set (condition `rls_safe`).
"""
from __future__ import annotations

import contextlib
import random
import time
from dataclasses import dataclass, replace

import pandas as pd
import psycopg
from psycopg import sql

from bench.db import intent, pg, schema
from bench.experiments import common as checks
from bench.experiments import read_paths
from bench.experiments.common import LARGEST, Step, progress
from bench.measure import bundles, harness, plans, rls, rls_writes
from bench.sql import sql_text

NAME = "rls"
TABLE = "auth_audit_log"
AUDIT_INDEX = "public.auth_audit_log_user_id_created_at_idx"


@dataclass(frozen=True)
class Matrix:
    forms: tuple[str, ...] = tuple(rls.FORMS)
    indexes: tuple[str, ...] = ("indexed", "none")  # "none" at the run's largest scale only
    budget_s: float = 0.25  # timed executions per cell: budget / EXPLAIN's time, within [1, max_runs]
    max_runs: int = 25
    timeout_s: float = 8.0  # for a caller whose role has no statement_timeout of its own (authenticated 8 s, anon 3 s)
    once_s: float = 0.5  # a statement slower than this is timed by that one execution
    strategies: read_paths.Matrix = read_paths.Matrix(bundles=("account", "chat"), rtts_ms=(0.0,), reps=3,
                                                      per_decile=2, as_written=False)


DEFAULT = Matrix()
QUICK = Matrix(forms=("off", "memo", "select_uid", "role_fn_definer"), indexes=("indexed",),
               budget_s=0.02, max_runs=3, once_s=0.2,
               strategies=replace(read_paths.QUICK, bundles=("account",), rtts_ms=(0.0,), reps=2, as_written=False))


def run(ctx) -> list[dict]:
    """At every scale: isolation, each strategy with and without RLS, the policy forms indexed."""
    mx = QUICK if ctx.quick else DEFAULT
    with _indexed(ctx.dsn, ctx.req):
        out = _isolation(ctx.dsn, ctx.req.scale)
        out += _writes(ctx.dsn, ctx.req.scale)
        out += _dataset(ctx.dsn, ctx.req, mx, ("indexed",))
        out += _strategies(ctx, mx)
    return out


def unindexed(ctx) -> list[dict]:
    """Once, at the run's largest scale: the policy forms without the user_id index."""
    mx = QUICK if ctx.quick else DEFAULT
    with _indexed(ctx.dsn, ctx.req):
        return _dataset(ctx.dsn, ctx.req, mx, tuple(i for i in mx.indexes if i != "indexed"))


def forms_at_l(ctx) -> list[dict]:
    """The policy forms alone at scale l, where the run does not reach it (not in --quick)."""
    mx = QUICK if ctx.quick else DEFAULT
    with _indexed(ctx.dsn, ctx.req):
        return _dataset(ctx.dsn, ctx.req, mx, ("indexed",))


STEPS = (Step(run), Step(unindexed, at=LARGEST), Step(forms_at_l, at=("l",), quick=False))


def restore_files(indexes: str) -> tuple[str, ...]:
    """What puts a dataset back as seeded after this experiment: the memo's policies, grants and
    trigger function, and the dataset's own index option (all idempotent)."""
    return (*rls.MEMO_FILES, f"variants/{indexes}.sql")


@contextlib.contextmanager
def _indexed(dsn: str, req):
    """The dataset with user_id indexes and statistics while the experiment runs; afterwards
    the memo's policies and the dataset's own index option again. The change is recorded in the
    dataset first (bench_meta.intent), so a killed run is restored by the next seed or run."""
    with intent.changing(dsn, NAME, restore_files(req.indexes)):
        # schema/rpc.sql: the bundles' functions this experiment calls, so it runs alone on a fresh dataset
        schema.run_files(dsn, ("schema/stats.sql", "schema/rpc.sql", "variants/indexed.sql", "rls/functions.sql"))
        yield


def _dataset(dsn: str, req, mx: Matrix, indexes: tuple[str, ...]) -> list[dict]:
    """The policy-form sweep on one dataset (inside `_indexed`)."""
    base = {"experiment": NAME, "scale": req.scale, "strategy": "-", "record": "policy", "table": TABLE}
    tcp = pg.tcp_dsn(dsn)
    picked = checks.fidelity_users(checks.sample_users(dsn, req.seed, 1))  # light, middle, heavy
    uid = str(picked[len(picked) // 2]["id"])  # a user in the middle decile of audit rows
    me = rls.supabase_user(tcp, uid)  # Supabase Auth's claims for the seeded user, as auth.uid() parses them
    out = []
    for index in indexes:
        if index == "none":
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(f"DROP INDEX IF EXISTS {AUDIT_INDEX}")
        for form in mx.forms:
            for to in (rls.TO_CLAUSES if rls.FORMS[form] else ("public",)):
                rls.apply_form(dsn, [TABLE], form, to)
                intent.checkpoint(f"rls:{form}")
                for query, caller in _cells_of(form, to, me):
                    out.append({**base, "form": form, "to": to, "index": index, "query": query,
                                "caller": caller.name, "claims_bytes": len(caller.claims_text()),
                                **_cell(tcp, caller, query, uid, mx)})
        progress(f"rls {req.scale}: policy forms, index {index}")
    rls.restore(dsn)
    schema.run_files(dsn, ("variants/indexed.sql",))
    return out


def _cells_of(form: str, to: str, me: rls.Caller):
    """The query x caller cells worth timing under one form: with RLS off an unfiltered SELECT
    returns the whole table (nothing to compare); TO authenticated changes nothing for an
    authenticated caller, so beyond the memo's form only anon is timed there."""
    for query in rls.QUERIES:
        if form == "off" and query == "select":
            continue
        for caller in (me, rls.ANON):
            if to == "authenticated" and caller.role == "authenticated" and form != "memo":
                continue
            yield query, caller


def _cell(dsn: str, caller: rls.Caller, query: str, uid: str, mx: Matrix) -> dict:
    """Timed by real execution, each run its own request transaction under the role's own
    statement_timeout (authenticated 8 s, anon 3 s), so a slow form times out where a Supabase
    request would; server time from pg_stat_statements (by query id: it keeps the first text it
    saw), client time measured here. The first run decides: slower than `once_s`, it is the
    measurement; else it warms up and `n` more are timed. EXPLAIN ANALYZE gives the plan shape
    of the fast cells only (its per-node timing inflates times); a slow cell keeps its plan
    without ANALYZE."""
    text = rls.statement(query, TABLE)
    params = (uid,) if "$1" in text else None
    limit_s = rls.timeout_s(caller.role) or mx.timeout_s
    with psycopg.connect(dsn, autocommit=True) as conn:
        if rls.timeout_s(caller.role) is None:
            conn.execute(sql.SQL("SET statement_timeout = {}").format(sql.Literal(f"{limit_s:g}s")))
        raw = psycopg.RawCursor(conn)  # $1 as written: the text pg_stat_statements keys
        plan = _explain(conn, raw, caller, text, params, analyze=False)
        qid = plan[0].get("Query Identifier")
        before = _statement_stats(conn, qid)
        try:
            first, rows = _timed_run(conn, raw, caller, text, params)
        except psycopg.errors.QueryCanceled:
            return {**plans.summarize(plan), "timed_out": True, "n": 0, "timeout_us": limit_s * 1e6}
        client = [first]
        if first <= mx.once_s * 1e6:
            before = _statement_stats(conn, qid)  # the first run was the warm-up
            client = [_timed_run(conn, raw, caller, text, params)[0]
                      for _ in range(harness.requests_for(first, mx.budget_s, 1, mx.max_runs))]
            plan = _explain(conn, raw, caller, text, params, analyze=True)
        after = _statement_stats(conn, qid)
    calls = after[0] - before[0] if before and after else 0
    return {**plans.summarize(plan), "timed_out": False, "n": len(client), "rows": len(rows),
            "client_p50_us": float(pd.Series(client).median()), "timeout_us": limit_s * 1e6,
            "exec_us": (after[1] - before[1]) * 1000 / calls if calls else None, "pgss_calls": calls}


def _explain(conn, raw, caller: rls.Caller, text: str, params, analyze: bool) -> list:
    with conn.transaction():
        rls.become(conn, caller)
        options = "ANALYZE, VERBOSE, FORMAT JSON" if analyze else "VERBOSE, FORMAT JSON"
        return raw.execute(f"EXPLAIN ({options}) {text}", params).fetchone()[0]


def _timed_run(conn, raw, caller: rls.Caller, text: str, params) -> tuple[float, list]:
    """One request's execution of the statement: (client µs, rows)."""
    with conn.transaction():
        rls.become(conn, caller)
        t0 = time.perf_counter_ns()
        rows = raw.execute(text, params).fetchall()
        return (time.perf_counter_ns() - t0) / 1000, rows


def _statement_stats(conn, qid) -> tuple[int, float] | None:
    """(calls, total ms) of one statement, or None on a server without pg_stat_statements (the
    run says so in one line; exec_us is then missing, never invented)."""
    try:
        return conn.execute(sql_text("rls/statement_stats.sql"), {"qid": qid}).fetchone()
    except psycopg.Error:
        return None


def _strategies(ctx, mx: Matrix) -> list[dict]:
    """Each read strategy through the rest envelope: the memo's policies, the sub-select form on
    every spoke, and service_role (RLS bypassed); timed as read_paths times them (inside `_indexed`)."""
    sm = mx.strategies
    users = [u["id"] for u in checks.sample_users(ctx.dsn, ctx.req.seed, sm.per_decile)]
    tcp = pg.tcp_dsn(ctx.dsn)
    rng = random.Random(ctx.req.seed)
    base = {"experiment": NAME, "scale": ctx.req.scale, "rtt_ms": 0.0, "indexes": "indexed", "cache": "warm"}
    plan_base = {"experiment": NAME, "scale": ctx.req.scale, "record": "bundle_plan"}
    out = read_paths.timed_cells(sm, tcp, ctx.dsn, users, rng, {**base, "condition": "rls_memo"},
                                 ("rest", "rest_service_role"))
    out += _bundle_plans(tcp, sm.bundles, str(users[0]), {**plan_base, "condition": "rls_memo"})
    rls.apply_form(ctx.dsn, rls.POLICIES, "select_uid")
    out += read_paths.timed_cells(sm, tcp, ctx.dsn, users, rng, {**base, "condition": "rls_select_uid"}, ("rest",))
    out += _bundle_plans(tcp, sm.bundles, str(users[0]), {**plan_base, "condition": "rls_select_uid"})
    schema.run_files(ctx.dsn, rls.SAFE_FILES)
    out += read_paths.timed_cells(sm, tcp, ctx.dsn, users, rng, {**base, "condition": "rls_safe"}, ("rest",))
    rls.restore(ctx.dsn)
    progress(f"rls {ctx.req.scale}: strategies with and without RLS")
    return out


def _bundle_plans(dsn: str, bundle_names, uid: str, base: dict) -> list[dict]:
    """EXPLAIN ANALYZE of every statement of each bundle, as the user and as service_role."""
    out = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        raw = psycopg.RawCursor(conn)
        for name in bundle_names:
            b = bundles.load(name)
            statements = {**b.single, "join_flat": b.join_flat, "join_json": b.join_json}
            for caller in (rls.user(uid), rls.Caller("service_role", "service_role", {"role": "service_role"})):
                for part, text in statements.items():
                    with conn.transaction():
                        rls.become(conn, caller)
                        explain = raw.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {text}", (uid,)).fetchone()[0]
                    facts = plans.summarize(explain)
                    out.append({**base, "strategy": "-", "bundle": name, "statement": part, "caller": caller.name,
                                **{k: facts[k] for k in ("shape", "initplan", "per_row_filter", "explain_exec_us",
                                                         "plan_us", "plan_rows")}})
    return out


def _writes(dsn: str, scale: str) -> list[dict]:
    """The write paths (rls_writes) under the memo's policies and grants, then under the safe
    set, with the read isolation checks repeated under the safe set (inside `_indexed`)."""
    base = {"experiment": NAME, "scale": scale, "strategy": "-"}
    tcp = pg.tcp_dsn(dsn)
    with psycopg.connect(tcp) as conn:
        a, b = rls.pair(conn)
    out = [{**base, "record": "write", **r} for r in rls_writes.all_checks(tcp, a, b, "memo")]
    schema.run_files(dsn, rls.SAFE_FILES)
    intent.checkpoint("rls:safe")
    out += [{**base, "record": "write", **r} for r in rls_writes.all_checks(tcp, a, b, "safe")]
    with psycopg.connect(tcp) as conn:
        out += [{**base, "record": "safe_isolation", "check": "spoke", "policy_set": "safe", **r}
                for r in rls.spoke_isolation(conn, a, b)]
    rls.restore(dsn)
    progress(f"rls {scale}: write paths, the memo's policies and the safe set")
    return out


def _isolation(dsn: str, scale: str) -> list[dict]:
    base = {"experiment": NAME, "scale": scale, "record": "isolation"}
    tcp = pg.tcp_dsn(dsn)
    with psycopg.connect(tcp) as conn:
        a, b = rls.pair(conn)
        spokes = rls.spoke_isolation(conn, a, b) + rls.view_leak(conn, a)
    return ([{**base, "strategy": "-", "check": "spoke", **r} for r in spokes]
            + [{**base, "check": "strategy", **r} for r in rls.strategy_isolation(tcp, a, b)])
