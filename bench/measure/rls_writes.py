"""The memo's write paths under RLS: what each caller can write to another user's rows.

Every check runs in a request transaction that is rolled back (the dataset is never changed):
the caller (`rls.callers`: user A, anon, a missing and a forged claim, service_role as the
control that must be let through) tries, on every spoke, to insert a row for user B, update and
delete B's rows, TRUNCATE the table and attach a trigger; user A tries to make itself admin
through user_roles and then reads auth_audit_log under each role-check policy form. Rows:

- `op` (insert_other, update_other, delete_other, truncate, trigger, self_promotion,
  promoted_read, definer_search_path), `spoke`, `case` (the caller), `policy_set`;
- `outcome`: written | truncated | created (the trigger) | blocked_by_policy (WITH CHECK) |
  hidden_by_policy (USING hid every row named) | denied (no privilege) | stopped_by_key (the
  policy let the row through, a key stopped it) | seen (promoted_read); `rows_affected`;
- `expected` (blocked | allowed), `held` (the outcome is what a safe schema must do);
- `reach`: `postgrest` when a supabase-js client can do it with its JWT (insert, update,
  delete, upsert are POST/PATCH/DELETE requests), `direct` when it needs a SQL connection as
  that role (PostgREST sends no TRUNCATE or CREATE TRIGGER; a search_path attack needs DDL).
"""
from __future__ import annotations

import psycopg
from psycopg import errors, sql

from bench.measure import rls
from bench.sql import sql_text

OPS = ("insert_other", "update_other", "delete_other", "truncate", "trigger")
REACH = {"insert_other": "postgrest", "update_other": "postgrest", "delete_other": "postgrest",
         "self_promotion": "postgrest", "promoted_read": "postgrest",
         "truncate": "direct", "trigger": "direct", "definer_search_path": "direct"}
ROLE_FORMS = ("role_fn", "role_fn_select", "role_fn_definer")  # the role-check forms of rls.FORMS
SESSION_OWNED = ("message_cache", "session_shares", "session_analytics")


def inserts() -> dict[str, str]:
    """The per-spoke INSERT of rls/writes/insert.sql, by spoke."""
    out, name = {}, None
    for line in sql_text("rls/writes/insert.sql").splitlines():
        if line.startswith("-- spoke: "):
            name = line.removeprefix("-- spoke: ").strip()
        elif name and line.strip() and not line.startswith("--"):
            out[name] = line.strip()
    return out


def _owner_filter(table: str) -> sql.Composable:
    """WHERE clause naming B's rows by value (not through chat_sessions, which RLS would filter)."""
    if table in SESSION_OWNED:
        return sql.SQL("session_id = ANY(%(b_sessions)s)")
    return sql.SQL("{} = %(b)s").format(sql.Identifier(rls.POLICIES[table][1]))


def statement(op: str, table: str) -> sql.Composable:
    ident = sql.Identifier("public", table)
    pk = sql.Identifier(rls.PRIMARY_KEY.get(table, "id"))
    if op == "insert_other":
        return sql.SQL(inserts()[table])
    if op == "update_other":
        return sql.SQL("UPDATE {} SET {} = {} WHERE {}").format(ident, pk, pk, _owner_filter(table))
    if op == "delete_other":
        return sql.SQL("DELETE FROM {} WHERE {}").format(ident, _owner_filter(table))
    if op == "truncate":
        return sql.SQL("TRUNCATE {} CASCADE").format(ident)
    if op == "trigger":
        return sql.SQL("CREATE TRIGGER bench_probe BEFORE INSERT ON {} FOR EACH ROW EXECUTE FUNCTION pg_temp.bench_probe()"
                       ).format(ident)
    raise ValueError(f"unknown write check {op!r}: choose from {', '.join(OPS)}")


SUCCESS = {"insert_other": "written", "update_other": "written", "delete_other": "written",
           "truncate": "truncated", "trigger": "created"}


def _attempt(conn: psycopg.Connection, caller: rls.Caller, op: str, table: str, params: dict) -> tuple[str, int]:
    """Run one write as `caller` in a transaction rolled back after: (outcome, rows affected)."""
    try:
        with conn.transaction(force_rollback=True):
            rls.become(conn, caller)
            if op == "trigger":
                conn.execute(sql_text("rls/writes/probe_trigger.sql"))
            rows = conn.execute(statement(op, table), params).rowcount
    except errors.InsufficientPrivilege as exc:
        return ("blocked_by_policy" if "row-level security" in str(exc) else "denied"), 0
    except (errors.UniqueViolation, errors.ForeignKeyViolation, errors.NotNullViolation):
        return "stopped_by_key", 0
    if op in ("update_other", "delete_other") and rows == 0:
        return "hidden_by_policy", 0  # the policy's USING hid every row the statement named
    return SUCCESS[op], max(rows, 0)


def _blocked(outcome: str) -> bool:
    return outcome in ("blocked_by_policy", "denied", "hidden_by_policy")


