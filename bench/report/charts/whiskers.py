"""Error-bar arms: from a plotted value to the ends of its interval, never negative."""
from __future__ import annotations

import numpy as np


def spread(value, lo, hi, unit: float = 1.0) -> np.ndarray:
    """The [below, above] arms of an error bar from `value` to `lo` and `hi`, divided by `unit`.

    A pooled median is read from an HdrHistogram of 3 significant digits (the highest value of its
    bucket), while the interval's ends are exact per-repetition medians, so the median can sit up
    to 0.1 % outside its interval (always, when a repetition holds one sample). The arm on that side
    is then 0 instead of negative, which matplotlib refuses."""
    v, low, high = (np.atleast_1d(np.asarray(x, dtype=float)) / unit for x in (value, lo, hi))
    return np.vstack([np.clip(v - low, 0, None), np.clip(high - v, 0, None)])
