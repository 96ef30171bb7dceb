"""`bench compare`: ratios per cell, called by the suite's one rule (Welch t interval, equivalence)."""
import numpy as np
import pandas as pd
import pytest
from test_results import META

from bench import cli
from bench.results import compare
from bench.results import store as results


def _run(root, cells: dict):
    """cells: strategy -> per-repetition latency centres (µs); 20 requests per repetition."""
    frames = []
    for strategy, centres in cells.items():
        for rep, c in enumerate(centres):
            frames.append(pd.DataFrame({"experiment": "e", "strategy": strategy, "scale": "xs", "rep": rep,
                                        "latency_us": c + np.linspace(-5, 5, 20)}))
    with results.RunWriter(META, root=root) as run:
        run.write_table("e", pd.concat(frames, ignore_index=True))
    return run.path


def test_changes_are_called_only_beyond_noise(tmp_path):
    a = _run(tmp_path / "a", {"steady": [100, 101, 99], "doubled": [100, 102, 98], "noisy": [100, 140, 60],
                              "gone": [100, 100, 100]})
    b = _run(tmp_path / "b", {"steady": [102, 100, 101], "doubled": [200, 205, 198], "noisy": [150, 90, 130],
                              "new": [100, 100, 100]})
    m = compare.compare(a, b).set_index("strategy")
    assert m.loc["doubled", "change"] == compare.SLOWER and m.loc["doubled", "ratio"] == pytest.approx(2.0, rel=0.05)
    assert m.loc["steady", "change"] == compare.SAME
    assert m.loc["noisy", "change"] == compare.UNDECIDED  # 1.3x, but the repetitions overlap: neither way
    assert m.loc["gone", "change"] == "only in A" and m.loc["new", "change"] == "only in B"
    m2 = compare.compare(b, a).set_index("strategy")
    assert m2.loc["doubled", "change"] == compare.FASTER


def test_compare_rejects_an_invalid_run(tmp_path, capsys):
    a = _run(tmp_path / "a", {"x": [1, 2, 3]})
    assert cli.main(["compare", str(a), str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "validate" in err and len(err.strip().splitlines()) == 1


def test_aa_margins_count_only_cells_in_both_runs_called_beyond_each_margin():
    import pandas as pd

    from bench.results.compare import aa_margins
    log = np.log
    m = pd.DataFrame({  # per-repetition medians: 5 each side, log sd 0.02 (tight) or 0.5 (noisy)
        "ratio": [1.02, 1.15, 1.30, 0.7, 1.4, 1.0],
        "p50_rep_logmean_a": [log(100)] * 6, "p50_rep_logmean_b": [log(x * 100) for x in (1.02, 1.15, 1.30, 0.7, 1.4, 1)],
        "p50_rep_logsd_a": [0.02] * 6, "p50_rep_logsd_b": [0.02, 0.02, 0.02, 0.02, 0.5, 0.02],
        "reps_a": [5] * 6, "reps_b": [5] * 6, "side": ["both"] * 5 + ["left_only"],
        "change": ["~", "slower", "slower", "faster", "undecided", "only in A"]})
    t = aa_margins(m, margins=(0.10, 0.20, 0.50)).set_index("margin")
    assert (t.cells == 5).all()  # the cell only in A is not a cell of the comparison
    assert list(t.changed) == [3, 2, 0]  # 1.4x is too noisy to call; 1.02x is within every margin
    assert t.loc[0.10, "undecided_share"] == pytest.approx(1 / 5)


def test_cell_keys_match_whatever_dtype_each_run_gave_them():
    import numpy as np

    from bench.results.compare import _key_text
    assert _key_text(1) == _key_text(1.0) == _key_text(np.int64(1)) == "1"
    assert _key_text(0.5) == "0.5" and _key_text(float("nan")) == _key_text(None) == ""
    assert _key_text("psycopg") == "psycopg"
