"""A server that dies mid-run and a scale this machine cannot seed: one line, exit 2, nothing written."""
import os
import subprocess
import sys
import time

import psycopg
import pytest

from bench.config import UsageError
from bench.db import pg
from bench.seeding import resources, seed

pytestmark = pytest.mark.db


@pytest.fixture
def doomed(tmp_path):
    """A private embedded server with an xs dataset, to be killed by the test."""
    emb = pg.Embedded(tmp_path / "pg")
    running = emb.start()
    seed.seed(running.dsn(), seed.Request(scale="xs"), progress=False)
    yield emb, running
    emb.stop()


def test_the_server_dying_mid_run_is_one_line_and_writes_nothing(doomed, tmp_path):
    emb, running = doomed
    out = tmp_path / "results"
    env = {**os.environ, "BENCH_DSN": running.dsn(tcp=True)}
    proc = subprocess.Popen([sys.executable, "-m", "bench", "run", "rls", "--scale", "xs", "--quick", "--out", str(out)],
                            env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    with psycopg.connect(running.dsn(), autocommit=True) as conn:  # wait until the run works on the dataset
        deadline = time.monotonic() + 60
        while not conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = 'bench_star_xs'").fetchone()[0]:
            assert time.monotonic() < deadline and proc.poll() is None, "the run never reached the dataset"
            time.sleep(0.02)
    emb._run([pg.tool("pg_ctl"), "-D", str(emb.pgdata), "-m", "immediate", "-w", "stop"])  # a crash, as the run sees it
    _, stderr = proc.communicate(timeout=120)
    lines = stderr.strip().splitlines()
    assert proc.returncode == 2, stderr[-2000:]
    # a broken connection or the next one refused: either way the server it had reached went away
    assert lines[-1].startswith("error: the PostgreSQL server went away during this command ("), lines[-1]
    assert "check the DSN" not in stderr
    assert "Traceback" not in stderr
    assert not out.exists() or [p.name for p in out.iterdir() if p.name != ".lock"] == []


def test_a_scale_this_machine_cannot_seed_is_refused_before_planning(server, monkeypatch):
    monkeypatch.setattr(resources, "free_memory", lambda: 0.6e9)  # the rows stream: xl needs < 1 GB
    monkeypatch.setattr(resources, "free_disk", lambda path: 50e9)
    memory, disk = resources.needs("xl")
    assert memory > 0.6e9 and disk > 50e9
    started = time.perf_counter()
    with pytest.raises(UsageError, match=r"scale xl needs about \d+\.\d GB of free memory and \d+ GB of free disk"):
        seed.seed(server, seed.Request(scale="xl"), progress=False)
    assert time.perf_counter() - started < 10  # refused, not planned
    assert not pg.database_exists(server, "bench_star_xl")
    resources.check("xs", embedded=True)  # a scale that fits passes (with the same small machine)
