"""Error bars around an HdrHistogram median: the arms are never negative, so a chart always draws."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from bench.report import cells
from bench.report.charts import integrity, whiskers


def _cascade(latencies_us) -> pd.DataFrame:
    """One DELETE per repetition, as the cascade cell records it."""
    return pd.DataFrame([{"record": "cascade", "scale": "xs", "indexes": ix, "rep": rep, "rows_owned": 1000,
                          "latency_us": us * (2 if ix == "as-written" else 1)}
                         for ix in ("as-written", "indexed") for rep, us in enumerate(latencies_us)])


def test_a_median_rounded_above_its_interval_gets_a_zero_arm():
    arms = whiskers.spread([10.0, 5.0], [9.0, 4.0], [9.99, 6.0])
    assert arms.tolist() == [[1.0, 1.0], [0.0, 1.0]]
    assert whiskers.spread(2000.0, 1000.0, 4000.0, unit=1000).tolist() == [[1.0], [2.0]]


def test_the_cascade_chart_draws_when_each_repetition_holds_one_sample():
    table = _cascade([123_457.0, 123_461.0, 123_463.0])
    m = cells.medians(table, "indexes")
    assert (m.p50_us > m.hi_us).any()  # the histogram's bucket value lies above the largest exact median
    fig, text = integrity.cascade_delete(table)
    assert len(fig.axes[0].patches) == 2
    assert "2.0x" in text
    plt.close(fig)
