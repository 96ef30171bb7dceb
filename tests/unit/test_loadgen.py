"""Load generator mechanics without a server: the Poisson schedule, the open loop's accounting
of a stall (latency from the intended start), the budget split over worker processes, and
histogram merging across workers (equal to one histogram of the same samples)."""
import time

import numpy as np
import pytest
from hdrh.histogram import HdrHistogram

from bench.measure import cpu, loadgen, loadrun
from bench.results import stats


def test_poisson_schedule_is_seeded_sorted_and_at_the_rate():
    a = loadgen.poisson_schedule(500, 20.0, seed=7)
    assert np.array_equal(a, loadgen.poisson_schedule(500, 20.0, seed=7))
    assert not np.array_equal(a, loadgen.poisson_schedule(500, 20.0, seed=8))
    assert (np.diff(a) > 0).all() and a[0] > 0 and a[-1] < 20.0
    assert abs(len(a) - 10_000) < 10_000 * 0.05  # 10,000 expected; sd 100


def test_open_loop_charges_a_stall_to_the_requests_behind_it():
    stall_s, every_s = 0.2, 0.01
    schedule = np.arange(1, 31) * every_s  # request k intended at (k + 1) * 10 ms

    def op(i):
        if i == 3:
            time.sleep(stall_s)
        return 0
    s = loadgen.open_loop(op, schedule, senders=1, warmup_s=0.0)
    us = s.arrays_us()
    intended = np.asarray(s.intended)
    order = np.argsort(intended)
    lat, lag = us["latency_us"][order], us["lag_us"][order]
    behind = [k for k in range(4, 30) if schedule[k] < schedule[3] + stall_s]
    assert behind, "the schedule must put requests behind the stall"
    for k in behind:  # each waited at least until the stall ended, and that wait is in its latency
        owed_us = (schedule[3] + stall_s - schedule[k]) * 1e6
        assert lag[k] >= owed_us * 0.999 and lat[k] >= owed_us * 0.999
    assert np.allclose(us["latency_us"], us["service_us"] + us["lag_us"])


def test_closed_loop_records_no_schedule_lag_beyond_the_send():
    s = loadgen.closed_loop(lambda i: 0, clients=2, duration_s=0.05, warmup_s=0.0)
    us = s.arrays_us()
    assert len(s.end) > 0 and s.errors == 0
    assert np.allclose(us["latency_us"], us["service_us"] + us["lag_us"])


def test_failed_requests_are_counted_not_dropped():
    def op(i):
        if i % 2:
            raise RuntimeError("boom")
        return 0
    s = loadgen.open_loop(op, np.arange(1, 11) * 0.001, senders=1, warmup_s=0.0)
    assert s.errors == 5 and len(s.end) == 5


@pytest.mark.parametrize("total,workers", [(10, 2), (3, 2), (7, 3), (1, 1)])
def test_budget_and_senders_split_exactly(total, workers):
    shares = [loadrun._share(total, workers, k) for k in range(workers)]
    assert sum(shares) == total and max(shares) - min(shares) <= 1


def test_histograms_merged_across_workers_equal_one_histogram_of_all_samples():
    rng = np.random.default_rng(3)
    samples = {m: rng.lognormal(7, 1.2, 3000) for m in loadrun.METRICS}
    cut = [0, 1100, 1900, 3000]  # three workers with unequal shares
    parts = [{"hist": {m: stats.histogram(v[a:b]).encode() for m, v in samples.items()}}
             for a, b in zip(cut, cut[1:])]
    merged = loadrun.merge_workers(parts)
    for metric, values in samples.items():
        single = stats.histogram(values)
        assert merged[metric].get_total_count() == single.get_total_count() == 3000
        assert stats.percentiles(merged[metric]) == stats.percentiles(single)
        counts = lambda h: {(i.value_iterated_to, i.count_at_value_iterated_to) for i in h.get_recorded_iterator()}  # noqa: E731
        assert counts(merged[metric]) == counts(single)


def test_merging_a_different_sample_does_not_match():
    a, b = stats.histogram([100, 200, 300]), stats.histogram([100, 200, 301_000])
    assert stats.percentiles(loadrun.merge_workers([{"hist": {m: a.encode() for m in loadrun.METRICS}}])["latency_us"]) \
        != stats.percentiles(b)
    assert isinstance(HdrHistogram.decode(a.encode()), HdrHistogram)


@pytest.mark.parametrize("workers,proxy,server,bound", [([0.95], 0.0, 0.2, True), ([0.5], 0.0, 0.3, False),
                                                         ([0.6, 0.6], 0.0, 0.5, True), ([0.3, 0.3], 0.0, 1.2, False),
                                                         ([0.6, 0.6], 0.0, None, False),
                                                         ([0.5], 0.6, 0.7, True), ([0.5], 0.1, 1.2, False)])
def test_client_bound_when_a_sender_saturates_a_core_or_the_client_side_takes_the_busy_machine(
        workers, proxy, server, bound):
    """The client side is the senders plus the delay proxy: a proxy burning a core with the
    senders makes the cell client-bound although no sender reached the GIL's core."""
    assert cpu.client_bound(sum(workers) + proxy, server, cores=2, gil_cores=max(workers)) is bound


def test_client_cpu_counts_a_child_process():
    import subprocess
    import sys
    probe = cpu.ClientCPU()
    probe.start()
    subprocess.run([sys.executable, "-c", "sum(i * i for i in range(3_000_000))"], check=True)
    assert probe.stop() >= 0.1


def test_pgbench_windows_start_when_every_client_has_prepared_its_statements():
    """Each client's first pass over the users prepares one statement per user branch (a round
    trip each through the proxy): those transactions and everything before the last client is
    warm stay out of the windows."""
    from bench.measure.clients import pgbench_load
    rows = []
    for c in range(2):
        t = 0.0
        for k in range(40):
            slow = k < 10  # the warm-up pass over 10 users: slow
            t += 0.05 if slow else 0.01
            rows.append([str(c), str(k), "50000" if slow else "1000", "0", str(100 + int(t)), str(int((t % 1) * 1e6))])
    w = pgbench_load.windows(rows, warmup_s=0.0, duration_s=0.3, reps=3, warm_tx=10)
    lat = np.concatenate([x["latency"] for x in w])
    assert len(lat) > 0 and (lat == 1000).all()  # no warm-up transaction in any window
    unwarmed = pgbench_load.windows(rows, warmup_s=0.0, duration_s=0.3, reps=3, warm_tx=0)
    assert (np.concatenate([x["latency"] for x in unwarmed]) == 50000).any()
