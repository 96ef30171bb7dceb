"""The write paths under RLS at xs: the memo's policies and grants let user A make itself admin
(and then read every user's audit rows under the role-check forms), let A and anon TRUNCATE and
attach a trigger that runs as the next writer (here the superuser); the safe set closes every
hole and keeps reads isolated. Every check is rolled back: the dataset is unchanged."""
import psycopg
import pytest
from psycopg import sql

from bench.db import pg, schema
from bench.measure import rls, rls_writes

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def tcp(xs_star):
    dsn = pg.tcp_dsn(xs_star.dsn)
    schema.run_files(dsn, ("rls/functions.sql",))
    return dsn


@pytest.fixture(scope="module")
def users(tcp):
    with psycopg.connect(tcp) as conn:
        return rls.pair(conn)


def _counts(dsn):
    with psycopg.connect(dsn) as conn:
        return {t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("public", t))).fetchone()[0]
                for t in rls.SPOKES}


@pytest.fixture(scope="module")
def memo(tcp, users):
    before = _counts(tcp)
    records = rls_writes.all_checks(tcp, *users, "memo")
    assert _counts(tcp) == before  # every attempt rolled back
    return records


@pytest.fixture(scope="module")
def safe(tcp, users):
    schema.run_files(tcp, rls.SAFE_FILES)
    try:
        records = rls_writes.all_checks(tcp, *users, "safe")
        with psycopg.connect(tcp) as conn:
            reads = rls.spoke_isolation(conn, *users)
    finally:
        rls.restore(tcp)
    return records, reads


def _by(records, op, case=None):
    return [r for r in records if r["op"] == op and (case is None or r["case"] == case)]


def test_the_memo_lets_a_user_make_itself_admin_and_read_everyone(memo):
    [promo] = _by(memo, "self_promotion")
    assert promo["outcome"] == "written" and not promo["held"]
    reads = _by(memo, "promoted_read")
    assert {r["form"] for r in reads} == set(rls_writes.ROLE_FORMS)
    assert all(r["foreign_rows"] > 0 and r["rows_seen"] == r["total_rows"] for r in reads)


def test_the_memo_grants_let_users_and_anon_truncate_and_attach_triggers(memo):
    for op in ("truncate", "trigger"):
        for case in ("other_user", "anon"):
            assert {r["held"] for r in _by(memo, op, case)} == {False}, (op, case)
    [ran] = _by(memo, "trigger_runs_as")
    assert ran["outcome"] == "postgres"  # user A's function ran with the superuser's rights
    [path] = _by(memo, "definer_search_path")
    assert path["outcome"] == "not pinned"


def test_the_memo_blocks_writes_to_another_users_rows(memo):
    for op in ("insert_other", "update_other", "delete_other"):
        rows = [r for r in _by(memo, op) if r["case"] != "service_role"]
        assert len(rows) == len(rls.SPOKES) * 4 and all(r["held"] for r in rows), op
        control = _by(memo, op, "service_role")  # the control: the same statements do write as service_role
        assert all(r["outcome"] in ("written", "stopped_by_key") for r in control)
        assert any(r["rows_affected"] > 0 for r in control)


def test_the_safe_set_closes_every_hole_and_keeps_reads_isolated(safe):
    records, reads = safe
    assert [r for r in records if not r["held"]] == []
    assert _by(records, "self_promotion")[0]["outcome"] == "blocked_by_policy"
    assert {r["outcome"] for r in _by(records, "truncate", "other_user")} == {"denied"}
    assert [r for r in reads if not r["held"]] == []


def test_restore_puts_the_memo_back(tcp, safe):
    with psycopg.connect(tcp) as conn:
        policies = conn.execute("SELECT count(*) FROM pg_policies WHERE policyname LIKE 'safe_%'").fetchone()[0]
        truncate = conn.execute("SELECT has_table_privilege('anon', 'public.auth_audit_log', 'TRUNCATE')").fetchone()[0]
        config = conn.execute("SELECT proconfig FROM pg_proc WHERE proname = 'handle_new_user'").fetchone()[0]
    assert (policies, truncate, config) == (0, True, None)
