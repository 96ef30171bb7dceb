"""Chart titles state what the data show: growth only from bins with enough users, the
condition's cost computed from the ratios drawn."""
import numpy as np
import pandas as pd

from bench.report.charts import read_paths


def test_fanout_growth_is_never_claimed_from_bins_of_one_user():
    med = pd.DataFrame({"join_flat": [1.0, 2.0, 100.0], "join_json": [1.0, 1.5, 50.0]}, index=["0", "1-3", ">1000"])
    n = pd.Series({"0": 8, "1-3": 6, ">1000": 1})
    title = read_paths.fanout_title(med, n)
    assert "0 (8 users)" in title and "1-3 audit rows (6 users)" in title and "2.0x" in title
    assert "100" not in title and ">1000" not in title
    few = read_paths.fanout_title(med, pd.Series({"0": 1, "1-3": 2, ">1000": 1}))
    assert few.startswith("Too few sampled users")


def test_condition_title_is_computed_from_the_ratios():
    names = ["star_sequential", "join_json"]
    title = read_paths.condition_title("indexes", "indexed", "as-written", np.array([218.4, 410.9]),
                                       np.array([197.2, 251.4]), names)
    assert title.startswith("As the memo wrote it (no user_id index), a bundle takes 218x to 411x its time with the index")
