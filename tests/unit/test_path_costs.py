"""cells.path_costs: the faithful PostgREST path against the old envelope emulation, per
strategy x RTT, for the median and the heaviest sampled user, from request rows."""
import pandas as pd
import pytest

from bench.report import cells

USERS = {0: 2, 1: 10, 2: 900}  # user_idx (into the sample) -> audit rows


def _rows(envelope: str, rtts, strategies, ms) -> list[dict]:
    return [{"record": "request", "bundle": "account", "indexes": "indexed", "cache": "warm", "scale": "s",
             "client": "psycopg", "envelope": envelope, "rtt_ms": rtt, "strategy": s, "user_idx": u, "audit_rows": a,
             "rep": rep, "latency_us": 1000 * ms(s, rtt, a)}
            for rtt in rtts for s in strategies for u, a in USERS.items() for rep in range(3)]


def _table() -> pd.DataFrame:
    both = ("star_parallel", "join_json")
    rows = (_rows("rest_envelope", (0.0, 2.0), (*both, "star_pipelined"), lambda s, rtt, a: 1 + rtt + a / 100)
            + _rows("tier", (0.0, 2.0), both, lambda s, rtt, a: 2 * (1 + rtt + a / 100) * (1.5 if s == "join_json" else 1))
            + _rows("rest", (0.0,), both, lambda s, rtt, a: 1.2)
            + _rows("plain", (0.0,), both, lambda s, rtt, a: 0.1))
    return pd.DataFrame(rows)


def test_the_tier_over_the_old_envelope_for_the_median_and_the_heaviest_user():
    out = cells.path_costs(_table())
    assert set(out.strategy) == {"star_parallel", "join_json"}  # no tier form, no row
    assert list(out.user.unique()) == ["median user", "heaviest (900 audit rows)"]
    cell = out.set_index(["user", "strategy", "rtt_ms"])
    med = cell.loc[("median user", "star_parallel", 2.0)]
    assert med["old envelope (ms)"] == pytest.approx(3.1) and med["PostgREST tier (ms)"] == pytest.approx(6.2)
    assert med["tier / old"] == pytest.approx(2.0)
    heavy = cell.loc[("heaviest (900 audit rows)", "join_json", 0.0)]
    assert heavy["old envelope (ms)"] == pytest.approx(10.0) and heavy["tier / old"] == pytest.approx(3.0)
    assert heavy["PostgREST's statements (ms)"] == pytest.approx(1.2)
    assert pd.isna(cell.loc[("median user", "join_json", 2.0), "PostgREST's statements (ms)"])  # RTT 0 only


def test_a_run_without_the_tier_has_no_table():
    t = _table()
    assert cells.path_costs(t[t.envelope != "tier"]).empty
