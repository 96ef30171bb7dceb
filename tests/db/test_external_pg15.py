"""Proof on a server the suite did not start: Debian's PostgreSQL 15, set up as a DBA would (a
login role with a password, an application database of its own), then the suite by DSN only:
seed xs, a quick read-paths, RLS and locks run beside the session's server, render. Nothing outside the suite's bench_* databases
and its four documented roles may change. Skipped where postgresql-15 is not installed, except
under .ci/run (BENCH_REQUIRE_PG15=1), where it must run."""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from bench import config
from bench.db import debian_cluster, roles

pytestmark = pytest.mark.slow

if not debian_cluster.installed():
    if os.environ.get("BENCH_REQUIRE_PG15"):
        pytest.fail(f"BENCH_REQUIRE_PG15 is set but {debian_cluster.BIN}/postgres is missing", pytrace=False)
    pytest.skip(f"PostgreSQL 15 is not installed ({debian_cluster.BIN}/postgres missing): "
                "apt-get install postgresql-15 (or `make pg15`) to run the external-server proof",
                allow_module_level=True)

ROLES_SQL = ("SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolbypassrls, "
             "rolconnlimit FROM pg_roles")


@pytest.fixture(scope="module")
def external(tmp_path_factory):
    """A fresh PG15 cluster with a DBA's login role (password in a 0600 passfile) and an app database."""
    home = config.DATA / "pg15-test"
    cluster = debian_cluster.DebianCluster(home=home)
    cluster.destroy()
    running = cluster.start()
    password = secrets.token_urlsafe(18)
    with psycopg.connect(running.superuser_dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE dba LOGIN SUPERUSER PASSWORD {}").format(sql.Literal(password)))
        conn.execute("CREATE ROLE app_owner LOGIN")
        conn.execute("CREATE DATABASE app_prod OWNER app_owner")
    with psycopg.connect(running.superuser_dsn("app_prod"), autocommit=True) as conn:
        conn.execute("CREATE TABLE orders (id int PRIMARY KEY, note text)")
        conn.execute("INSERT INTO orders VALUES (1, 'keep me')")
    passfile = tmp_path_factory.mktemp("pg15") / "pgpass"
    fd = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"127.0.0.1:{running.port}:*:dba:{password}\n")
    dsn = psycopg.conninfo.make_conninfo(host="127.0.0.1", port=running.port, user="dba", dbname="postgres",
                                         passfile=str(passfile))
    yield running, dsn
    cluster.destroy()


def _state(running) -> tuple[set, dict, list]:
    with psycopg.connect(running.superuser_dsn(), autocommit=True) as conn:
        dbs = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
        role_rows = {r[0]: r[1:] for r in conn.execute(ROLES_SQL)}
    with psycopg.connect(running.superuser_dsn("app_prod"), autocommit=True) as conn:
        app = conn.execute("SELECT * FROM orders ORDER BY id").fetchall() + conn.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY 1").fetchall()
    return dbs, role_rows, app


def _bench(*args, dsn: str):
    env = {k: v for k, v in os.environ.items() if k != config.DSN_ENV}
    return subprocess.run([sys.executable, "-m", "bench", *args, "--dsn", dsn], capture_output=True, text=True,
                          env=env, cwd=config.REPO, timeout=600)


def test_a_role_with_other_attributes_is_refused_in_one_line(external):
    running, dsn = external
    with psycopg.connect(running.superuser_dsn(), autocommit=True) as conn:
        conn.execute("CREATE ROLE service_role NOLOGIN INHERIT")  # lacks BYPASSRLS
    try:
        before = _state(running)
        done = _bench("seed", "--scale", "xs", "--no-progress", dsn=dsn)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "service_role" in lines[0] and "BYPASSRLS" in lines[0], done.stderr
        assert _state(running) == before  # refused before anything was made
    finally:
        with psycopg.connect(running.superuser_dsn(), autocommit=True) as conn:
            conn.execute("DROP ROLE service_role")


