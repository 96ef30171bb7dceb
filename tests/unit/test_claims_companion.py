"""A run on another server beside a main run (make reference's PostgreSQL 15 run): a cell whose
call the main run's A/A twin did not reproduce counts as undecided there too, so a call this
machine cannot reproduce never turns a label on the other server. Synthetic read-path tables
written as real run folders (<root>/<main>, <root>/aa/<main>/<twin>, <root>/servers/<main>/<other>)."""
import pandas as pd

from bench.report.claims import core, no_joins
from bench.results import store as results
from tests.unit.test_claims_reads import _requests

META = {"git_sha": "5e5e5e5", "git_dirty": False, "machine": "synthetic", "topology": "none", "scale": "xs",
        "seed": 0, "fingerprint": "synthetic", "command": "test",
        "versions": {"python": "3", "psycopg": "3", "faker": "0", "postgresql": "18"}}


def _run(root, table: pd.DataFrame) -> results.Run:
    with results.RunWriter(meta=META, root=root) as run:
        run.write_table("read_paths", table)
    return results.load(run.path)


def _layout(tmp_path, twin_heavy: float) -> core.Evidence:
    """Main run: the star's three in turn slower for every user; its twin: heavy users at
    `twin_heavy`; the other server: heavy users faster (0.5x)."""
    main = _run(tmp_path / "runs", _requests({"star_sequential": 2.0}))
    _run(tmp_path / "runs" / "aa" / main.path.name, _requests({"star_sequential": 2.0}, heavy={"star_sequential": twin_heavy}, seed=1))
    other = _run(tmp_path / "runs" / "servers" / main.path.name,
                 _requests({"star_sequential": 2.0}, heavy={"star_sequential": 0.5}, seed=2))
    return core.Evidence(other)


def test_a_cell_the_main_twin_did_not_reproduce_is_undecided_on_the_other_server(tmp_path):
    f = no_joins.evaluate(_layout(tmp_path, twin_heavy=1.0))  # the twin calls heavy users equivalent: not reproduced
    assert f.label == core.WRONG, (f.label, f.condition)
    assert "main run's A/A twin did not reproduce" in f.answer and "heavy users" in f.condition


def test_a_reproduced_cell_decides_on_the_other_server(tmp_path):
    f = no_joins.evaluate(_layout(tmp_path, twin_heavy=2.0))  # the twin agrees with the main run everywhere
    assert f.label == core.RIGHT_WHEN and "heavy users" in f.condition, (f.label, f.condition)
    assert "No cell here is one the main run's A/A twin did not reproduce" in f.answer
