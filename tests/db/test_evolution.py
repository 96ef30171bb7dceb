"""Schema evolution under load: the locks the memo's recipe takes, and what a long transaction does."""
from dataclasses import replace

import psycopg
import pytest

from bench.db import pg, scratch
from bench.experiments import evolution
from bench.measure import migration, steady_load
from bench.sql import sql_text

pytestmark = pytest.mark.db
NAME = "bench_t_evolution_copy"


@pytest.fixture(scope="module")
def copy(server, xs_star):
    dsn = scratch.copy_of(server, xs_star.dsn, NAME)
    yield dsn
    scratch.drop(server, NAME)


def _recipe(dsn: str, change: str) -> migration.Outcome:
    outcome = migration.perform(dsn, sql_text(f"evolution/changes/{change}.sql"))
    with pg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql_text("evolution/changes/undo_recipe.sql"))
    assert outcome.error is None
    return outcome


def test_memo_recipe_takes_share_row_exclusive_on_auth_users(copy):
    held = {(rel, mode) for rel, mode, granted in _recipe(copy, "recipe_star").locks if granted}
    assert ("auth.users", "ShareRowExclusiveLock") in held
    assert not any(rel == "public.profiles" for rel, _ in held)
    relational = {(rel, mode) for rel, mode, granted in _recipe(copy, "recipe_relational").locks if granted}
    assert ("public.profiles", "ShareRowExclusiveLock") in relational
    assert ("auth.users", "ShareRowExclusiveLock") not in relational


def test_the_copy_leaves_the_seeded_dataset_unchanged(copy, xs_star):
    migration.perform(copy, sql_text("evolution/changes/recipe_star.sql"))
    with pg.connect(xs_star.dsn) as conn:
        assert conn.execute("SELECT to_regclass('public.user_preferences')").fetchone()[0] is None
    with pg.connect(copy, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('public.user_preferences')").fetchone()[0] is not None
        conn.execute(sql_text("evolution/changes/undo_recipe.sql"))


def _cell(copy, cond: str, mx) -> dict:
    with pg.connect(copy) as conn:
        users = [str(r[0]) for r in conn.execute("SELECT id FROM public.profiles ORDER BY id LIMIT 51")]
    with steady_load.SteadyLoad(copy, dict(mx.rates), users[1:], 1) as load:
        rows = evolution.cycle(copy, load, "recipe_star", cond, users[0], mx, {"experiment": "evolution"})
    change = next(r for r in rows if r["record"] == "change")
    signup = next(r for r in rows if r["record"] == "impact" and r["kind"] == "signup")
    return change, signup


def test_a_long_transaction_queues_signups_behind_the_ddl_and_lock_timeout_bounds_it(copy):
    mx = replace(evolution.QUICK, rates=(("signup", 25), ("read", 5)), hold_s=0.6, baseline_s=0.3)
    change, signup = _cell(copy, "long_txn", mx)
    assert change["attempts"] == 1 and change["duration_us"] > 0.5e6  # the DDL waited for the holder
    assert signup["waited"] >= 1 and signup["max_us"] > 300_000  # and signups queued behind it
    change, signup = _cell(copy, "long_txn_lock_timeout", mx)
    assert change["attempts"] > 1 and change["error"] is None  # gave up and retried until it got the lock
    assert signup["errors"] == 0 and signup["max_us"] < 300_000, signup  # each wait bounded by the lock_timeout (100 ms) plus a request


def test_concurrent_index_takes_a_weaker_lock_than_a_plain_one(copy):
    plain = migration.perform(copy, sql_text("evolution/changes/index_plain.sql"))
    pg.connect(copy, autocommit=True).execute(sql_text("evolution/changes/undo_index.sql"))
    concurrent = migration.perform(copy, sql_text("evolution/changes/index_concurrently.sql"), transactional=False,
                                   sample_s=0.001)
    pg.connect(copy, autocommit=True).execute(sql_text("evolution/changes/undo_index.sql"))
    on_spoke = lambda o: {m for rel, m, _ in o.locks if rel == "public.auth_audit_log"}  # noqa: E731
    assert on_spoke(plain) == {"ShareLock"}
    assert on_spoke(concurrent) <= {"ShareUpdateExclusiveLock"}


def test_a_failed_change_is_recorded_not_raised(copy):
    out = migration.perform(copy, "ALTER TABLE public.no_such_table ADD COLUMN x int")
    assert out.error == psycopg.errors.UndefinedTable.sqlstate and out.attempts == 1
