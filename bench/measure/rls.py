"""Row-level security: policy forms, callers as PostgREST sets them up, and the isolation oracle.

A caller is a database role plus the JWT claims PostgREST puts in `request.jwt.claims`, set
inside the request's transaction (`set_config(..., true)`), exactly as the `rest` envelope of
`strategies.Source` does. Policy forms are applied to one spoke at a time and the memo's
policies (`schema/rls.sql`) are put back afterwards.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

import psycopg
from psycopg import sql

from bench.db import schema
from bench.measure import bundles, postgrest, strategies
from bench.names import SPOKES
from bench.sql import sql_text

# spoke -> (the memo's policy name, the column holding the owner's id); session-owned spokes
# reach their owner through chat_sessions and keep the memo's EXISTS policy.
POLICIES = {
    "profiles": ("users_own_profiles", "id"),
    "user_roles": ("users_own_roles", "user_id"),
    "auth_audit_log": ("users_own_audit", "user_id"),
    "user_state": ("users_own_state", "user_id"),
    "chat_sessions": ("users_own_chats", "user_id"),
}
PRIMARY_KEY = {"user_state": "user_id", "session_analytics": "session_id"}  # others: id

# The USING expression of each form, written for the owner column `{key}`. `off` disables RLS.
FORMS = {
    "off": None,
    "memo": "auth.uid() = {key}",
    "select_uid": "(select auth.uid()) = {key}",
    "role_fn": "auth.uid() = {key} OR public.is_admin()",
    "role_fn_select": "auth.uid() = {key} OR (select public.is_admin())",
    "role_fn_definer": "auth.uid() = {key} OR public.is_admin_definer()",
}
TO_CLAUSES = ("public", "authenticated")  # the memo writes no TO clause: its policies apply to anon too
QUERIES = ("count", "select", "select_filtered")


@dataclass(frozen=True)
class Caller:
    """Who a request runs as: a database role and the claims PostgREST would set."""

    name: str
    role: str
    claims: dict | None  # None: the claim setting is left unset (a request with no JWT)

    def claims_text(self) -> str:
        return "" if self.claims is None else json.dumps(self.claims)


def user(uid) -> Caller:
    return Caller("authenticated", "authenticated", {"sub": str(uid), "role": "authenticated"})


def supabase_user(dsn: str, uid) -> Caller:
    """An authenticated caller with the claims Supabase Auth issues for the seeded user (about
    500 bytes: email, metadata, amr, session...), which auth.uid() parses wherever it is not hoisted."""
    tokens = postgrest.Tokens(dsn)
    try:
        return Caller("authenticated", "authenticated", postgrest.claims(tokens.user(str(uid))))
    finally:
        tokens.close()


ANON = Caller("anon", "anon", {"role": "anon"})


def callers(a, b) -> dict[str, tuple[Caller, object]]:
    """The isolation cases: who asks, and whose rows the request names (user A asks for B's)."""
    forged = Caller("forged_claim", "authenticated", {"sub": str(a), "role": "service_role"})
    return {
        "own_rows": (user(a), a),
        "other_user": (user(a), b),
        "anon": (ANON, b),
        "missing_claim": (Caller("missing_claim", "authenticated", None), b),
        "forged_claim": (forged, b),
        "service_role": (Caller("service_role", "service_role", {"role": "service_role"}), b),
    }


def become(conn: psycopg.Connection, caller: Caller) -> None:
    """Inside an open transaction: act as `caller` until it ends, as PostgREST sets up a request:
    the role's own settings first (statement_timeout: authenticated 8 s, anon 3 s), then the role
    and the claims."""
    calls = [sql.SQL("set_config({}, {}, true)").format(sql.Literal(k), sql.Literal(v))
             for k, v in postgrest.ROLE_SETTINGS.get(caller.role, ())]
    calls += [sql.SQL("set_config('role', %s, true)"), sql.SQL("set_config('request.jwt.claims', %s, true)")]
    conn.execute(sql.SQL("SELECT {}").format(sql.SQL(", ").join(calls)), (caller.role, caller.claims_text()))


def timeout_s(role: str) -> float | None:
    """The statement_timeout a request as `role` runs under (None: no limit of its own)."""
    value = dict(postgrest.ROLE_SETTINGS.get(role, ())).get("statement_timeout")
    return None if value is None else float(value.removesuffix("s"))


def statement(query: str, table: str) -> str:
    key = POLICIES.get(table, (None, "user_id"))[1]
    body = "\n".join(line for line in sql_text(f"rls/{query}.sql").splitlines() if not line.startswith("--"))
    return body.format(table=table, key=key)  # no comment: pg_stat_statements is keyed by this text


def form_sql(table: str, form: str, to: str = "public") -> sql.Composed:
    """The DDL that puts `form` on `table` (replacing the memo's policy of the same name)."""
    if form not in FORMS:
        raise ValueError(f"unknown policy form {form!r}: choose from {', '.join(FORMS)}")
    name, key = POLICIES[table]
    ident = sql.Identifier("public", table)
    drop = sql.SQL("DROP POLICY IF EXISTS {} ON {}").format(sql.Identifier(name), ident)
    if FORMS[form] is None:
        return sql.SQL("; ").join([sql.SQL("ALTER TABLE {} DISABLE ROW LEVEL SECURITY").format(ident), drop])
    using = sql.SQL(FORMS[form].format(key=key))  # fixed text from FORMS, not input
    to_clause = sql.SQL(" TO authenticated") if to == "authenticated" else sql.SQL("")
    return sql.SQL("; ").join([
        sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(ident), drop,
        sql.SQL("CREATE POLICY {} ON {} FOR ALL{} USING ({})").format(sql.Identifier(name), ident, to_clause, using)])


def apply_form(dsn: str, tables, form: str, to: str = "public") -> None:
    schema.run_files(dsn, ("rls/functions.sql",))
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in tables:
            conn.execute(form_sql(table, form, to))


# What puts the memo's security back after any policy form or the safe set (all idempotent)
MEMO_FILES = ("rls/safe_undo.sql", "schema/rls.sql", "schema/grants.sql", "schema/trigger.sql")
SAFE_FILES = ("rls/safe.sql",)


def restore(dsn: str) -> None:
    """The memo's policies, grants and handle_new_user on every spoke again."""
    schema.run_files(dsn, MEMO_FILES)


def pair(conn: psycopg.Connection) -> tuple[str, str]:
    """Users A and B for the isolation checks: two who own rows in as many spokes as possible."""
    rows = conn.execute(sql_text("rls/pair.sql")).fetchall()
    if len(rows) < 2:
        raise ValueError("the isolation checks need a dataset with at least two users")
    return str(rows[0][0]), str(rows[1][0])


def owned(conn: psycopg.Connection, uid) -> dict[str, set[str]]:
    """Primary keys per spoke that `uid` owns, read with the connection's own (superuser) rights."""
    out: dict[str, set[str]] = defaultdict(set)
    for spoke, pk in conn.execute(sql_text("rls/owned.sql").replace("$1", "%(uid)s"), {"uid": str(uid)}):
        out[spoke].add(pk)
    return out


def visible(conn: psycopg.Connection, caller: Caller, table: str) -> set[str]:
    """The primary keys of `table` that `caller` can read, in a request transaction rolled back after."""
    pk = sql.Identifier(PRIMARY_KEY.get(table, "id"))
    with conn.transaction(force_rollback=True):
        become(conn, caller)
        rows = conn.execute(sql.SQL("SELECT {}::text FROM {}").format(pk, sql.Identifier("public", table))).fetchall()
    return {r[0] for r in rows}


def counted(conn: psycopg.Connection, caller: Caller, relation: str) -> int:
    with conn.transaction(force_rollback=True):
        become(conn, caller)
        return conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("public", relation))).fetchone()[0]


