"""Client and server apart: the server's processes (those running and those forked later) on one
core, the harness on the other, every affinity put back afterwards; idle cores kept polling."""
import os
from pathlib import Path

import pytest

from bench.db import pg
from bench.measure import topology

pytestmark = pytest.mark.db
ROOT = os.geteuid() == 0
TWO = len(os.sched_getaffinity(0)) >= 2


def _backend_pid(dsn):
    with pg.connect(dsn, autocommit=True) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        return pid, os.sched_getaffinity(pid)


@pytest.mark.skipif(not (ROOT and TWO), reason="pinning another user's server needs root and two cores")
def test_pinned_puts_server_and_client_apart_and_back(server):
    mine = os.sched_getaffinity(0)
    master = topology.postmaster_pid(server)
    assert master is not None
    with topology.pinned(server) as placed:
        assert placed["pinned"], placed
        assert os.sched_getaffinity(master) == set(placed["server_cores"])
        assert _backend_pid(server)[1] == set(placed["server_cores"])  # forked after pinning: inherited
        assert os.sched_getaffinity(0) == set(placed["client_cores"])
        assert not set(placed["server_cores"]) & set(placed["client_cores"])
    assert os.sched_getaffinity(master) == mine and os.sched_getaffinity(0) == mine
    assert _backend_pid(server)[1] == mine


def test_nothing_is_pinned_when_asked_not_to(server):
    with topology.pinned(server, want=False) as placed:
        assert not placed["pinned"] and "BENCH_PIN" in placed["why"]


@pytest.mark.skipif(not (ROOT and topology.PM_QOS.exists()), reason="PM QoS needs root and /dev/cpu_dma_latency")
def test_idle_cores_are_kept_awake_only_inside_the_block():
    def latency_us() -> int:
        return int.from_bytes(Path(topology.PM_QOS).read_bytes()[:4], "little")

    before = latency_us()
    if before == 0:  # another process (a run beside the tests) holds the request: nothing here could show a change
        pytest.skip("another process holds /dev/cpu_dma_latency at 0")
    with topology.awake() as held:
        assert held and latency_us() == 0
    assert latency_us() == before != 0
