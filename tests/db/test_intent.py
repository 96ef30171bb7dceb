"""A run killed (SIGKILL) in the middle of an in-place change never poisons later runs: the
change was recorded in the dataset first, the next seed or run restores it, and the next run
measures an intact dataset; no results folder is written from a dataset left changed."""
import os
import subprocess
import sys

import pandas as pd
import psycopg
import pytest

from bench.db import intent, pg
from bench.experiments.runner import run_experiments
from bench.seeding import seed

pytestmark = pytest.mark.db

USER_ID_INDEXES = ("user_roles_user_id_idx", "auth_audit_log_user_id_created_at_idx",
                   "chat_sessions_user_id_created_at_idx", "message_cache_session_id_idx", "session_shares_session_id_idx")


def _killed_at(point: str, experiment: str, out) -> subprocess.CompletedProcess:
    env = {**os.environ, intent.KILL_ENV: point}
    done = subprocess.run([sys.executable, "-m", "bench", "run", experiment, "--scale", "xs", "--quick", "--out", str(out)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr[-2000:]  # killed at the checkpoint, not finished
    return done


def _state(dsn: str) -> dict:
    with psycopg.connect(dsn, autocommit=True) as conn:
        with conn.transaction(force_rollback=True):
            conn.execute("SET LOCAL ROLE anon")
            anon_rows = conn.execute("SELECT count(*) FROM public.auth_audit_log").fetchone()[0]
        return {
            "rls_on": conn.execute("SELECT relrowsecurity FROM pg_class WHERE oid = 'public.auth_audit_log'::regclass").fetchone()[0],
            "audit_policies": conn.execute("SELECT count(*) FROM pg_policies WHERE tablename = 'auth_audit_log'").fetchone()[0],
            "user_id_indexes": conn.execute("SELECT count(*) FROM pg_indexes WHERE indexname = ANY(%s)",
                                            (list(USER_ID_INDEXES),)).fetchone()[0],
            "anon_audit_rows": anon_rows,
        }


INTACT = {"rls_on": True, "audit_policies": 1, "user_id_indexes": 0, "anon_audit_rows": 0}  # as-written, the memo's RLS


def test_rls_killed_with_rls_off_is_restored_by_the_next_run(server, xs_star, tmp_path):
    _killed_at("rls:off", "rls", tmp_path)
    left = _state(xs_star.dsn)
    assert not left["rls_on"] and left["anon_audit_rows"] > 0  # the damage the kill left
    assert [r["name"] for r in intent.pending(xs_star.dsn)] == ["rls"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("2")]  # no results folder
    run_dir = run_experiments(server, seed.Request(scale="xs"), ["rls"], quick=True, root=tmp_path)
    assert _state(xs_star.dsn) == INTACT and intent.pending(xs_star.dsn) == []
    iso = pd.read_parquet(run_dir / "rls.parquet").query("record == 'isolation' and `check` == 'spoke'")
    reads = iso[~iso["case"].str.startswith("view_")]
    assert len(reads) > 0 and reads["held"].all()  # measured on an intact dataset: no leak made by the suite
    assert '"rls"' in (run_dir / "run.json").read_text()  # run.json says what was restored before measuring


def test_read_paths_killed_with_indexes_added_is_restored_by_the_next_seed(server, xs_star, tmp_path):
    _killed_at("read_paths:indexed", "read_paths", tmp_path)
    assert _state(xs_star.dsn)["user_id_indexes"] == len(USER_ID_INDEXES)  # on an as-written dataset
    done = subprocess.run([sys.executable, "-m", "bench", "seed", "--scale", "xs", "--no-progress"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "restored after an interrupted read_paths run" in done.stderr
    assert _state(xs_star.dsn) == INTACT and intent.pending(xs_star.dsn) == []


def test_no_results_from_a_dataset_left_changed(xs_star):
    intent.record(xs_star.dsn, "probe", ("variants/as-written.sql",))
    try:
        with pytest.raises(RuntimeError, match="in-place change 'probe'"):
            intent.require_clean(xs_star.dsn, "bench_star_xs")
    finally:
        assert intent.recover(xs_star.dsn) == ["probe"]
    intent.require_clean(xs_star.dsn, "bench_star_xs")


def test_an_exception_inside_a_change_restores_it(xs_star):
    with pytest.raises(ZeroDivisionError):
        with intent.changing(xs_star.dsn, "probe", ("variants/as-written.sql",)):
            with pg.connect(xs_star.dsn, autocommit=True) as conn:
                conn.execute("CREATE INDEX IF NOT EXISTS user_roles_user_id_idx ON public.user_roles (user_id)")
            1 / 0
    assert _state(xs_star.dsn) == INTACT and intent.pending(xs_star.dsn) == []
