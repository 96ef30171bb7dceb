"""Statistics: HdrHistograms of latency samples (percentiles from pooled samples, never averaged
percentiles, merged across repetitions, workers or cells), and calls that decide.

Calls (CLAIMS.md rule 3, equivalence testing): faster or slower where the interval is clear of 1
and the ratio beyond `MARGIN`; equivalent where the whole interval lies inside the margin;
undecided where it straddles the margin. Read-path blocks are paired: in each repetition every
strategy (and client) takes the same users in the same order, the same number of requests. So a
comparison is made per repetition (the ratio of the two medians of that repetition) and the
interval is a t interval on the per-repetition log ratios. Unpaired values (two runs, or two
load cells' windows) get a Welch t interval on their logs. Every timed block carries a sham (a
twin of one strategy under another label), so each run measures the rule's own false-call rate.
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


FASTER, SLOWER, EQUIVALENT, UNDECIDED = "faster", "slower", "equivalent", "undecided"
CALLS = (FASTER, SLOWER, EQUIVALENT, UNDECIDED)
DECIDED = (FASTER, SLOWER)  # a difference called; EQUIVALENT is decided too, but says "no difference"
# The margin and the interval are calibrated on the run's own sham pairs (a strategy against a
# twin of itself in the same blocks): at most 5 % of them may be called faster or slower.
# 06-method shows the measured rate; `sham_rate` computes it.
MARGIN = 0.10  # beyond 10 % (ratio <= 1/1.1 or >= 1.1) to be called; inside it (the whole interval) equivalent
# Load cells are not paired: each strategy's repetitions run back to back, one cell after the
# other, so slow drift on the shared machine lands between the cells. At 10 % the reference's
# load shams were called in 1 of 12 pairs (8 %, above the 5 % target), at 20 % in 0 of 12
# (06-method, "load cells"): load throughput is called with this margin.
LOAD_MARGIN = 0.20
MIN_REPS = 3
CONFIDENCE = 0.95
SEED = 14
# Student's t, two-sided 95 %, by degrees of freedom (1..30); beyond 30 the normal's 1.96 is near enough
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
         2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045,
         2.042)


def t975(df: float) -> float:
    """The two-sided 95 % quantile of Student's t with `df` degrees of freedom (df >= 1; rounded down)."""
    k = int(df)
    if k < 1:
        return float("inf")
    return _T975[k - 1] if k <= len(_T975) else 1.96


@dataclass(frozen=True)
class Call:
    """a against b: `ratio` = a / b (latency: < 1 means a is faster), its interval, the call."""

    call: str
    ratio: float
    lo: float
    hi: float
    reps: int
    margin: float = MARGIN
    how: str = "t interval on the paired log ratios over repetitions"

    def words(self) -> str:
        return f"{self.ratio:.2f}x [{self.lo:.2f}-{self.hi:.2f}], {self.call}"


def decide(ratio: float, lo: float, hi: float, margin: float = MARGIN, lower_is_better: bool = True) -> str:
    """Equivalence testing (CLAIMS.md rule 3): the whole interval inside the margin is
    `equivalent`; an interval clear of 1 with the point estimate beyond the margin is faster or
    slower; anything else (the interval straddles the margin) is `undecided`."""
    if not all(np.isfinite([ratio, lo, hi])):
        return UNDECIDED
    inside = 1 / (1 + margin)
    if lo >= inside and hi <= 1 + margin:
        return EQUIVALENT
    if hi < 1 and ratio <= inside:
        return FASTER if lower_is_better else SLOWER
    if lo > 1 and ratio >= 1 + margin:
        return SLOWER if lower_is_better else FASTER
    return UNDECIDED


def log_interval(d) -> tuple[float, float, float]:
    """Mean of log ratios and its 95 % t interval, back on the ratio scale: (ratio, lo, hi)."""
    d = np.asarray(d, dtype=float)
    m = float(d.mean())
    half = t975(len(d) - 1) * float(d.std(ddof=1)) / np.sqrt(len(d)) if len(d) > 1 else float("inf")
    return float(np.exp(m)), float(np.exp(m - half)), float(np.exp(m + half))