def spoke_isolation(conn: psycopg.Connection, a, b) -> list[dict]:
    """Every spoke, read whole by each caller: what each may see against what it saw.
    Expected: user A exactly A's rows; anon, a missing claim and a forged claim (role
    service_role in the JWT, database role authenticated) nothing beyond A's (and anon nothing);
    service_role every row. `held` is False for any leak or any own row withheld."""
    mine = owned(conn, a)
    out = []
    for case, (caller, _target) in callers(a, b).items():
        if case == "other_user":
            continue  # a whole-table read names no user: own_rows covers it
        for table in SPOKES:
            if case == "service_role":  # every row: counted, not fetched
                expected = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("public", table))).fetchone()[0]
                n = counted(conn, caller, table)
                out.append({"case": case, "spoke": table, "expected_rows": expected, "rows_seen": n,
                            "foreign_rows": n - len(mine[table]), "held": n == expected})
                continue
            seen = visible(conn, caller, table)
            allowed = mine[table] if case in ("own_rows", "forged_claim") else set()
            out.append({"case": case, "spoke": table, "expected_rows": len(allowed), "rows_seen": len(seen),
                        "foreign_rows": len(seen - mine[table]), "held": seen == allowed})
    return out


def strategy_isolation(dsn: str, a, b, bundle_names=("account", "chat"), names=tuple(strategies.STRATEGIES)) -> list[dict]:
    """Every read strategy through the rest envelope, for every caller: user A's own request gets
    A's whole bundle, service_role gets B's, and A asking for B, anon, a missing and a forged
    claim get an empty bundle. A request that names user B filters on B in the query, so only
    the policies stand between A and B's rows."""
    with psycopg.connect(dsn) as conn:
        types = bundles.column_types(conn)
    loaded = [bundles.load(n) for n in bundle_names]
    with strategies.Source(dsn) as plain:  # no envelope: the owner's view, the expected answers
        full = {(bd.name, u): bundles.canonical(strategies.star_sequential(plain, bd, u).answer, types)
                for bd in loaded for u in (a, b)}
    out = []
    for case, (caller, target) in callers(a, b).items():
        with strategies.Source(dsn, rest=True, role=caller.role, claims=caller.claims_text()) as src:
            for bd in loaded:
                empty = bundles.canonical({p: ((), []) for p in bd.parts}, types)
                want = full[(bd.name, target)] if case in ("own_rows", "service_role") else empty
                for name in names:
                    fetch = strategies.STRATEGIES[name](src, bd, target)
                    got = bundles.canonical(fetch.answer, types)
                    out.append({"case": case, "bundle": bd.name, "strategy": name, "rows_seen": fetch.rows,
                                "expected_empty": want == empty, "held": got == want})
    return out


