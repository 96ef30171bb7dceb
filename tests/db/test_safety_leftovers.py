"""Issue 26 leftovers on a real server: the dataset experiment's bench_catalog_* scratches are
locked like the other scratches (a second run refuses in one `error:` line naming the holder);
the PostgreSQL 15 cluster's login password is set as a client-side SCRAM verifier, so the
plaintext never reaches the server (pg_stat_statements, server log)."""
import os
import secrets
import subprocess
import sys

import psycopg
import pytest

from bench.db import debian_cluster, pg, schema, scratch

pytestmark = pytest.mark.db


def test_a_second_run_refuses_a_catalog_scratch_in_use_naming_the_holder(server, xs_star, tmp_path):
    name = f"bench_catalog_{schema.VARIANTS[0]}"
    with scratch.locked(server, name):
        done = subprocess.run([sys.executable, "-m", "bench", "run", "dataset", "--scale", "xs", "--quick",
                               "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and name in last and f"bench[{os.getpid()}]" in last, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("2")]  # nothing written


class _Running:
    """Stands in for a started PostgreSQL 15 cluster: the session's server, reached as its superuser."""

    def __init__(self, server: str):
        self.server = server
        self.port = int(psycopg.conninfo.conninfo_to_dict(pg.tcp_dsn(server))["port"])

    def superuser_dsn(self, dbname: str = "postgres") -> str:
        return pg.with_dbname(self.server, dbname)


def test_the_pg15_login_password_is_set_as_a_scram_verifier(server, tmp_path, monkeypatch):
    role = "bench_t_pg15_login"
    monkeypatch.setattr(debian_cluster, "LOGIN", role)
    cluster = debian_cluster.DebianCluster(home=tmp_path)
    password = "pg15-" + secrets.token_hex(8)
    (tmp_path / "pgpass").write_text(f"*:*:*:{role}:{password}\n")
    (tmp_path / "pgpass").chmod(0o600)
    with pg.connect(server, autocommit=True) as conn:
        tracked = conn.execute("SELECT to_regclass('pg_stat_statements')").fetchone()[0] is not None
        conn.execute(f"DROP ROLE IF EXISTS {role}")
        try:
            dsn = cluster.login_dsn(_Running(server))
            stored = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,)).fetchone()[0]
            assert stored.startswith("SCRAM-SHA-256$")
            if tracked:
                n = conn.execute("SELECT count(*) FROM pg_stat_statements WHERE strpos(query, %s) > 0",
                                 (password,)).fetchone()[0]
                assert n == 0
            with psycopg.connect(dsn) as login:  # the passfile's password still logs in over TCP
                assert login.execute("SELECT current_user").fetchone()[0] == role
        finally:
            conn.execute(f"DROP ROLE IF EXISTS {role}")


@pytest.mark.skipif(not debian_cluster.installed(), reason="PostgreSQL 15 is not installed")
def test_a_real_pg15_cluster_never_sees_the_login_password_in_plaintext():
    """Every statement logged (log_statement=all): the password the suite sets is not in the log."""
    from bench import config

    cluster = debian_cluster.DebianCluster(home=config.DATA / "pg15-t-leftovers", settings={"log_statement": "all"})
    try:
        running = cluster.start()
        dsn = cluster.login_dsn(running)
        password = (cluster.home / "pgpass").read_text().strip().split(":", 4)[4]
        with psycopg.connect(dsn) as login:
            assert login.execute("SELECT current_user").fetchone()[0] == debian_cluster.LOGIN
        with psycopg.connect(running.superuser_dsn()) as conn:
            stored = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s",
                                  (debian_cluster.LOGIN,)).fetchone()[0]
        assert stored.startswith("SCRAM-SHA-256$")
        log = cluster.log.read_text(errors="replace")
        assert "ALTER ROLE" in log and password not in log
    finally:
        cluster.destroy()
