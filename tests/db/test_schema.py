"""Schema variants on the real server: idempotent, the signup trigger, RLS isolation, cascades."""
import json
import uuid

import pytest
from psycopg import sql

from bench.db import pg, schema

pytestmark = pytest.mark.db


@pytest.mark.parametrize("variant", schema.VARIANTS)
def test_every_variant_applies_twice_cleanly(scratch_db, variant):
    def catalog():
        with pg.connect(scratch_db) as conn:
            return conn.execute(
                "SELECT (SELECT count(*) FROM pg_constraint WHERE connamespace = 'public'::regnamespace),"
                "       (SELECT count(*) FROM pg_policies WHERE schemaname = 'public'),"
                "       (SELECT count(*) FROM pg_indexes WHERE schemaname = 'public')").fetchone()

    schema.apply(scratch_db, variant)
    first = catalog()
    schema.apply(scratch_db, variant)
    assert catalog() == first
    schema.apply(scratch_db, variant, "indexed")
    assert catalog()[2] == first[2] + 5
    schema.apply(scratch_db, variant, "as-written")
    assert catalog() == first


def _signup(conn, meta=None) -> uuid.UUID:
    uid = uuid.uuid4()
    conn.execute("INSERT INTO auth.users (id, email, raw_user_meta_data, created_at) VALUES (%s, %s, %s, now())",
                 (uid, f"{uid.hex[:8]}@example.com", json.dumps(meta or {"full_name": "Ada Lovelace"})))
    return uid


@pytest.fixture
def star(scratch_db):
    schema.apply(scratch_db, "star")
    return scratch_db


def test_signup_creates_profile_and_state_through_trigger(star):
    with pg.connect(star, autocommit=True) as conn:
        uid = _signup(conn)
        assert conn.execute("SELECT full_name FROM profiles WHERE id = %s", (uid,)).fetchone() == ("Ada Lovelace",)
        state = conn.execute("SELECT ui_preferences FROM user_state WHERE user_id = %s", (uid,)).fetchone()
        assert state == ({"theme": "light", "sidebar_collapsed": False},)
        # confirmed_at is generated, created_at has no default (the auth server fills it)
        with pytest.raises(Exception, match="confirmed_at"):
            conn.execute("INSERT INTO auth.users (id, confirmed_at) VALUES (gen_random_uuid(), now())")
        default = conn.execute("SELECT column_default FROM information_schema.columns "
                               "WHERE table_schema = 'auth' AND table_name = 'users' AND column_name = 'created_at'").fetchone()
        assert default == (None,)


def _as(conn, role: str, sub: uuid.UUID | None):
    conn.execute("SELECT set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
                 (role, json.dumps({"sub": str(sub), "role": role}) if sub else ""))


SPOKES = {"profiles": "id", "user_roles": "user_id", "auth_audit_log": "user_id", "user_state": "user_id",
          "chat_sessions": "user_id"}


def _count(table: str) -> sql.Composed:
    return sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))


def test_rls_user_sees_only_own_rows_anon_none(star):
    with pg.connect(star, autocommit=True) as conn:
        a, b = _signup(conn), _signup(conn)
        for uid in (a, b):
            conn.execute("INSERT INTO user_roles (user_id, role) VALUES (%s, 'user')", (uid,))
            conn.execute("INSERT INTO auth_audit_log (user_id, action) VALUES (%s, 'login')", (uid,))
            conn.execute("INSERT INTO chat_sessions (user_id, adk_session_id) VALUES (%s, %s)", (uid, uid.hex))
    for table, col in SPOKES.items():
        with pg.connect(star) as conn:
            _as(conn, "authenticated", a)
            owners = {r[0] for r in conn.execute(sql.SQL("SELECT {} FROM {}").format(sql.Identifier(col), sql.Identifier(table)))}
            assert owners == {a}, table
        with pg.connect(star) as conn:
            _as(conn, "anon", None)
            assert conn.execute(_count(table)).fetchone() == (0,), table
        with pg.connect(star) as conn:
            _as(conn, "service_role", None)
            assert conn.execute(_count(table)).fetchone()[0] >= 2, table


def test_rls_test_fails_when_a_policy_is_dropped(star):
    with pg.connect(star, autocommit=True) as conn:
        a, b = _signup(conn), _signup(conn)
        conn.execute("DROP POLICY users_own_profiles ON profiles")
        conn.execute("CREATE POLICY leak ON profiles FOR ALL USING (true)")
    with pg.connect(star) as conn:
        _as(conn, "authenticated", a)
        owners = {r[0] for r in conn.execute("SELECT id FROM profiles")}
    assert owners == {a, b}  # the isolation assertion above would now fail


