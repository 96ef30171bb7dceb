"""Every in-place change an experiment makes is recorded before it is made and undone by the next
command, whatever killed the last one: each experiment that adds user_id indexes to an as-written
dataset is killed (SIGKILL) with them in place and the next seed puts the dataset back; the caching
experiment's small-shared_buffers pass is killed at 16 MB and the next `db start` resets it."""
import os
import shutil
import subprocess
import sys

import psycopg
import pytest

from bench.config import dsn_from_env
from bench.db import intent, restart, schema
from bench.seeding import seed

pytestmark = pytest.mark.db

USER_ID_INDEXES = ("user_roles_user_id_idx", "auth_audit_log_user_id_created_at_idx",
                   "chat_sessions_user_id_created_at_idx", "message_cache_session_id_idx", "session_shares_session_id_idx")


def _indexes(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_indexes WHERE indexname = ANY(%s)",
                            (list(USER_ID_INDEXES),)).fetchone()[0]


@pytest.mark.parametrize("experiment", ["caching", "cross_service", "concurrency", "locks", "pooler"])
def test_killed_with_indexes_added_is_restored_by_the_next_seed(server, xs_star, tmp_path, experiment):
    if experiment == "pooler" and shutil.which("pgbouncer") is None:
        pytest.skip("pgbouncer is not installed: the pooler experiment adds no index without it")
    schema.run_files(xs_star.dsn, ("variants/as-written.sql",))  # as seeded, whatever ran before
    assert _indexes(xs_star.dsn) == 0
    env = {**os.environ, intent.KILL_ENV: f"{experiment}:indexed"}
    done = subprocess.run([sys.executable, "-m", "bench", "run", experiment, "--scale", "xs", "--quick",
                           "--out", str(tmp_path)], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == -9, done.stderr[-2000:]  # killed at its change, not finished
    assert _indexes(xs_star.dsn) == len(USER_ID_INDEXES)  # the damage: an as-written dataset indexed
    assert [r["name"] for r in intent.pending(xs_star.dsn)] == [experiment]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("2")]  # no results folder
    again = seed.seed(server, seed.Request(scale="xs"), progress=False)
    assert again.reused and again.restored == [experiment]
    assert _indexes(xs_star.dsn) == 0 and intent.pending(xs_star.dsn) == []


def test_small_buffers_pass_killed_at_16mb_is_reset_by_the_next_db_start(server, xs_star):
    if dsn_from_env():
        pytest.skip("the embedded server only: the suite never alters a server given by DSN")
    before = restart.current(server, ["shared_buffers"])
    assert before["shared_buffers"] != "16MB"
    code = ("from bench.db import pg; from bench.experiments import caching; from bench.experiments.common import Context; "
            "from bench.seeding import seed; s = pg.server_dsn(); r = seed.seed(s, seed.Request(scale='xs'), progress=False); "
            "caching.small_buffers(Context(s, r.dsn, seed.Request(scale='xs'), r.manifest, quick=True))")
    env = {**os.environ, intent.KILL_ENV: "server:settings"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180)
    try:
        assert done.returncode == -9, done.stderr[-2000:]
        assert restart.current(server, ["shared_buffers"]) == {"shared_buffers": "16MB"}  # the damage
        assert intent._marker().exists()
        started = subprocess.run([sys.executable, "-m", "bench", "db", "start"], capture_output=True, text=True,
                                 timeout=120)
        assert started.returncode == 0, started.stderr
        assert "server settings reset after an interrupted run: shared_buffers" in started.stderr
        assert restart.current(server, ["shared_buffers"]) == before and not intent._marker().exists()
    finally:
        intent.recover_server(server)  # never leave the session's server at 16 MB
