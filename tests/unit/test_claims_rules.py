"""Every label of every claim is reachable (CLAIMS.md rule 5): each claim's rule, driven with
synthetic calls, lands on each of its labels. The table names them."""
import pandas as pd
import pytest

from bench.report import claims
from bench.report.claims import (
    app_consistency,
    business_queries,
    caching,
    core,
    evolution,
    integrity,
    locking,
    microservices,
    no_complex_joins,
    no_joins,
    oauth,
    orphans,
    parallel,
    parallel_load,
    rls,
)
from bench.results import stats

F, S, E, U = stats.FASTER, stats.SLOWER, stats.EQUIVALENT, stats.UNDECIDED


def read_cells(*calls_by_size):
    """Per-size read cells at two RTTs of one client: calls listed (light, median, heavy) per RTT."""
    rows = []
    for rtt, calls in zip((0.0, 2.0), calls_by_size):
        rows += [{"client": "psycopg", "rtt_ms": rtt, "users": u, "call": c} for u, c in zip(("light", "median", "heavy"), calls)]
        rows.append({"client": "psycopg", "rtt_ms": rtt, "users": "all", "call": calls[1]})
    return pd.DataFrame(rows)


def questions(*calls):
    return pd.DataFrame([{"question": f"q{i}", "call": c} for i, c in enumerate(calls)])


ALL_F, MIXED, ALL_S, ALL_U = (F, F, F), (S, F, S), (S, E, S), (U, U, U)
TABLE = [  # claim, inputs to its rule, the label it must give
    (no_joins, (read_cells(ALL_F, ALL_F),), core.RIGHT),
    (no_joins, (read_cells(ALL_S, MIXED),), core.RIGHT_WHEN),
    (no_joins, (read_cells(ALL_S, ALL_S),), core.WRONG),
    (no_joins, (read_cells(ALL_U, ALL_U),), core.UNDECIDED),
    (no_joins, (read_cells(ALL_S, ALL_S), [("cold cache", F)]), core.RIGHT_WHEN),
    (parallel, (read_cells(ALL_F, ALL_F),), core.RIGHT),
    (parallel, (read_cells(ALL_U, (U, U, F)),), core.RIGHT_WHEN),
    (parallel, (read_cells((E, E, E), ALL_S),), core.WRONG),
    (parallel, (read_cells(ALL_U, (U, S, U)),), core.UNDECIDED),
    (parallel_load, ([("RTT 0 ms", F), ("RTT 2 ms", F)],), core.RIGHT),
    (parallel_load, ([("RTT 0 ms", F), ("RTT 2 ms", S)],), core.RIGHT_WHEN),
    (parallel_load, ([("RTT 2 ms", S)],), core.WRONG),
    (parallel_load, ([],), core.UNDECIDED),
    (no_complex_joins, ([("server time", F)],), core.RIGHT),
    (no_complex_joins, ([("server time", F), ("bytes", S)],), core.RIGHT_WHEN),
    (no_complex_joins, ([("server time", E)],), core.WRONG),
    (no_complex_joins, ([("server time", U)],), core.UNDECIDED),
    (rls, (False, 10, False, False, []), core.RIGHT),
    (rls, (False, 10, False, True, []), core.RIGHT_WHEN),
    (rls, (False, 10, False, False, ["every user_id is indexed"]), core.RIGHT_WHEN),
    (rls, (False, 10, True, True, []), core.WRONG),
    (rls, (True, 10, False, False, []), core.WRONG),
    (rls, (False, 0, False, False, []), core.UNDECIDED),
    (oauth, (10, 0, 0), core.RIGHT),
    (oauth, (10, 0, 3), core.RIGHT_WHEN),
    (oauth, (10, 1, 0), core.WRONG),
    (oauth, (0, 0, 0), core.UNDECIDED),
    (microservices, (questions(E, F),), core.RIGHT),
    (microservices, (questions(E, S),), core.RIGHT_WHEN),
    (microservices, (questions(S, S),), core.WRONG),
    (microservices, (questions(U, U),), core.UNDECIDED),
    (evolution, (2_000.0, 20_000.0), core.RIGHT),
    (evolution, (2_000.0, 1.5e6), core.RIGHT_WHEN),
    (evolution, (400_000.0, 1.5e6), core.WRONG),
    (evolution, (float("nan"), float("nan")), core.UNDECIDED),
    (caching, (True, 0.5, E), core.RIGHT),
    (caching, (True, 1.0, F), core.RIGHT_WHEN),
    (caching, (True, 1.0, S), core.WRONG),
    (caching, (True, 1.0, U), core.UNDECIDED),
    (caching, (False, 0.5, F), core.UNDECIDED),
    (locking, (20, 0.0, 0.0, 0.0, 0.0), core.RIGHT),
    (locking, (20, 0.0, 1.0, 0.0, 0.0), core.RIGHT_WHEN),
    (locking, (20, 0.0, 0.0, 300.0, 0.0), core.RIGHT_WHEN),
    (locking, (20, 0.5, 1.0, 0.0, 0.0), core.WRONG),
    (locking, (0, 0.0, 0.0, 0.0, 0.0), core.UNDECIDED),
    (integrity, (8, 12, 14, 30), core.REAL),
    (integrity, (8, 12, 14, 0), core.REAL_WHEN),
    (integrity, (12, 12, 14, 30), core.ABSENT),
    (integrity, (0, 0, 0, 0), core.UNDECIDED),
    (app_consistency, (True, 28, 3), core.REAL),
    (app_consistency, (True, 28, 0), core.REAL_WHEN),
    (app_consistency, (True, 0, 0), core.ABSENT),
    (app_consistency, (False, 0, 0), core.UNDECIDED),
    (business_queries, (questions(S, S),), core.REAL),
    (business_queries, (questions(S, E),), core.REAL_WHEN),
    (business_queries, (questions(E, F),), core.ABSENT),
    (business_queries, (questions(U, U),), core.UNDECIDED),
    (orphans, (True, 424, 0), core.REAL),
    (orphans, (True, 0, 5), core.REAL_WHEN),
    (orphans, (True, 0, 0), core.ABSENT),
    (orphans, (False, 0, 0), core.UNDECIDED),
]


