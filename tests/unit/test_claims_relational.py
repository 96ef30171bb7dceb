"""The parallel claim's relational comparison (claims.relational): supabase-js on the relational
variant, Promise.all against the embed per RTT, beside the headline only; the star's calls never
see those rows."""
import re

import pandas as pd

from bench.report import calls
from bench.report.claims import core, parallel, relational
from tests.unit.test_claims_reads import _evidence, _requests

STAR = {"psycopg": ("star_sequential", "star_parallel", "join_flat", "join_json", "rpc_bundle"),
        "supabase-js": ("star_sequential", "star_parallel", "rpc_bundle")}
REL = {"supabase-js": ("star_sequential", "star_parallel", "join_json")}


def _star() -> pd.DataFrame:
    plain = _requests({"star_parallel": 1.0, "join_json": 1.0}, clients={"psycopg": STAR["psycopg"]})
    tier = _requests({"star_parallel": 1.0, "rpc_bundle": 1.0, "star_sequential": 2.0}, envelope="tier",
                     clients={"supabase-js": STAR["supabase-js"]}, seed=1)
    return pd.concat([plain, tier], ignore_index=True)


def _relational(parallel_ms: float) -> pd.DataFrame:
    t = _requests({"star_parallel": parallel_ms, "star_sequential": 3.0, "join_json": 1.0},
                  envelope=relational.ENVELOPE, clients=REL, seed=2)
    return t.assign(variant=relational.VARIANT)


def test_beside_gives_promise_all_against_the_embed_per_rtt_with_interval_and_call():
    t = pd.concat([_star(), _relational(2.0)], ignore_index=True)
    text = relational.beside(t)
    assert "relational variant" in text and "PGRST200" in text and "supabase-js" in text
    got = re.findall(r"RTT (\d) ms (\d\.\d\d)x \[(\d\.\d\d)-(\d\.\d\d)\] (\w+)", text)
    assert [(r, c) for r, _, _, _, c in got] == [("0", "slower"), ("2", "slower")], text
    assert all(1.9 < float(x) < 2.1 and float(lo) <= float(x) <= float(hi) for _, x, lo, hi, _ in got), got
    assert "the three in turn against it: RTT 0 ms" in text
    c = relational.cells(t)
    assert list(c[c.users == "all"].rtt_ms) == [0.0, 2.0] and set(c.call) == {"slower"}
    assert set(c["call (in turn)"]) == {"slower"} and {"light", "median", "heavy"} <= set(c.users)
    assert (c["Promise.all (ms)"] > c["the embed (ms)"]).all()
    tie = relational.cells(pd.concat([_star(), _relational(1.0)], ignore_index=True))
    assert set(tie.call) == {"equivalent"}


def test_no_relational_cells_is_said_and_adds_nothing_beside():
    t = _star()
    assert relational.beside(t) == "" and relational.cells(t).empty
    assert "no relational cells in this run" in relational.sentence(t)


def test_the_star_calls_never_see_relational_rows():
    rel = _relational(5.0)
    t = pd.concat([_star(), rel, rel.assign(envelope="tier")], ignore_index=True)  # even under the star's envelope
    tier = calls.requests(t, envelope="tier")
    assert len(tier) == len(_star()[_star().envelope == "tier"]) and (tier.variant.isna()).all()
    assert calls.supabase_js(t).strategy.isin(STAR["supabase-js"]).all()


def test_the_parallel_label_is_decided_on_the_star_with_the_relational_beside(tmp_path):
    star = parallel.evaluate(_evidence(tmp_path / "a", {"read_paths": _star()}))
    both = parallel.evaluate(_evidence(tmp_path / "b", {"read_paths": pd.concat([_star(), _relational(3.0)],
                                                                                 ignore_index=True)}))
    assert both.label == star.label and both.answer == star.answer and both.condition == star.condition
    assert "relational variant" not in star.beside
    assert "On the relational variant" in both.beside and re.search(r"RTT 2 ms [23]\.\d\dx \[", both.beside)
    assert star.label != core.NOT_MEASURED
