"""The results store: complete runs validate; broken or unfinished ones are rejected."""
import json

import numpy as np
import pandas as pd
import pytest

from bench.db.environment import collect_environment
from bench.results import store as results

META = {**collect_environment(topology="test"), "scale": "xs", "seed": 1, "fingerprint": "f" * 64}
META["versions"]["postgresql"] = "18.6"  # no server in unit tests


def _write(root, df=None, boom=False):
    df = df if df is not None else pd.DataFrame(
        {"experiment": "e", "strategy": "s", "scale": "xs", "latency_us": np.arange(1, 101, dtype=float),
         "rep": np.repeat([0, 1, 2, 3], 25)})
    with results.RunWriter(META, root=root) as run:
        run.write_table("e", df)
        if boom:
            raise RuntimeError("boom")
    return run.path


def test_complete_run_validates(tmp_path):
    path = _write(tmp_path)
    assert results.validate(path) == []
    assert results.load(path).meta["complete"] is True
    assert results.latest_run(tmp_path) == path


def test_exception_leaves_no_run(tmp_path):
    with pytest.raises(RuntimeError):
        _write(tmp_path, boom=True)
    assert list(tmp_path.iterdir()) == []
    assert results.latest_run(tmp_path) is None


@pytest.mark.parametrize("breakage, message", [
    (lambda p: (p / "e.parquet").unlink(), "listed in run.json but missing"),
    (lambda p: (p / "run.json").write_text("{not json"), "does not parse"),
    (lambda p: (p / "run.json").unlink(), "run.json is missing"),
    (lambda p: _edit(p, complete=False), "complete"),
    (lambda p: _edit(p, tables={"e": {**_meta(p)["tables"]["e"], "rows": 7}}), "run.json says 7"),
    (lambda p: pd.DataFrame({"experiment": ["x"], "strategy": ["s"], "scale": ["xs"]}).to_parquet(p / "x.parquet"),
     "not listed"),
    (lambda p: pd.DataFrame({"experiment": ["e"]}).to_parquet(p / "e.parquet"), "changed after the run"),
])
def test_broken_runs_are_rejected(tmp_path, breakage, message):
    path = _write(tmp_path)
    breakage(path)
    problems = results.validate(path)
    assert any(message in p for p in problems), problems


def test_partial_folder_is_rejected(tmp_path):
    partial = tmp_path / ".20261124T000000Z-host-abcdef0.partial"
    partial.mkdir()
    assert "unfinished" in results.validate(partial)[0]


def test_negative_latency_is_rejected(tmp_path):
    df = pd.DataFrame({"experiment": ["e"], "strategy": ["s"], "scale": ["xs"], "latency_us": [-1.0]})
    path = _write(tmp_path, df)
    assert any("non-negative" in p for p in results.validate(path))


def _meta(p):
    return json.loads((p / "run.json").read_text())


def _edit(p, **kv):
    meta = _meta(p)
    meta.update(kv)
    (p / "run.json").write_text(json.dumps(meta))


def test_summary_pools_percentiles_and_reports_the_repetition_range(tmp_path):
    path = _write(tmp_path)
    s = results.summary(path)
    assert list(s.columns[:3]) == ["experiment", "strategy", "scale"]
    assert {"rtt_ms", "clients", "n", "p50_us", "p95_us", "p99_us"} <= set(s.columns)
    row = s.iloc[0]
    assert row.n == 100
    # HdrHistogram with 3 significant digits is exact for integers below 2048
    assert (row.p50_us, row.p95_us, row.p99_us) == (50, 95, 99)
    assert (row.p50_rep_lo_us, row.p50_rep_hi_us) == (13, 88)  # medians of 1..25 and 76..100
    assert "p50_us" in results.format_summary(s, "csv").splitlines()[0]


def test_two_runs_finishing_in_the_same_second_get_two_folders(tmp_path):
    from bench.results.store import RunWriter

    for _ in range(5):  # the two names must start equal (the same second) for the case to mean anything
        a, b = RunWriter(meta={"git_sha": "abcdef0"}, root=tmp_path), RunWriter(meta={"git_sha": "abcdef0"}, root=tmp_path)
        if a.name == b.name:
            break
    assert a.name == b.name
    with a, b:
        pass
    folders = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert len(folders) == 2 and a.path != b.path and a.path.exists() and b.path.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_summary_leaves_a_sham_out_of_its_twins_cell(tmp_path):
    timed = pd.DataFrame({"experiment": "e", "strategy": "s", "scale": "xs", "record": "request",
                          "latency_us": np.arange(1, 101, dtype=float), "rep": np.repeat([0, 1, 2, 3], 25)})
    twin = timed.assign(record="sham", latency_us=timed.latency_us * 1000)  # the twin's rows, far slower
    s = results.summary(_write(tmp_path, pd.concat([timed, twin], ignore_index=True)))
    assert len(s) == 1 and s.iloc[0].n == 100 and s.iloc[0].p50_us == 50