VIEW = "bench_rls_audit_feed"


def view_leak(conn: psycopg.Connection, a) -> list[dict]:
    """A view over auth_audit_log, read by user A: created plainly it runs with its owner's
    rights and returns every user's rows; with security_invoker = true the policy applies.
    Each case runs in a transaction that is rolled back: the view never outlives the check."""
    mine = owned(conn, a)["auth_audit_log"]
    total = conn.execute("SELECT count(*) FROM public.auth_audit_log").fetchone()[0]
    out = []
    for case, options in (("view_default", sql.SQL("")), ("view_security_invoker", sql.SQL(" WITH (security_invoker = true)"))):
        with conn.transaction(force_rollback=True):
            conn.execute(sql.SQL("CREATE VIEW public.{}{} AS SELECT * FROM public.auth_audit_log").format(
                sql.Identifier(VIEW), options))
            conn.execute(sql.SQL("GRANT SELECT ON public.{} TO authenticated, anon").format(sql.Identifier(VIEW)))
            become(conn, user(a))
            seen, foreign = conn.execute(sql.SQL("SELECT count(*), count(*) FILTER (WHERE user_id <> %s) FROM public.{}")
                                         .format(sql.Identifier(VIEW)), (str(a),)).fetchone()
        out.append({"case": case, "spoke": "auth_audit_log via view", "expected_rows": len(mine),
                    "rows_seen": seen, "foreign_rows": foreign, "total_rows": total,
                    "held": seen == len(mine) and foreign == 0})
    return out