@pytest.fixture(scope="module")
def two_servers(external, server, tmp_path_factory):
    """By DSN only: seed xs on PG15, then one quick run of read paths, RLS and locks on the session's
    server and on PG15 (`run --dsn A --dsn B`); PG15's databases, roles and application data
    before and after. One run serves both proofs below."""
    running, dsn = external
    before = _state(running)
    seeded = _bench("seed", "--scale", "xs", "--no-progress", dsn=dsn)
    out = tmp_path_factory.mktemp("two-servers")
    env = {k: v for k, v in os.environ.items() if k != config.DSN_ENV}
    ran = subprocess.run([sys.executable, "-m", "bench", "run", "read-paths", "rls", "locks", "--scale", "xs", "--quick",
                          "--no-extra-scales", "--out", str(out), "--dsn", server, "--dsn", dsn],
                         capture_output=True, text=True, env=env, cwd=config.REPO, timeout=900)
    return {"seeded": seeded, "ran": ran, "out": out, "before": before, "after": _state(running)}


def _runs(two: dict) -> tuple[Path, Path]:
    assert two["seeded"].returncode == 0, two["seeded"].stderr
    assert two["ran"].returncode == 0, two["ran"].stderr
    first, second = (Path(line) for line in two["ran"].stdout.strip().splitlines()[-2:])
    return first, second


def test_the_suite_by_dsn_changes_only_its_own_databases_and_roles(external, two_servers):
    running, dsn = external
    _, run_dir = _runs(two_servers)  # PG15's run
    rendered = subprocess.run([sys.executable, "-m", "bench", "render", "--run", str(run_dir), "02-read-paths",
                               "05-rls"], capture_output=True, text=True, cwd=config.REPO, timeout=600)
    shutil.rmtree(config.REPORTS / "runs" / run_dir.name, ignore_errors=True)
    assert rendered.returncode == 0, rendered.stderr

    (dbs_before, roles_before, app_before), (dbs_after, roles_after, app_after) = two_servers["before"], two_servers["after"]
    assert dbs_before <= dbs_after  # nothing dropped
    new = dbs_after - dbs_before
    assert new and all(name.startswith("bench_") for name in new), new
    assert app_after == app_before  # the application's database untouched
    assert {r: roles_after[r] for r in roles_before} == roles_before  # no existing role altered
    assert set(roles_after) - set(roles_before) <= set(roles.ROLES)
    assert roles.mismatches(dsn) == {}  # the roles it made have the documented attributes

    meta = json.loads((run_dir / "run.json").read_text())
    assert meta["versions"]["postgresql"].startswith("15."), meta["versions"]["postgresql"]
    assert meta["topology"].startswith("external server")


def test_two_servers_in_one_run_are_set_side_by_side(two_servers):
    """`run --dsn A --dsn B`: B's run lands in servers/<A's run>/, the servers page shows the
    read-path, RLS and lock cells of both as loaded images, and the verdicts answer on both."""
    from site_checks import FIGURE_SHOWN, need_browser

    from bench.report import claims
    from bench.results import store

    first, second = _runs(two_servers)
    assert second.parent == two_servers["out"] / "servers" / first.name
    others = store.server_runs(first)
    assert [o.path for o in others] == [second]
    assert others[0].meta["versions"]["postgresql"].startswith("15.")
    v = claims.table(store.load(first))
    assert (v[v.key.isin(["no_joins", "parallel", "rls"])].other_servers.str.startswith("PostgreSQL 15")).all()
    rendered = subprocess.run([sys.executable, "-m", "bench", "render", "--run", str(first), "09-servers"],
                              capture_output=True, text=True, cwd=config.REPO, timeout=600)
    site = config.REPORTS / "runs" / first.name
    try:
        assert rendered.returncode == 0, rendered.stderr
        with need_browser() as b:
            b.open((site / "09-servers.html").resolve().as_uri())
            assert b.errors() == []
            for fig in ("fig-servers-reads", "fig-servers-rls", "fig-servers-locks"):
                shown = b.evaluate(f"{FIGURE_SHOWN}({fig!r})")
                assert isinstance(shown, (int, float)) and shown > 0, (fig, shown)
    finally:
        shutil.rmtree(site, ignore_errors=True)
