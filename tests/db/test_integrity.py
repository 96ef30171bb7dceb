"""Integrity experiment: fault schedule, census, trigger failure, lock waits, soft references."""
import random
from dataclasses import replace

import psycopg
import pytest

from bench.db import pg, schema
from bench.experiments import integrity
from bench.experiments import integrity_census as census
from bench.experiments import integrity_faults as faults
from bench.experiments import integrity_flow as flow
from bench.sql import sql_text

pytestmark = pytest.mark.db
BASE = {"experiment": "integrity", "scale": "xs"}


@pytest.fixture(scope="module")
def scratch(server):
    return integrity.scratch(server)


def test_schedule_is_seeded_and_has_every_fault():
    a, b = faults.schedule(7, 300, 0.1), faults.schedule(7, 300, 0.1)
    assert a == b and a != faults.schedule(8, 300, 0.1)
    kinds = {f.kind for _, f in a}
    assert kinds == {"none", *faults.FAULTS}
    assert len({s.id for s, _ in a}) == 300


def test_transactions_stay_consistent_where_three_requests_break(scratch):
    mx = replace(integrity.QUICK, signups=48, reps=2)
    rows = integrity.run_faults(scratch, mx, 42, BASE)
    census_rows = [r for r in rows if r["record"] == "census" and r["class"] == "inconsistent"]
    broken = {a: sum(r["users"] for r in census_rows if r["strategy"] == a) for a in faults.APPROACHES}
    assert broken["three_requests"] > 0
    assert broken["transaction"] == broken["rpc"] == broken["trigger"] == 0
    # every faulty signup really was caught mid-flow (its step blocked on the fault's lock)
    fault_rows = [r for r in rows if r["record"] == "fault"]
    assert fault_rows and all(r["blocked"] for r in fault_rows)
    assert {r["fault"] for r in fault_rows} == set(faults.FAULTS)
    # signup by signup: all five rows or none, except three requests whose client died mid-flow
    partial = {(r["strategy"], r["fault"]) for r in fault_rows if r["rows_left"] not in (0, 5)}
    assert partial == {("three_requests", "client_dies")}
    # the same schedule for each approach: identical fault rows but for the strategy
    by = {a: [(r["fault"], r["step"]) for r in fault_rows if r["strategy"] == a] for a in faults.APPROACHES}
    assert by["three_requests"] == by["transaction"] == by["rpc"] == by["trigger"]


@pytest.mark.parametrize("variant", ["star", "star_nofk"])
def test_census_detects_every_injected_orphan_class(server, variant):
    req = census.CensusRequest(scale="xs", variant=variant, orphans=0.02)
    rows = census.variant_census(server, req, BASE)
    found = {r["class"]: r for r in rows if r["record"] == "orphans"}
    injected = schema.ORPHANS_ALLOWED[variant]
    assert injected
    for cls, (source, _) in census.CLASSES.items():
        if source in injected:
            assert found[cls]["rows_found"] > 0, cls
        elif source is not None:
            assert found[cls]["rows_found"] == 0, cls
    assert found["user_without_profile"]["rows_found"] == found["user_without_profile"]["injected_users"] > 0
    if "user_missing" in injected:
        assert found["state_without_user"]["rows_found"] == found["state_without_user"]["injected_users"] > 0


def test_probes_show_what_foreign_keys_prevent(server):
    verdicts = {}
    for variant in schema.VARIANTS:
        frac = 0.02 if schema.ORPHANS_ALLOWED[variant] else 0.0
        rows = census.variant_census(server, census.CensusRequest(scale="xs", variant=variant, orphans=frac), BASE)
        verdicts[variant] = {r["class"]: r["verdict"] for r in rows if r["record"] == "probe"}
    assert "missed" not in {v for d in verdicts.values() for v in d.values()}
    assert set(verdicts["star_nofk"].values()) == {"detected"}
    assert verdicts["star"]["role_without_user"] == "impossible"
    assert verdicts["star"]["role_without_profile"] == "detected"
    assert verdicts["relational"]["role_without_profile"] == "impossible"
    # the soft reference is detected only, in every variant
    assert {verdicts[v]["state_dangling_session"] for v in schema.VARIANTS} == {"detected"}


def test_failing_trigger_blocks_the_signup_and_leaves_nothing(scratch):
    with pg.connect(scratch, autocommit=True) as conn:
        conn.execute(integrity.TRUNCATE)
        [row] = flow.trigger_failure(conn, scratch, random.Random(1), BASE)
        assert row["sqlstate"] == "23502" and "full_name" in row["error"]
        assert row["rows_left"] == 0
        ok = flow._signup(random.Random(2), 1)  # the same signup with a name goes through: 3 rows
        faults.step(conn, "user", ok)
        assert conn.execute(sql_text("integrity/flow/rows_left.sql"), {"id": ok.id}).fetchone()[0] == 3


def test_spoke_insert_waits_for_a_user_delete_not_for_a_sign_in(scratch):
    with pg.connect(scratch, autocommit=True) as conn:
        schema.run_files(scratch, ("integrity/flow/triggers_memo.sql",))
        s = flow._signup(random.Random(3), 2)
        faults.step(conn, "user", s)
    with pg.connect(scratch) as holder, pg.connect(scratch, autocommit=True) as ins:
        ins.execute("SET lock_timeout = '300ms'")
        holder.execute(sql_text("integrity/flow/hold_update_last_sign_in.sql"), {"id": s.id})
        ins.execute(sql_text("integrity/flow/lock_insert.sql"), {"id": s.id})  # no wait
        holder.rollback()
        holder.execute(sql_text("integrity/flow/hold_delete_user.sql"), {"id": s.id})
        with pytest.raises(psycopg.errors.LockNotAvailable):
            ins.execute(sql_text("integrity/flow/lock_insert.sql"), {"id": s.id})
        holder.rollback()


def test_soft_reference_dangles_and_a_foreign_key_prevents_it(scratch):
    mx = replace(integrity.QUICK, reps=1, delete_percent=30)
    with pg.connect(scratch, autocommit=True) as conn:
        conn.execute(integrity.TRUNCATE)
        schema.run_files(scratch, ("integrity/signup/triggers_on.sql",))
        conn.execute(sql_text("integrity/costs/users.sql"), {"users": 200})
        rows = {r["strategy"]: r for r in flow.soft_references(conn, mx, random.Random(4), BASE)}
    assert rows["soft_reference"]["sessions_deleted"] > 0
    assert rows["soft_reference"]["dangling"] > 0
    assert rows["fk_set_null"]["dangling"] == rows["fk_set_null_indexed"]["dangling"] == 0
