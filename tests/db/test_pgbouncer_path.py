"""PgBouncer 1.18 in transaction mode (pool 15 by default; 2 here, so clients share server
connections) in front of Debian's PostgreSQL 15: named prepared statements break across
transactions, unnamed ones (the suite's choice through the pooler) do not. If a newer PgBouncer
tracks prepared statements, the first test fails and the choice should be revisited."""
from __future__ import annotations

import os

import psycopg
import pytest

from bench import config
from bench.db import debian_cluster, pgbouncer

pytestmark = pytest.mark.slow

if not (debian_cluster.installed() and pgbouncer.installed()):
    if os.environ.get("BENCH_REQUIRE_PG15"):
        pytest.fail("BENCH_REQUIRE_PG15 is set but postgresql-15 or pgbouncer is missing", pytrace=False)
    pytest.skip("postgresql-15 or pgbouncer is not installed: apt-get install postgresql-15 pgbouncer",
                allow_module_level=True)


@pytest.fixture(scope="module")
def through_bouncer():
    cluster = debian_cluster.DebianCluster(home=config.DATA / "pg15-bouncer")
    cluster.destroy()
    running = cluster.start()
    with psycopg.connect(running.superuser_dsn(), autocommit=True) as conn:
        conn.execute("CREATE ROLE pooled LOGIN PASSWORD 'pooled-pw-for-a-throwaway-cluster'")
    dsn = running.tcp_dsn("pooled", "pooled-pw-for-a-throwaway-cluster")
    bouncer = pgbouncer.start(dsn, home=config.DATA / "pg15-bouncer" / "pgbouncer", pool_size=2)
    yield bouncer.dsn(dsn)
    bouncer.stop()
    cluster.destroy()


def _errors(dsn: str, threshold) -> int:
    conns = [psycopg.connect(dsn, autocommit=True) for _ in range(4)]
    errors = 0
    try:
        for c in conns:
            c.prepare_threshold = threshold
        for i in range(50):
            for c in conns:
                try:
                    assert c.execute("SELECT %s::int + 1", (i,)).fetchone() == (i + 1,)
                except psycopg.errors.DuplicatePreparedStatement:
                    errors += 1
                except psycopg.errors.InvalidSqlStatementName:
                    errors += 1
    finally:
        for c in conns:
            c.close()
    return errors


def test_named_prepared_statements_break_through_pgbouncer_118(through_bouncer):
    assert _errors(through_bouncer, 0) > 0


def test_the_suites_pooled_connections_never_prepare_by_name(through_bouncer):
    with pgbouncer.pooled_connect(through_bouncer, autocommit=True) as conn:
        assert conn.prepare_threshold is None
    assert _errors(through_bouncer, pgbouncer.PREPARE_THRESHOLD) == 0
