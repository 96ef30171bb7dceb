"""The embedded server cannot be used to break in: TCP asks for a scram password kept in a 0600
passfile, the socket directory is private, authenticator has a password, another OS user gets
nowhere; the owner's DSN (passfile=...) works; subprocesses get credentials from the
environment, never the command line; run.json's command carries no password."""
import os
import pwd
import stat
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from bench.db import environment, pg
from bench.measure import bundles
from bench.measure.clients import pgbench

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def running(server):
    emb = pg.Embedded()
    if os.environ.get("BENCH_DSN") or emb.status() is None:
        pytest.skip("the lock-down concerns the embedded server")
    return emb.status()


def _without_passfile(dsn: str, **change) -> str:
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    params.update(passfile="/nonexistent", **change)
    return psycopg.conninfo.make_conninfo(**params)


def test_tcp_needs_a_password(running):
    tcp = running.dsn(tcp=True)
    with psycopg.connect(tcp) as conn:  # the owner, through the passfile
        assert conn.execute("SELECT current_user").fetchone()[0] == "postgres"
    for role in ("postgres", "authenticator"):
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(_without_passfile(tcp, user=role), connect_timeout=5)
    with psycopg.connect(tcp.replace("user=postgres", "user=authenticator")) as conn:  # its own password
        assert conn.execute("SELECT current_user").fetchone()[0] == "authenticator"


def test_secret_and_socket_are_private(running):
    assert stat.S_IMODE(os.stat(running.passfile).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(running.socket_dir).st_mode) == 0o700
    with psycopg.connect(running.dsn()) as conn:
        hashed = dict(conn.execute("SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY(%s)",
                                   (list(pg.LOGIN_ROLES),)).fetchall())
    assert set(hashed) == set(pg.LOGIN_ROLES) and all(h and h.startswith("SCRAM-SHA-256$") for h in hashed.values())


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another OS user")
def test_another_os_user_gets_nowhere(running):
    psql = pg.tool("psql")
    pg.ensure_traversable(Path(psql))  # nobody must reach psql (a checkout under a 0700 directory), as the server does
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "PGCONNECT_TIMEOUT": "5"}
    for host in ("127.0.0.1", str(running.socket_dir)):
        done = subprocess.run([psql, "-w", "-h", host, "-p", str(running.port), "-U", "postgres", "-d", "postgres",
                               "-c", "COPY (SELECT 1) TO PROGRAM 'id'"], user="nobody", env=env, cwd="/",
                              group=pwd.getpwnam("nobody").pw_gid, extra_groups=[],  # not root's groups
                              capture_output=True, text=True, timeout=30)
        assert done.returncode != 0, host
        assert "password" in done.stderr or "Permission denied" in done.stderr, done.stderr


def test_db_url_works_for_its_owner(running):
    done = subprocess.run([sys.executable, "-m", "bench", "db", "url", "--tcp"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "passfile=" in done.stdout and "password" not in done.stdout.replace("passfile", "")
    with psycopg.connect(done.stdout.strip()) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_pgbench_gets_credentials_from_the_environment(running, xs_star, monkeypatch):
    seen = []
    real = subprocess.run

    def spy(cmd, **kwargs):
        seen.append((cmd, kwargs.get("env") or {}))
        return real(cmd, **kwargs)

    monkeypatch.setattr(pgbench.subprocess, "run", spy)
    tcp = pg.tcp_dsn(xs_star.dsn)
    with pg.connect(tcp) as conn:
        users = [str(r[0]) for r in conn.execute("SELECT id FROM auth.users ORDER BY id LIMIT 2").fetchall()]
    records = pgbench.block(tcp, bundles.load("account"), "star_sequential", users, [0, 1], 2, warmup=1)
    assert len(records) == 2  # scram over TCP passed
    [(cmd, env)] = seen
    secret = open(running.passfile).read().split(":")[4].split()[0]
    assert not any(secret in str(a) for a in cmd) and env.get("PGPASSFILE") == str(running.passfile)


def test_run_json_command_has_no_password(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["bench", "run", "--dsn", "postgresql://u:hunter2@db.example/x",
                                      "--dsn=host=db password=hunter2 dbname=x"])
    command = " ".join(environment.collect_environment()["command"])
    assert "hunter2" not in command and command.count("***") == 2
