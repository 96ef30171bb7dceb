"""Equivalence calls (CLAIMS.md rule 3): faster or slower beyond the margin with the interval clear
of 1; equivalent with the whole interval inside the margin; undecided where it straddles it."""
import numpy as np
import pytest

from bench.results import stats

BASE = np.array([1.00, 1.04, 0.97, 1.02, 0.99])


@pytest.mark.parametrize("factor, expected", [(0.5, stats.FASTER), (2.0, stats.SLOWER), (1.0, stats.EQUIVALENT),
                                              (1.05, stats.EQUIVALENT), (0.96, stats.EQUIVALENT)])
def test_paired_calls_flip_with_the_data(factor, expected):
    rng = np.random.default_rng(1)
    a = BASE * factor * (1 + rng.normal(0, 0.01, len(BASE)))
    c = stats.paired(a, BASE)
    assert c.call == expected, c
    assert c.lo <= c.ratio <= c.hi


def test_a_large_but_noisy_difference_is_undecided():
    a = np.array([0.5, 1.6, 0.6, 1.5, 0.55])  # geometric mean ~0.8, but the repetitions straddle 1
    assert stats.paired(a, np.ones(5)).call == stats.UNDECIDED


def test_a_small_difference_measured_too_loosely_is_undecided_not_equivalent():
    a = np.array([1.02, 0.90, 1.15, 0.95, 1.08])  # centred near 1, but the interval reaches past 10 %
    c = stats.paired(a, np.ones(5))
    assert c.hi > 1 + stats.MARGIN and c.call == stats.UNDECIDED


def test_the_t_interval_is_wider_than_the_spread_of_five_repetitions():
    d = np.log([1.30, 0.96, 1.71, 1.10, 1.25])
    ratio, lo, hi = stats.log_interval(d)
    assert lo < np.exp(d.mean()) < hi
    assert lo < 1 < hi  # the percentile bootstrap called this cell slower; a t interval cannot
    assert stats.t975(4) == pytest.approx(2.776) and stats.t975(200) == pytest.approx(1.96)


def test_too_few_repetitions_are_never_called():
    assert stats.paired([0.1, 0.1], [1, 1]).call == stats.UNDECIDED
    assert stats.unpaired([10, 11], [100, 101], lower_is_better=False).call == stats.UNDECIDED


@pytest.mark.parametrize("a, expected", [([200, 210, 205], stats.FASTER), ([50, 52, 51], stats.SLOWER),
                                         ([95, 130, 110], stats.UNDECIDED), ([100, 101, 99], stats.EQUIVALENT)])
def test_unpaired_throughput_is_called_by_the_same_rule(a, expected):
    assert stats.unpaired(a, [98, 100, 102], lower_is_better=False).call == expected


def test_the_sham_rate_counts_only_faster_and_slower_as_false_calls():
    r = stats.sham_rate([stats.FASTER, stats.EQUIVALENT, stats.EQUIVALENT, stats.UNDECIDED])
    assert (r["pairs"], r["false_calls"], r["false_call_rate"]) == (4, 1, 0.25)
    assert r["equivalent_rate"] == 0.5 and r["undecided_rate"] == 0.25


def test_load_throughput_is_called_at_its_own_wider_margin():
    """Load cells run one after the other (not paired): a steady 15 % gap between two such cells
    is called at the read margin but not at the load margin, where a 30 % gap still is."""
    base = np.array([1000.0, 1010.0, 990.0, 1005.0, 995.0])
    assert stats.unpaired(base * 1.15, base, lower_is_better=False).call == stats.FASTER
    assert stats.unpaired(base * 1.15, base, stats.LOAD_MARGIN, lower_is_better=False).call != stats.FASTER
    assert stats.unpaired(base * 1.30, base, stats.LOAD_MARGIN, lower_is_better=False).call == stats.FASTER


def test_the_rate_bound_is_clopper_pearson():
    from bench.report.calibration import rate_upper_bound
    assert rate_upper_bound(0, 12) == pytest.approx(1 - 0.05 ** (1 / 12), abs=1e-6)  # 22 %
    assert rate_upper_bound(1, 12) == pytest.approx(0.3387, abs=1e-3)  # tables: 1 in 12 -> 33.9 %
    assert rate_upper_bound(12, 12) == 1.0 and rate_upper_bound(2, 62) < rate_upper_bound(2, 20)
