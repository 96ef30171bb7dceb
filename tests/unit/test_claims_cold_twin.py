"""The cold call against its A/A twin (issue 25): synthetic caching tables written as real run
folders, the twin in <root>/aa/<run-id>/ as `make reference` puts it, differing only in numbers.
A cold call the twin's cold cells make otherwise turns the caching verdict (and the read claims'
cold cell) undecided; an agreeing twin, or none, leaves it."""
import numpy as np
import pandas as pd

from bench.report import calibration
from bench.report import evolution_cells as ec
from bench.report.claims import caching, core, reads
from bench.results import stats
from bench.results import store as results

REPS, USERS = 5, 8
STRATEGIES = ("star_sequential", "star_parallel", "join_flat", "join_json")
META = {"git_sha": "5e5e5e5", "git_dirty": False, "machine": "synthetic", "topology": "none", "scale": "xs",
        "seed": 0, "fingerprint": "synthetic", "command": "test",
        "versions": {"python": "3", "psycopg": "3", "faker": "0", "postgresql": "18"}}


def _caching(parallel: float, seed: int = 0) -> pd.DataFrame:
    """Cold and warm cells, proven cold (blocks read, OS cache dropped); the star and the join touch
    the same buffers, so the cold latency call decides. star_parallel takes `parallel` x join_json."""
    rng = np.random.default_rng(seed)
    base = {"experiment": "caching", "scale": "xs", "bundle": "account", "indexes": "indexed", "rtt_ms": 0.0,
            "condition": "uniform"}
    ms = {"star_sequential": 1.3, "star_parallel": parallel, "join_flat": 1.1, "join_json": 1.0}
    rows = []
    for cache in ("warm", "cold"):
        for rep in range(REPS):
            drift = 1 + rng.normal(0, 0.02)
            for s in STRATEGIES:
                rows.append({**base, "record": "buffers", "cache": cache, "strategy": s, "rep": float(rep),
                             "shared_hit_per_request": 0.0 if cache == "cold" else 27.0,
                             "shared_read_per_request": 27.0 if cache == "cold" else 0.0,
                             "read_us_per_request": 3000.0 if cache == "cold" else 0.0})
                for k in range(USERS):
                    rows.append({**base, "record": "request", "cache": cache, "strategy": s, "rep": float(rep),
                                 "user_id": f"u{k}", "os_cache": "dropped" if cache == "cold" else None,
                                 "latency_us": 5000 * ms[s] * drift * (1 + rng.normal(0, 0.02))})
    return pd.DataFrame(rows)


def _run(root, tables) -> results.Run:
    with results.RunWriter(meta=META, root=root) as run:
        for name, df in tables.items():
            run.write_table(name, df)
    return results.load(run.path)


def _evidence(tmp_path, parallel: float, twin: dict | None) -> core.Evidence:
    """The run, and beside it (where `twin` is given) its A/A twin with those tables."""
    run = _run(tmp_path / "runs", {"caching": _caching(parallel)})
    if twin is not None:
        _run(tmp_path / "runs" / "aa" / run.path.name, twin)
    return core.Evidence(run)


def test_a_cold_call_the_twin_does_not_reproduce_makes_caching_undecided(tmp_path):
    ev = _evidence(tmp_path, 0.8, {"caching": _caching(1.0, seed=1)})
    f = caching.evaluate(ev)
    assert f.label == core.UNDECIDED, f.answer
    assert "the A/A twin called it equivalent" in f.answer and "counted undecided" in f.answer
    assert "A/A twin" in f.condition and f.figure.call == stats.UNDECIDED
    call, text = reads.cold(ev, "star_parallel", ("join_json",))  # the parallel claim's cold cell
    assert call == stats.UNDECIDED and "the A/A twin called it equivalent" in text and "counted undecided" in text
    d = calibration.cold_twin_calls(ev.table("caching"), ec.twin_caching(ev.run.path))
    row = d.set_index("a").loc["star_parallel"]
    assert (row.call, row.call_twin, row.same) == (stats.FASTER, stats.EQUIVALENT, False)
    assert "differ in the A/A twin" in calibration.cold_twin_sentence(d)


def test_an_agreeing_twin_leaves_the_cold_call(tmp_path):
    ev = _evidence(tmp_path, 0.8, {"caching": _caching(0.8, seed=1)})
    f = caching.evaluate(ev)
    assert f.label == core.RIGHT_WHEN, f.answer
    assert "the A/A twin called it faster too" in f.answer and f.figure.call == stats.FASTER
    call, text = reads.cold(ev, "star_parallel", ("join_json",))
    assert call == stats.FASTER and "faster too" in text
    d = calibration.cold_twin_calls(ev.table("caching"), ec.twin_caching(ev.run.path))
    assert d.same.eq(True).all() and "is the same in the A/A twin" in calibration.cold_twin_sentence(d)


def test_a_twin_without_cold_cells_leaves_the_call_and_says_so(tmp_path):
    """The committed reference's twin holds the read paths alone: the verdict is as without a twin."""
    for name, twin in (("none", None), ("reads", {"read_paths": pd.DataFrame(
        {"experiment": ["read_paths"], "strategy": ["join_json"], "record": ["rtt"], "scale": ["xs"]})})):
        ev = _evidence(tmp_path / name, 0.8, twin)
        f = caching.evaluate(ev)
        assert f.label == core.RIGHT_WHEN and "no A/A twin of the cold cells" in f.answer, f.answer
        call, text = reads.cold(ev, "star_parallel", ("join_json",))
        assert call == stats.FASTER and "no A/A twin of the cold cells" in text
        d = calibration.cold_twin_calls(ev.table("caching"), ec.twin_caching(ev.run.path))
        assert len(d) == 2 and d.call_twin.eq("").all() and d.same.isna().all()
        assert "No A/A twin of the cold cells" in calibration.cold_twin_sentence(d)
