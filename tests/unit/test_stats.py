"""A difference is called only outside the noise and beyond the margin; otherwise a tie."""
import numpy as np
import pytest

from bench.results import stats

BASE = np.array([1.00, 1.04, 0.97, 1.02, 0.99])


@pytest.mark.parametrize("factor, expected", [(0.5, stats.FASTER), (2.0, stats.SLOWER), (1.0, stats.TIE),
                                              (1.05, stats.TIE), (0.96, stats.TIE)])
def test_paired_calls_flip_with_the_data(factor, expected):
    rng = np.random.default_rng(1)
    a = BASE * factor * (1 + rng.normal(0, 0.01, len(BASE)))
    c = stats.paired(a, BASE)
    assert c.call == expected, c
    assert c.lo <= c.ratio <= c.hi


def test_a_large_but_noisy_difference_is_a_tie():
    a = np.array([0.5, 1.6, 0.6, 1.5, 0.55])  # median ratio ~0.6, but the repetitions straddle 1
    assert stats.paired(a, np.ones(5)).call == stats.TIE


def test_too_few_repetitions_are_never_called():
    assert stats.paired([0.1, 0.1], [1, 1]).call == stats.TIE
    assert stats.unpaired([10, 11], [100, 101], lower_is_better=False).call == stats.TIE


@pytest.mark.parametrize("a, expected", [([200, 210, 205], stats.FASTER), ([50, 52, 51], stats.SLOWER),
                                         ([95, 130, 110], stats.TIE), ([104, 105, 106], stats.TIE)])
def test_unpaired_throughput_needs_apart_ranges_and_the_margin(a, expected):
    assert stats.unpaired(a, [98, 100, 102], lower_is_better=False).call == expected
