"""An experiment run alone on a fresh dataset makes what it needs itself: `run rls` right after a
fresh seed used to fail on public.get_account_bundle, which only read_paths applied. Every
experiment of the registry is run so, each as its own `python -m bench run NAME --scale xs
--quick` command (about 2.5 min in all, most of it read_paths, concurrency and pooler)."""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from bench import config
from bench.db import pg
from bench.experiments.registry import REGISTRY
from bench.results import store as results
from bench.seeding import seed

pytestmark = pytest.mark.db

# -- every experiment as its own `run NAME` command on a fresh dataset -------------------------
# One fresh xs seed on a private cluster is shared by the cases, and seeded afresh whenever the
# previous case left the dataset different from how the seed made it (catalog or rows), so each
# experiment meets exactly what a fresh seed leaves, with nothing another experiment made.
SNAPSHOT = {
    "functions": "SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid) FROM pg_proc p "
                 "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT LIKE 'pg\\_%' "
                 "AND n.nspname <> 'information_schema' ORDER BY 1, 2, 3",
    "relations": "SELECT n.nspname, c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity, c.relacl::text "
                 "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT LIKE 'pg\\_%' "
                 "AND n.nspname <> 'information_schema' ORDER BY 1, 2",
    "indexes": "SELECT schemaname, indexname, indexdef FROM pg_indexes WHERE schemaname NOT LIKE 'pg\\_%' ORDER BY 1, 2",
    "policies": "SELECT schemaname, tablename, policyname, roles::text, cmd, qual, with_check FROM pg_policies "
                "ORDER BY 1, 2, 3",
    "triggers": "SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2",
    "extensions": "SELECT extname FROM pg_extension ORDER BY 1",
    "settings": "SELECT setrole::regrole::text, setconfig::text FROM pg_db_role_setting "
                "WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY 1",
}


def _snapshot(dsn: str) -> dict:
    with psycopg.connect(dsn, autocommit=True) as conn:
        out = {k: conn.execute(q).fetchall() for k, q in SNAPSHOT.items()}
        tables = conn.execute("SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables "
                              "WHERE schemaname IN ('auth', 'public') ORDER BY 1").fetchall()
        out["rows"] = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for (t,) in tables}
    return out


@pytest.fixture(scope="module")
def fresh_cluster():
    """A private cluster (the session's datasets stay as other tests expect them) with a fresh xs seed."""
    # not under pytest's base temp: any pytest session starting on the machine sets it back to 0700,
    # and the server (run as its own system user under root) loses its data directory
    emb = pg.Embedded(Path(tempfile.mkdtemp(prefix="bench-test-")) / "pg")
    made = seed.seed(emb.start().dsn(), seed.Request(scale="xs"), fresh=True, progress=False)
    state = {"emb": emb, "fresh": _snapshot(made.dsn), "reseeded": []}
    yield state
    emb.stop()
    shutil.rmtree(emb.home.parent, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(REGISTRY))
def test_each_experiment_runs_alone_as_its_own_command_on_a_fresh_dataset(fresh_cluster, name, tmp_path):
    state = fresh_cluster
    running = state["emb"].start()  # its port, which a restart (read_paths' pinning) changes
    dataset = pg.with_dbname(running.dsn(), seed.Request(scale="xs").database)
    if _snapshot(dataset) != state["fresh"]:  # the previous experiment left something: seed afresh
        state["reseeded"].append(name)
        seed.seed(running.dsn(), seed.Request(scale="xs"), fresh=True, progress=False)
        assert _snapshot(dataset) == state["fresh"]
    out = tmp_path / "results"
    done = subprocess.run([sys.executable, "-m", "bench", "run", name, "--scale", "xs", "--quick", "--out", str(out)],
                          env={**os.environ, config.DSN_ENV: running.dsn(tcp=True)}, capture_output=True, text=True,
                          cwd=config.REPO, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    (run_dir,) = [p for p in out.iterdir() if p.name != ".lock"]
    assert results.validate(run_dir) == []
    assert len(results.load(run_dir).table(name)) > 0
