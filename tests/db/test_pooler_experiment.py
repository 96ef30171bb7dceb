"""The pooler experiment at xs, quick: every read strategy direct and through PgBouncer with the
same answer, the prepared-statement check recorded, load cells on both paths, run.json says so."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from bench.db import pgbouncer
from bench.experiments import pooler

pytestmark = [pytest.mark.db, pytest.mark.slow]

if not pgbouncer.installed():
    pytest.skip("pgbouncer is not installed: apt-get install pgbouncer", allow_module_level=True)


@pytest.fixture(scope="module")
def pooler_run(run_alone):
    """The pooler's quick run at xs, as the test that runs every experiment alone made it."""
    ran = run_alone("pooler")
    assert ran.run_dir is not None, ran.done.stderr[-3000:]
    return pd.read_parquet(ran.run_dir / "pooler.parquet"), json.loads((ran.run_dir / "run.json").read_text())


def test_every_strategy_runs_on_both_paths_with_one_answer(pooler_run):
    t, _ = pooler_run
    eq = t[t.record == "equivalence"]
    assert set(eq.path) == {"direct", "pgbouncer"} and eq.checksum.nunique() == 1
    req = t[t.record == "request"]
    for rtt in pooler.QUICK.rtts_ms:
        here = req[req.rtt_ms == rtt]
        got = set(zip(here.strategy, here.path, here.prepared))
        want = {(s, p, m) for s in pooler.QUICK.strategies for p, m in pooler.PATHS}
        assert got == want
    # same users, same order, same count for every block of a repetition
    counts = req.groupby(["rtt_ms", "rep", "strategy", "path", "prepared"]).user_idx.apply(tuple)
    assert counts.groupby(level=["rtt_ms", "rep"]).nunique().max() == 1


def test_named_prepared_statements_fail_through_the_pooler_and_unnamed_do_not(pooler_run):
    t, meta = pooler_run
    checks = t[t.record == "prepared_check"].set_index("check")
    assert checks.loc["psycopg_prepare", "outcome"] == "error"
    assert checks.loc["psycopg_prepare", "sqlstate"] in ("26000", "42P05")
    assert checks.loc["wire_named", "errors"] > 0
    assert checks.loc["wire_unnamed", "errors"] == 0
    assert checks.loc["pgbench_prepared", "outcome"] == "error" and "P_0" in checks.loc["pgbench_prepared", "error"]
    assert checks.loc["pgbench_extended", "outcome"] == "ok"
    assert meta["pooler"]["ran"] and meta["pooler"]["pool_size"] == pgbouncer.POOL_SIZE
    assert "unnamed" in meta["pooler"]["prepared_statements"]


def test_load_cells_on_both_paths_without_errors(pooler_run):
    t, _ = pooler_run
    load = t[t.record == "load"]
    for strategy in pooler.QUICK.load_strategies:
        assert set(load[(load.strategy == strategy) & (load.client == "psycopg")].path) == {"direct", "pgbouncer"}
    assert set(load[load.client == "pgbench"].path) == {"direct", "pgbouncer"}
    assert (load.errors == 0).all() and (load.throughput_rps > 0).all()
    assert load.client_bound.notna().all()
