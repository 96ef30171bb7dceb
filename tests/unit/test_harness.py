import numpy as np

from bench.measure import harness
from bench.results import stats


class _Fetch:
    def __init__(self):
        self.decode_ns, self.assemble_ns, self.rows = 1000, 0, 1


def test_time_block_follows_the_order_and_excludes_warmup():
    seen = []

    def fn(src, bundle, user):
        seen.append(user)
        return _Fetch()

    records = harness.time_block(fn, None, None, ["a", "b", "c"], 5, 2, order=[2, 0])
    assert seen == ["c", "a", "c", "a", "c", "a", "c"]  # 2 warm-up calls, then 5 timed
    assert [r["user_idx"] for r in records] == [2, 0, 2, 0, 2]
    assert all(r["latency_us"] > 0 and r["decode_us"] == 1.0 for r in records)


def test_merged_histograms_equal_one_histogram_of_all_samples():
    rng = np.random.default_rng(1)
    parts = [rng.lognormal(6, 1, 5000) for _ in range(3)]
    merged = stats.merge(stats.histogram(p) for p in parts)
    single = stats.histogram(np.concatenate(parts))
    assert stats.percentiles(merged) == stats.percentiles(single)
    assert merged.get_total_count() == 15000


def test_percentiles_within_histogram_precision():
    values = np.arange(1, 100_001, dtype=float)
    p = stats.percentiles(stats.histogram(values))
    for q, exact in ((50, 50_000), (99, 99_000), (99.9, 99_900)):
        key = f"p{str(q).replace('.', '_')}_us"
        assert abs(p[key] - exact) / exact < 1e-3


def test_requests_for_budget_is_clamped():
    assert harness.requests_for(1000, 0.1, 5, 50) == 50
    assert harness.requests_for(100_000, 0.1, 5, 50) == 5
    assert harness.requests_for(10_000, 0.1, 5, 50) == 10
