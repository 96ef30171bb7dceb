"""One writer at a time: while another process holds a dataset, seed and run refuse in one line
that names it (pid and command), exit 2 and write nothing; the lock dies with its holder."""
import subprocess
import sys

import pytest

pytestmark = pytest.mark.db

HOLDER = """
import sys, time
sys.argv = ["bench", "seed", "--scale", "xs"]
from bench.db import dataset_lock, pg
with dataset_lock.hold(pg.server_dsn(), "bench_star_xs"):
    print("held", flush=True)
    time.sleep(120)
"""


@pytest.fixture
def holder(xs_star):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        proc.kill()
        proc.wait()


def _bench(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True, text=True, timeout=120)


def test_seed_and_run_refuse_while_another_process_holds_the_dataset(holder, tmp_path):
    for args in (("seed", "--scale", "xs", "--no-progress"),
                 ("run", "dataset", "--scale", "xs", "--quick", "--out", str(tmp_path))):
        done = _bench(*args)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and f"bench[{holder.pid}] seed --scale xs" in lines[0], done.stderr
        assert "bench_star_xs is in use" in lines[0]
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_the_lock_dies_with_its_holder(holder):
    holder.kill()
    holder.wait()
    done = _bench("seed", "--scale", "xs", "--no-progress")
    assert done.returncode == 0 and "reused" in done.stdout, done.stderr


def test_a_process_may_take_its_own_lock_again(server, xs_star):
    from bench.db import dataset_lock
    from bench.seeding import seed

    with dataset_lock.hold(server, "bench_star_xs"):
        assert seed.seed(server, seed.Request(scale="xs"), progress=False).reused  # seed takes it again inside


def test_a_restart_with_other_settings_keeps_the_dataset_locked_and_restores_the_settings(server, xs_star):
    """The caching experiment's small-shared_buffers pass restarts the server: the lock that a
    restart ends is taken again at once, and the cluster comes back to its own settings."""
    from bench.config import dsn_from_env
    from bench.db import dataset_lock, pg, restart
    from bench.sql import sql_text

    if dsn_from_env():
        pytest.skip("restarts the embedded server only")

    def free() -> bool:  # could another session take the dataset's lock now?
        with pg.connect(server, autocommit=True) as other:
            got = other.execute(sql_text("meta/lock_try.sql"), {"space": dataset_lock.SPACE, "name": "bench_star_xs"}).fetchone()[0]
            return bool(got)

    before = restart.current(server, ["shared_buffers"])
    with dataset_lock.hold(server, "bench_star_xs"):
        with restart.with_settings(server, {"shared_buffers": "16MB"}) as now:
            assert now == {"shared_buffers": "16MB"} != before
            assert not free()
        assert not free()
        assert restart.current(server, ["shared_buffers"]) == before
    assert free()