@pytest.mark.parametrize("variant", ["star", "relational"])
def test_deleting_a_user_cascades(scratch_db, variant):
    schema.apply(scratch_db, variant)
    with pg.connect(scratch_db, autocommit=True) as conn:
        uid = _signup(conn)
        conn.execute("INSERT INTO user_roles (user_id, role) VALUES (%s, 'admin')", (uid,))
        conn.execute("INSERT INTO auth_audit_log (user_id, action) VALUES (%s, 'login')", (uid,))
        conn.execute("INSERT INTO chat_sessions (user_id, adk_session_id) VALUES (%s, 'x')", (uid,))
        conn.execute("DELETE FROM auth.users WHERE id = %s", (uid,))
        for table, col in SPOKES.items():
            query = sql.SQL("SELECT count(*) FROM {} WHERE {} = %s").format(sql.Identifier(table), sql.Identifier(col))
            assert conn.execute(query, (uid,)).fetchone() == (0,), table


def test_relational_forbids_role_without_profile_star_allows_it(scratch_db, server):
    schema.apply(scratch_db, "relational")
    with pg.connect(scratch_db, autocommit=True) as conn:
        uid = _signup(conn)
        conn.execute("DELETE FROM profiles WHERE id = %s", (uid,))
        with pytest.raises(Exception, match="foreign key"):
            conn.execute("INSERT INTO user_roles (user_id, role) VALUES (%s, 'admin')", (uid,))
    star = pg.create_database(server, "bench_t_star_orphan")
    schema.apply(star, "star")
    with pg.connect(star, autocommit=True) as conn:
        uid = _signup(conn)
        conn.execute("DELETE FROM profiles WHERE id = %s", (uid,))
        conn.execute("INSERT INTO user_roles (user_id, role) VALUES (%s, 'admin')", (uid,))  # the memo's "weird" case


def test_auth_functions_match_supabase(star):
    with pg.connect(star) as conn:
        rows = conn.execute("SELECT p.proname, l.lanname, p.provolatile, p.prosecdef, p.proconfig "
                            "FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang "
                            "WHERE p.pronamespace = 'auth'::regnamespace ORDER BY 1").fetchall()
        assert rows == [(n, "sql", "s", False, None) for n in ("jwt", "role", "uid")]
        conn.execute("SELECT set_config('request.jwt.claims', %s, true)", ('{"sub": "5b0e6e3c-34c4-4a2b-9b64-1f4b3c1d2e3f", "role": "authenticated"}',))
        assert conn.execute("SELECT auth.uid()::text, auth.role(), auth.jwt() ->> 'role'").fetchone() == (
            "5b0e6e3c-34c4-4a2b-9b64-1f4b3c1d2e3f", "authenticated", "authenticated")
        roles = dict(conn.execute("SELECT rolname, rolbypassrls FROM pg_roles WHERE rolname IN "
                                  "('anon','authenticated','service_role','authenticator')").fetchall())
        assert roles == {"anon": False, "authenticated": False, "service_role": True, "authenticator": False}


def test_auth_users_is_set_up_as_supabase_ships_it(xs_star):
    """The five partial unique token indexes, RLS on auth.users, the API roles INHERIT and the
    per-request role settings PostgREST reads from the catalog, for the suite's database."""
    from bench.measure import postgrest

    with pg.connect(xs_star.dsn) as conn:
        indexes = {r[0]: r[1] for r in conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'auth' AND tablename = 'users'")}
        rls_on = conn.execute("SELECT relrowsecurity FROM pg_class WHERE oid = 'auth.users'::regclass").fetchone()[0]
        inherit = dict(conn.execute("SELECT rolname, rolinherit FROM pg_roles WHERE rolname = ANY(%s)",
                                    (["anon", "authenticated", "service_role", "authenticator"],)).fetchall())
        settings = dict(conn.execute(
            "SELECT r.rolname, s.setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
            "WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())").fetchall())
    tokens = ("confirmation_token", "recovery_token", "email_change_token_current", "email_change_token_new",
              "reauthentication_token")
    for column in tokens:
        d = indexes[f"{column}_idx"]
        assert "UNIQUE" in d and f"({column})" in d and "'^[0-9 ]*$'" in d, d
    assert rls_on is True
    assert inherit == {"anon": True, "authenticated": True, "service_role": True, "authenticator": False}
    for role, pairs in postgrest.ROLE_SETTINGS.items():  # what the request path applies = what the catalog says
        assert sorted(settings[role]) == sorted(f"{k}={v}" for k, v in pairs)


def test_a_request_runs_under_its_roles_statement_timeout(xs_star):
    from bench.measure import rls

    with pg.connect(pg.tcp_dsn(xs_star.dsn), autocommit=True) as conn:
        for caller, limit in ((rls.ANON, "3s"), (rls.user(uuid.uuid4()), "8s")):
            with conn.transaction():
                rls.become(conn, caller)
                assert conn.execute("SHOW statement_timeout").fetchone()[0] == limit
            assert conn.execute("SHOW statement_timeout").fetchone()[0] != limit  # local to the request
