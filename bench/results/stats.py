"""Statistics: HdrHistograms of latency samples (percentiles from pooled samples, never averaged
percentiles, merged across repetitions, workers or cells), and calls that decide.

Calls: a difference between two strategies is called only where it is outside the noise and
larger than a stated margin; otherwise it is a tie. Read-path blocks are paired: in each
repetition every strategy (and client) takes the same users in the same order, the same number
of requests. So a comparison is made per repetition (the ratio of the two medians of that
repetition) and the interval is a paired bootstrap over the repetitions (the per-repetition log
ratios resampled with replacement, seeded). Unpaired values (e.g. per-repetition throughput of
two load cells) are called only when their repetition ranges do not overlap. Either way the
ratio must also be beyond `MARGIN`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from hdrh.histogram import HdrHistogram

PERCENTILES = (50, 95, 99, 99.9)


HIST_MAX_US = 60_000_000  # 60 s


HIST_DIGITS = 3


def histogram(values_us) -> HdrHistogram:
    h = HdrHistogram(1, HIST_MAX_US, HIST_DIGITS)
    for v in np.asarray(values_us, dtype=float):
        h.record_value(max(1, int(round(v))))
    return h


def merge(histograms) -> HdrHistogram:
    total = HdrHistogram(1, HIST_MAX_US, HIST_DIGITS)
    for h in histograms:
        total.add(h)
    return total


def percentiles(h: HdrHistogram) -> dict[str, float]:
    return {f"p{str(p).replace('.', '_')}_us": float(h.get_value_at_percentile(p)) for p in PERCENTILES}


def hist_columns(stem: str, h: HdrHistogram, mean_us: float | None) -> dict:
    """A load cell's columns for one metric: its percentiles, mean and the encoded histogram
    (blank when empty), so repetitions can be merged later."""
    return {**{f"{stem}_{k}": v for k, v in percentiles(h).items()}, f"{stem}_mean_us": mean_us,
            f"hist_{stem}": HdrHistogram.encode(h).decode() if h.get_total_count() else ""}


def merged_percentiles(encoded) -> dict[str, float]:
    """Percentiles of the union of HdrHistograms given in their encoded form (blanks skipped)."""
    return percentiles(merge(HdrHistogram.decode(x.encode()) for x in encoded if isinstance(x, str) and x))


FASTER, SLOWER, TIE = "faster", "slower", "tie"
MARGIN = 0.10  # a call needs a >= 10 % difference (ratio <= 1/1.1 or >= 1.1), and its interval clear of 1
MIN_REPS = 3
BOOTSTRAP = 2000
CONFIDENCE = 0.95
SEED = 14


@dataclass(frozen=True)
class Call:
    """a against b: `ratio` = a / b (latency: < 1 means a is faster), its interval, the call."""

    call: str
    ratio: float
    lo: float
    hi: float
    reps: int
    margin: float = MARGIN
    how: str = "paired bootstrap over repetitions"

    def words(self) -> str:
        return f"{self.ratio:.2f}x [{self.lo:.2f}-{self.hi:.2f}], {self.call}"


def _call(ratio: float, lo: float, hi: float, margin: float, lower_is_better: bool) -> str:
    if hi < 1 and ratio <= 1 / (1 + margin):
        return FASTER if lower_is_better else SLOWER
    if lo > 1 and ratio >= 1 + margin:
        return SLOWER if lower_is_better else FASTER
    return TIE


def paired(a, b, margin: float = MARGIN, lower_is_better: bool = True, seed: int = SEED) -> Call:
    """a[i] and b[i] measured in the same repetition i (same users, same order)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b) & (a > 0) & (b > 0)
    d = np.log(a[ok] / b[ok])
    if len(d) == 0:
        return Call(TIE, float("nan"), float("nan"), float("nan"), 0, margin, "no paired repetitions")
    ratio = float(np.exp(d.mean()))
    if len(d) < MIN_REPS:
        return Call(TIE, ratio, float(np.exp(d.min())), float(np.exp(d.max())), len(d), margin,
                    f"fewer than {MIN_REPS} repetitions: not called")
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, len(d), size=(BOOTSTRAP, len(d)))].mean(axis=1)
    tail = (1 - CONFIDENCE) / 2
    lo, hi = (float(np.exp(q)) for q in np.quantile(means, [tail, 1 - tail]))
    return Call(_call(ratio, lo, hi, margin, lower_is_better), ratio, lo, hi, len(d), margin)


def unpaired(a, b, margin: float = MARGIN, lower_is_better: bool = True) -> Call:
    """Per-repetition values of two cells that were not paired: called only when the ranges do
    not overlap; the interval is (min a / max b, max a / min b)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) == 0 or len(b) == 0 or b.min() <= 0:
        return Call(TIE, float("nan"), float("nan"), float("nan"), 0, margin, "no values")
    ratio = float(np.median(a) / np.median(b))
    lo, hi = float(a.min() / b.max()), float(a.max() / b.min())
    reps = min(len(a), len(b))
    how = "non-overlapping repetition ranges"
    if reps < MIN_REPS:
        return Call(TIE, ratio, lo, hi, reps, margin, f"fewer than {MIN_REPS} repetitions: not called")
    return Call(_call(ratio, lo, hi, margin, lower_is_better), ratio, lo, hi, reps, margin, how)


def rep_medians(requests: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Median latency per `by` x strategy x rep of per-request rows (columns: strategy, rep,
    latency_us), one column per strategy."""
    med = requests.groupby([*by, "rep", "strategy"], dropna=False).latency_us.median()
    return med.unstack("strategy")


def compare(requests: pd.DataFrame, a: str, b: str, by: list[str], margin: float = MARGIN) -> pd.DataFrame:
    """a against b for every group of `by` (e.g. client, rtt_ms): one row per group with the
    ratio a/b, its interval and the call."""
    med = rep_medians(requests[requests.strategy.isin([a, b])], by)
    rows = []
    if a not in med or b not in med:
        return pd.DataFrame(columns=[*by, "ratio", "lo", "hi", "reps", "call"])
    for key, g in med.groupby(level=list(range(len(by))), dropna=False):
        c = paired(g[a].to_numpy(), g[b].to_numpy(), margin)
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, key)), "ratio": c.ratio, "lo": c.lo, "hi": c.hi, "reps": c.reps, "call": c.call})
    return pd.DataFrame(rows)