def write_checks(conn: psycopg.Connection, a, b, policy_set: str) -> list[dict]:
    """Every write op x spoke x caller against user B's rows (connection with the owner's rights)."""
    params = {"a": str(a), "b": str(b), "b_sessions": conn.execute(sql_text("rls/writes/b_sessions.sql"),
                                                                   {"b": str(b)}).fetchone()[0]}
    params["b_session"] = params["b_sessions"][0] if params["b_sessions"] else None
    out = []
    for case, (caller, _target) in rls.callers(a, b).items():
        if case == "own_rows":
            continue  # other_user is user A acting on B's rows
        for table in rls.SPOKES:
            for op in OPS:
                outcome, rows = _attempt(conn, caller, op, table, params)
                expected = "allowed" if case == "service_role" else "blocked"
                out.append({"policy_set": policy_set, "op": op, "spoke": table, "case": case, "outcome": outcome,
                            "rows_affected": rows, "expected": expected, "reach": REACH[op],
                            "held": _blocked(outcome) == (expected == "blocked")})
    return out


def trigger_runs_as(conn: psycopg.Connection, a) -> str | None:
    """User A attaches the probe trigger to auth_audit_log; the superuser inserts next (in the
    same rolled-back transaction): who the trigger ran as, or None if A could not attach it."""
    try:
        with conn.transaction(force_rollback=True):
            rls.become(conn, rls.user(a))
            conn.execute(sql_text("rls/writes/probe_trigger.sql"))
            conn.execute(statement("trigger", "auth_audit_log"))
            conn.execute("RESET ROLE")
            conn.execute(sql.SQL(inserts()["auth_audit_log"]), {"b": str(a)})  # any later writer: here the superuser
            return conn.execute("SELECT current_setting('bench.probe_ran_as', true)").fetchone()[0]
    except errors.InsufficientPrivilege:
        return None


def self_promotion(conn: psycopg.Connection, a, policy_set: str) -> list[dict]:
    """User A inserts (A, 'admin') into user_roles, then reads auth_audit_log under each
    role-check form (applied inside the same rolled-back transaction)."""
    out = []
    for form in ROLE_FORMS:
        with conn.transaction(force_rollback=True):
            rls.become(conn, rls.user(a))
            try:
                with conn.transaction():
                    promoted = conn.execute(sql_text("rls/writes/promote.sql"), {"a": str(a)}).rowcount > 0
            except errors.InsufficientPrivilege:
                promoted = False
            conn.execute("RESET ROLE")
            total = conn.execute("SELECT count(*) FROM public.auth_audit_log").fetchone()[0]
            conn.execute(rls.form_sql("auth_audit_log", form))
            rls.become(conn, rls.user(a))
            try:
                seen, foreign = conn.execute(sql_text("rls/writes/promoted_read.sql"), {"a": str(a)}).fetchone()
            except errors.QueryCanceled:  # past the role's statement_timeout: the request fails, no row comes back
                seen = foreign = None
        if form == ROLE_FORMS[0]:
            out.append({"policy_set": policy_set, "op": "self_promotion", "spoke": "user_roles", "case": "other_user",
                        "outcome": "written" if promoted else "blocked_by_policy", "rows_affected": int(promoted),
                        "expected": "blocked", "reach": REACH["self_promotion"], "held": not promoted})
        out.append({"policy_set": policy_set, "op": "promoted_read", "spoke": "auth_audit_log", "case": "other_user",
                    "form": form, "outcome": "seen" if seen is not None else "timed out", "rows_affected": 0,
                    "rows_seen": seen, "foreign_rows": foreign, "total_rows": total, "expected": "blocked",
                    "reach": REACH["promoted_read"], "held": foreign == 0 if foreign is not None else True})
    return out


def definer_checks(conn: psycopg.Connection, a, policy_set: str) -> list[dict]:
    """handle_new_user's search_path, and whom a trigger attached by user A runs as."""
    out = [{"policy_set": policy_set, "op": "definer_search_path", "spoke": "auth.users", "case": "-",
            "outcome": "pinned" if pinned else "not pinned", "rows_affected": 0, "expected": "blocked",
            "reach": REACH["definer_search_path"], "held": bool(pinned)}
           for _name, pinned in conn.execute(sql_text("rls/writes/definer.sql"))]
    ran_as = trigger_runs_as(conn, a)
    out.append({"policy_set": policy_set, "op": "trigger_runs_as", "spoke": "auth_audit_log", "case": "other_user",
                "outcome": ran_as or "denied", "rows_affected": 0, "expected": "blocked", "reach": "direct",
                "held": ran_as is None})
    return out


def all_checks(dsn: str, a, b, policy_set: str) -> list[dict]:
    with psycopg.connect(dsn) as conn:
        return write_checks(conn, a, b, policy_set) + self_promotion(conn, a, policy_set) + definer_checks(conn, a, policy_set)
