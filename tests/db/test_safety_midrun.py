"""A run that fails part-way says why in one `error:` line, exits 2 and leaves no run folder, with
no traceback from the command or from its worker threads: a server stopped in the middle of a run
(named as such, never as "cannot reach PostgreSQL, check the DSN", which stays the answer for a
server that was never reached) and memory exhausted under a low `ulimit -v`.

The server is a private embedded cluster of this module (the session's server is shared)."""
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from bench import config
from bench.db import pg
from bench.seeding import seed

pytestmark = pytest.mark.db

# when the experiment itself is under way: its worker threads hold connections
UNDER_WAY = {"evolution": ("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'evolution_read'", 1)}


@pytest.fixture(scope="module")
def private():
    # not under pytest's base temp: any pytest session starting on the machine sets it back to 0700,
    # and the server (run as its own system user under root) loses its data directory
    emb = pg.Embedded(Path(tempfile.mkdtemp(prefix="bench-test-")) / "pg")
    seed.seed(emb.start().dsn(), seed.Request(scale="xs"), progress=False)
    yield emb
    emb.stop()
    shutil.rmtree(emb.home.parent, ignore_errors=True)


# (a crash, `-m immediate`, during `run rls`: tests/db/test_bad_runs.py)
@pytest.mark.parametrize("experiment, mode", [("evolution", "fast")])
def test_a_server_stopped_mid_run_is_named_as_stopped_in_one_line(private, tmp_path, experiment, mode):
    running = private.start()  # again after the previous case stopped it
    out = tmp_path / "results"
    env = {**os.environ, config.DSN_ENV: running.dsn(tcp=True)}
    proc = subprocess.Popen([sys.executable, "-m", "bench", "run", experiment, "--scale", "xs", "--quick",
                             "--out", str(out)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=config.REPO)
    query, enough = UNDER_WAY[experiment]
    with psycopg.connect(running.dsn(), autocommit=True) as conn:
        deadline = time.monotonic() + 90
        while conn.execute(query).fetchone()[0] < enough:
            assert proc.poll() is None and time.monotonic() < deadline, "the experiment never got under way"
            time.sleep(0.02)
    # fast: every backend ends with "terminating connection due to administrator command" (57P01)
    private._run([pg.tool("pg_ctl"), "-D", str(private.pgdata), "-m", mode, "-w", "stop"])
    _, stderr = proc.communicate(timeout=180)
    assert proc.returncode == 2, stderr[-3000:]
    assert "Traceback" not in stderr and "Exception in thread" not in stderr, stderr[-3000:]
    said = [line for line in stderr.splitlines() if line.strip() and not line.startswith(("[", "bench_star_xs: restored"))]
    assert len(said) == 1, stderr[-3000:]
    assert said[0].startswith("error: the PostgreSQL server went away during this command ("), said[0]
    assert "check the DSN" not in said[0] and "nothing was written" in said[0]
    assert not out.exists() or [p.name for p in out.iterdir() if p.name != ".lock"] == []


def _under_limit(limit: int):
    return lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def test_memory_exhausted_mid_run_under_a_low_ulimit_is_one_line(private, tmp_path):
    """Above the floor the CLI refuses at once (tests/unit/test_safety_memory.py), a run's worker
    threads and its node-postgres child need more address space than 1.25 GB: it fails part-way."""
    running = private.start()
    out = tmp_path / "results"
    env = {**os.environ, config.DSN_ENV: running.dsn(tcp=True)}
    done = subprocess.run([sys.executable, "-m", "bench", "run", "read_paths", "--scale", "xs", "--quick",
                           "--out", str(out)], env=env, capture_output=True, text=True, cwd=config.REPO, timeout=300,
                          preexec_fn=_under_limit(1280 * 2**20))
    assert done.returncode == 2, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "Exception in thread" not in done.stderr, done.stderr[-3000:]
    said = [line for line in done.stderr.splitlines()
            if line.strip() and not line.startswith(("[", "bench_star_xs: restored"))]
    assert len(said) == 1 and said[0].startswith("error: out of memory under a `ulimit -v` of 1280 MB ("), said
    assert "nothing was marked complete" in said[0]
    assert not out.exists() or [p.name for p in out.iterdir() if p.name != ".lock"] == []
