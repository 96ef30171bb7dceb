"""Statistics of latency samples: HdrHistograms (percentiles from pooled samples, never averaged
percentiles), merged across repetitions, workers or cells."""
from __future__ import annotations

import numpy as np
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


def merged_percentiles(encoded) -> dict[str, float]:
    """Percentiles of the union of HdrHistograms given in their encoded form (blanks skipped)."""
    return percentiles(merge(HdrHistogram.decode(x.encode()) for x in encoded if isinstance(x, str) and x))
