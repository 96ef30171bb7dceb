"""RLS isolation at xs, as PostgREST runs requests: per spoke and per read strategy, user A never
gets B's rows, anon and missing or forged claims get nothing, service_role gets everything; a
plain view leaks and security_invoker closes it; the checks fail when a policy is missing."""
import psycopg
import pytest

from bench.db import pg
from bench.measure import rls
from bench.names import SPOKES

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def tcp(xs_star):
    return pg.tcp_dsn(xs_star.dsn)


@pytest.fixture(scope="module")
def users(tcp):
    with psycopg.connect(tcp) as conn:
        return rls.pair(conn)


def test_the_pair_owns_rows_in_every_spoke(tcp, users):
    with psycopg.connect(tcp) as conn:
        for uid in users:
            assert set(rls.owned(conn, uid)) == set(SPOKES), uid


def test_every_spoke_isolates_every_caller(tcp, users):
    with psycopg.connect(tcp) as conn:
        records = rls.spoke_isolation(conn, *users)
    assert {r["case"] for r in records} == {"own_rows", "anon", "missing_claim", "forged_claim", "service_role"}
    assert {r["spoke"] for r in records} == set(SPOKES)
    assert [r for r in records if not r["held"]] == []
    own = [r for r in records if r["case"] == "own_rows"]
    assert all(r["rows_seen"] == r["expected_rows"] > 0 for r in own)
    assert all(r["foreign_rows"] > 0 for r in records if r["case"] == "service_role")  # the whole table


def test_every_strategy_isolates_every_caller(tcp, users):
    records = rls.strategy_isolation(tcp, *users)
    assert [r for r in records if not r["held"]] == []
    assert {r["strategy"] for r in records} == {"star_sequential", "star_parallel", "star_pipelined", "join_flat", "join_json"}
    got_rows = {r["case"] for r in records if r["rows_seen"] > 0}
    assert got_rows == {"own_rows", "service_role"}  # everyone else received no row at all


def test_a_plain_view_leaks_and_security_invoker_closes_it(tcp, users):
    with psycopg.connect(tcp) as conn:
        records = {r["case"]: r for r in rls.view_leak(conn, users[0])}
        assert not conn.execute("SELECT to_regclass(%s)", (f"public.{rls.VIEW}",)).fetchone()[0]  # rolled back
    leak, closed = records["view_default"], records["view_security_invoker"]
    assert not leak["held"] and leak["rows_seen"] == leak["total_rows"] and leak["foreign_rows"] > 0
    assert closed["held"] and closed["foreign_rows"] == 0


@pytest.mark.parametrize("break_it", ["DROP POLICY users_own_audit ON public.auth_audit_log",
                                      "ALTER TABLE public.auth_audit_log DISABLE ROW LEVEL SECURITY"])
def test_the_checks_fail_when_a_policy_is_missing(tcp, users, break_it):
    """Dropped policy: A loses their own rows. RLS disabled: every caller sees every row. Both
    inside a transaction that is rolled back."""
    with psycopg.connect(tcp) as conn:
        with conn.transaction(force_rollback=True):
            conn.execute(break_it)
            records = rls.spoke_isolation(conn, *users)
    broken = {(r["case"], r["spoke"]) for r in records if not r["held"]}
    assert ("own_rows", "auth_audit_log") in broken
    assert all(spoke == "auth_audit_log" for _, spoke in broken)


def test_forms_apply_and_restore(scratch_db):
    from bench.db import schema
    schema.apply(scratch_db, "star", "indexed")
    for form in rls.FORMS:
        for to in rls.TO_CLAUSES:
            rls.apply_form(scratch_db, ["auth_audit_log"], form, to)
    rls.restore(scratch_db)
    with psycopg.connect(scratch_db) as conn:
        qual, roles = conn.execute("SELECT qual, roles::text FROM pg_policies WHERE policyname = 'users_own_audit'").fetchone()
        enabled = conn.execute("SELECT relrowsecurity FROM pg_class WHERE oid = 'public.auth_audit_log'::regclass").fetchone()[0]
    assert qual == "(auth.uid() = user_id)" and roles == "{public}" and enabled


def test_the_experiment_leaves_the_dataset_as_seeded(xs_quick_run, xs_star):
    """The quick run changed policies and indexes on the shared xs dataset; all put back."""
    with psycopg.connect(xs_star.dsn) as conn:
        policies = dict(conn.execute("SELECT policyname, qual FROM pg_policies WHERE schemaname = 'public'").fetchall())
        disabled = conn.execute("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                                "AND relkind = 'r' AND NOT relrowsecurity AND relname = ANY(%s)",
                                (list(SPOKES),)).fetchall()
        audit_index = conn.execute("SELECT to_regclass('public.auth_audit_log_user_id_created_at_idx')").fetchone()[0]
    assert policies["users_own_audit"] == "(auth.uid() = user_id)"
    assert policies["users_own_state"] == "(auth.uid() = user_id)"
    assert disabled == []
    assert (audit_index is not None) == (xs_star.manifest["indexes"] == "indexed")