def paired(a, b, margin: float = MARGIN, lower_is_better: bool = True) -> Call:
    """a[i] and b[i] measured in the same repetition i (same users, same order): the geometric
    mean of the per-repetition ratios, with a t interval on their logs (a percentile bootstrap
    over five repetitions gives intervals too narrow to trust)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b) & (a > 0) & (b > 0)
    d = np.log(a[ok] / b[ok])
    if len(d) == 0:
        return Call(UNDECIDED, float("nan"), float("nan"), float("nan"), 0, margin, "no paired repetitions")
    if len(d) < MIN_REPS:
        return Call(UNDECIDED, float(np.exp(d.mean())), float(np.exp(d.min())), float(np.exp(d.max())), len(d),
                    margin, f"fewer than {MIN_REPS} repetitions: not called")
    ratio, lo, hi = log_interval(d)
    return Call(decide(ratio, lo, hi, margin, lower_is_better), ratio, lo, hi, len(d), margin)


def welch(log_a, log_b, margin: float = MARGIN, lower_is_better: bool = True) -> Call:
    """Per-repetition values of two cells that were not paired (two runs, two load cells), as
    logs: the ratio of geometric means with a Welch t interval, called by the same rule."""
    a, b = (np.asarray(x, dtype=float) for x in (log_a, log_b))
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    return welch_from(*(float(x.mean()) if len(x) else np.nan for x in (a, b)),
                      *(float(x.std(ddof=1)) if len(x) > 1 else np.nan for x in (a, b)),
                      len(a), len(b), margin, lower_is_better)


def welch_from(mean_a: float, mean_b: float, sd_a: float, sd_b: float, n_a: int, n_b: int,
               margin: float = MARGIN, lower_is_better: bool = True) -> Call:
    """`welch` from each side's mean, standard deviation and count of log values."""
    reps = int(min(n_a, n_b))
    if reps == 0:
        return Call(UNDECIDED, float("nan"), float("nan"), float("nan"), 0, margin, "no values")
    ratio = float(np.exp(mean_a - mean_b))
    if reps < MIN_REPS:
        return Call(UNDECIDED, ratio, float("nan"), float("nan"), reps, margin,
                    f"fewer than {MIN_REPS} repetitions: not called")
    va, vb = sd_a ** 2 / n_a, sd_b ** 2 / n_b
    se = float(np.sqrt(va + vb))
    df = (va + vb) ** 2 / (va ** 2 / (n_a - 1) + vb ** 2 / (n_b - 1)) if se > 0 else n_a + n_b - 2
    half = t975(df) * se
    lo, hi = ratio * float(np.exp(-half)), ratio * float(np.exp(half))
    return Call(decide(ratio, lo, hi, margin, lower_is_better), ratio, lo, hi, reps, margin,
                "Welch t interval on the log values of unpaired repetitions")


def unpaired(a, b, margin: float = MARGIN, lower_is_better: bool = True) -> Call:
    """Per-repetition values (> 0) of two cells that were not paired, e.g. two load cells'
    throughput per window: `welch` on their logs."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a) & (a > 0)], b[np.isfinite(b) & (b > 0)]
    return welch(np.log(a), np.log(b), margin, lower_is_better)


def sham_rate(calls) -> dict:
    """The rule's false-call rate: of the sham pairs (nothing differs), the share called
    faster or slower; with the shares equivalent and undecided beside it."""
    calls = list(calls)
    n = len(calls)
    share = (lambda k: sum(c in k for c in calls) / n) if n else (lambda k: float("nan"))
    return {"pairs": n, "false_calls": sum(c in DECIDED for c in calls), "false_call_rate": share(DECIDED),
            "equivalent_rate": share((EQUIVALENT,)), "undecided_rate": share((UNDECIDED,))}


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
