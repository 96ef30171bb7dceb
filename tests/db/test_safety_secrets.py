"""No password in pg_stat_statements: the suite sets login passwords as SCRAM verifiers computed
client-side, and forgets tracked statements that carried a plaintext one; the login still works."""
import secrets

import psycopg
import pytest

from bench.db import pg, roles

pytestmark = pytest.mark.db

ROLE = "bench_t_secret_login"


def _tracked(conn, text: str) -> int:
    return conn.execute("SELECT count(*) FROM pg_stat_statements WHERE strpos(query, %s) > 0", (text,)).fetchone()[0]


def test_a_password_set_by_the_suite_is_never_tracked_in_plaintext(server):
    old, new = "plain-" + secrets.token_hex(8), "fresh-" + secrets.token_hex(8)
    with pg.connect(server, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('pg_stat_statements')").fetchone()[0] is None:
            pytest.skip("pg_stat_statements is not installed on this server")
        conn.execute(f"DROP ROLE IF EXISTS {ROLE}")
        conn.execute(f"CREATE ROLE {ROLE} LOGIN")
        try:
            conn.execute(f"ALTER ROLE {ROLE} PASSWORD '{old}'")  # as the suite used to: the plaintext tracked
            assert _tracked(conn, old) == 1
            roles.set_password(conn, ROLE, new)
            assert _tracked(conn, old) == 0 and _tracked(conn, new) == 0
            stored = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (ROLE,)).fetchone()[0]
            assert stored.startswith("SCRAM-SHA-256$")
            params = psycopg.conninfo.conninfo_to_dict(pg.tcp_dsn(server))
            login = psycopg.conninfo.make_conninfo(host="127.0.0.1", port=params["port"], dbname="postgres",
                                                   user=ROLE, password=new, passfile="/nonexistent")
            with psycopg.connect(login) as other:
                assert other.execute("SELECT current_user").fetchone()[0] == ROLE
        finally:
            conn.execute(f"DROP ROLE IF EXISTS {ROLE}")