@pytest.mark.parametrize("module, args, label", TABLE, ids=[f"{m.SPEC.key}-{lab}" for m, _, lab in TABLE])
def test_the_rule_gives_the_label(module, args, label):
    got, condition = module.decide(*args)
    assert got == label
    if label in core.CONDITIONAL:
        assert condition, "a conditional label names its condition"


def test_every_label_of_every_claim_is_in_the_table():
    reached = {(m.SPEC.key, lab) for m, _, lab in TABLE}
    for spec in claims.SPECS:
        for label in spec.labels:
            assert (spec.key, label) in reached, (spec.key, label)


def test_the_registry_has_the_fourteen_claims_each_with_its_rule_sentence():
    keys = [s.key for s in claims.SPECS]
    assert len(keys) == 14 == len(set(keys))
    for spec in claims.SPECS:
        assert spec.rule.startswith(("The memo is right if", "The cost is real if")), spec.key
        assert " if " in spec.rule.split(",", 1)[1] and spec.comparison and spec.surfaces and spec.attribution_test
    assert set(claims.MEMO_TABLE) == {s.row for s in claims.SPECS if s.row}
    assert {s.key for s in claims.SPECS if s.cost} == {"integrity", "app_consistency", "business_queries", "orphans"}


def test_a_tie_is_no_win_and_a_straddle_is_no_loss():
    assert core.decide([("a", E)]) == (core.WRONG, "")
    assert core.decide([("a", U)])[0] == core.UNDECIDED
    assert core.decide([("a", E)], cost=True) == (core.ABSENT, "")
