"""What an external server may lack: on Debian's PostgreSQL 15 with its package defaults (no
pg_stat_statements preloaded, no pg_buffercache 1.6) and a login that is not a superuser, the
suite says in one line what is missing, records the skipped cells in run.json, leaves the server
time missing (never invented) and does not crash. Skipped where postgresql-15 is not installed,
except under .ci/run (BENCH_REQUIRE_PG15=1)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import psycopg
import pytest

from bench import config
from bench.db import debian_cluster

pytestmark = pytest.mark.slow

if not debian_cluster.installed():
    if os.environ.get("BENCH_REQUIRE_PG15"):
        pytest.fail(f"BENCH_REQUIRE_PG15 is set but {debian_cluster.BIN}/postgres is missing", pytrace=False)
    pytest.skip(f"PostgreSQL 15 is not installed ({debian_cluster.BIN}/postgres missing): "
                "apt-get install postgresql-15 (or `make pg15`)", allow_module_level=True)

SETUP = (  # as a managed provider has it: the request roles made by an administrator, a plain login
    "CREATE ROLE anon NOLOGIN INHERIT",
    "CREATE ROLE authenticated NOLOGIN INHERIT",
    "CREATE ROLE service_role NOLOGIN INHERIT BYPASSRLS",
    "CREATE ROLE authenticator LOGIN NOINHERIT",
    "CREATE ROLE plain LOGIN CREATEDB CREATEROLE PASSWORD 'plain-pw-for-a-throwaway-cluster'",
)


@pytest.fixture(scope="module")
def plain_login():
    cluster = debian_cluster.DebianCluster(home=config.DATA / "pg15-lacks")
    cluster.destroy()
    running = cluster.start()
    with psycopg.connect(running.superuser_dsn(), autocommit=True) as conn:
        for statement in SETUP:
            conn.execute(statement)
    yield running, running.tcp_dsn("plain", "plain-pw-for-a-throwaway-cluster")
    cluster.destroy()


def _run(dsn: str, out: Path, *experiments: str):
    env = {k: v for k, v in os.environ.items() if k != config.DSN_ENV}
    return subprocess.run([sys.executable, "-m", "bench", "run", *(experiments or ("read-paths",)), "--scale", "xs",
                           "--quick", "--out",
                           str(out), "--dsn", dsn], capture_output=True, text=True, env=env, cwd=config.REPO,
                          timeout=600)


def test_a_login_without_the_request_roles_is_refused_in_one_line(plain_login, tmp_path):
    _, dsn = plain_login
    done = _run(dsn, tmp_path)
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "cannot SET ROLE" in errors[0] and "Traceback" not in done.stderr, done.stderr


def test_what_is_missing_is_said_once_and_recorded_never_invented(plain_login, tmp_path):
    running, dsn = plain_login
    with psycopg.connect(running.superuser_dsn(), autocommit=True) as conn:
        conn.execute("GRANT anon, authenticated, service_role TO plain")
    done = _run(dsn, tmp_path, "read-paths", "caching")
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if " lacks " in line]
    assert len(said) == 1 and "pg_stat_statements" in said[0] and "superuser" in said[0], done.stderr
    run_dir = Path(done.stdout.strip().splitlines()[-1])
    meta = json.loads((run_dir / "run.json").read_text())
    assert meta["server_capabilities"]["superuser"] is False
    assert {"pg_stat_statements", "superuser"} <= set(meta["skipped_cells"])
    timed = pd.read_parquet(run_dir / "read_paths.parquet")
    assert "server_us" not in timed or timed["server_us"].isna().all()  # missing, not zero, not invented
    assert timed["latency_us"].notna().any()  # the client-side cells were measured
    cache = pd.read_parquet(run_dir / "caching.parquet")  # no superuser: the cells are skipped as such, with why
    skipped = cache[cache.record == "skipped"]
    assert len(skipped) and skipped.reason.str.len().gt(0).all(), cache.record.value_counts()
    assert "latency_us" not in cache or cache.latency_us.isna().all(), "a cold cell timed without the rights to make it cold"
    assert not skipped.track_io_timing.any()  # a setting it may not change is not claimed on


def test_the_suites_own_cluster_is_configured_as_the_embedded_server(tmp_path):
    """data/pg15 (suite_cluster) runs with the embedded server's statement tracking, so 15 beside 18
    compares majors configured alike; a cluster running without those settings is restarted with them."""
    bare = debian_cluster.DebianCluster(home=config.DATA / "pg15-settings")
    bare.destroy()
    try:
        first = bare.start()
        with psycopg.connect(first.superuser_dsn()) as conn:
            began = conn.execute("SELECT pg_postmaster_start_time()").fetchone()[0]
        tracked = debian_cluster.DebianCluster(home=bare.home, settings=debian_cluster.suite_cluster().settings)
        second = tracked.start()
        with psycopg.connect(second.superuser_dsn(), autocommit=True) as conn:
            got = {name: conn.execute("SELECT current_setting(%s)", (name,)).fetchone()[0]
                   for name in tracked.settings}
            conn.execute("CREATE EXTENSION pg_stat_statements")
            conn.execute("SELECT count(*) FROM pg_stat_statements").fetchone()
            restarted = conn.execute("SELECT pg_postmaster_start_time()").fetchone()[0] > began
        assert got == {"shared_preload_libraries": "pg_stat_statements", "pg_stat_statements.track": "all"}
        assert restarted  # not the bare server handed back
        assert tracked.start() == second  # already as asked: left running
    finally:
        bare.destroy()
