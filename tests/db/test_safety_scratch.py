"""Scratch databases are locked like datasets: a second run refuses in one line naming the run that
holds the scratch, instead of dropping it under that run; the integrity scratch is gone after a
successful run."""
import os
import subprocess
import sys

import pytest

from bench.db import pg, scratch
from bench.experiments import evolution, integrity

pytestmark = pytest.mark.db


@pytest.mark.parametrize("experiment,name", [("integrity", integrity.SCRATCH), ("evolution", evolution.SCRATCH)])
def test_a_second_run_refuses_a_scratch_in_use_naming_the_holder(server, xs_star, tmp_path, experiment, name):
    with scratch.locked(server, name):
        done = subprocess.run([sys.executable, "-m", "bench", "run", experiment, "--scale", "xs", "--quick",
                               "--out", str(tmp_path)], capture_output=True, text=True, timeout=180)
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and name in lines[-1] and f"bench[{os.getpid()}]" in lines[-1]
    assert "Traceback" not in done.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("2")]  # nothing written


def test_the_integrity_scratch_is_dropped_after_a_successful_step(server, xs_star):
    from bench.experiments.common import Context
    from bench.seeding import seed

    ctx = Context(server, xs_star.dsn, seed.Request(scale="xs"), xs_star.manifest, quick=True)
    table = integrity.run(ctx)
    assert len(table) > 0
    assert not pg.database_exists(server, integrity.SCRATCH)
