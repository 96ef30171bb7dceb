"""The evolution and caching verdicts are computed from the data: synthetic tables flip them."""
import pandas as pd
import pytest

from bench.report import evolution_cells as cells
from bench.report import verdicts_evolution as verdicts
from bench.report.verdict import DOES_NOT_HOLD, HOLDS, NOT_COVERED, ONLY_WHEN


class Evidence:
    def __init__(self, **tables):
        self.tables = tables
        self.run = type("Run", (), {"meta": {"tables": dict.fromkeys(tables)}})()

    def table(self, name):
        return self.tables[name]


def _evolution(idle_us: float, held_us: float, timeout_us: float, index_us: float = 900_000) -> pd.DataFrame:
    """The recipe's worst hub write per condition, and a plain index that stalls spoke writes."""
    base = {"experiment": "evolution", "scale": "m", "held_s": 1.5, "attempts": 1, "error": None}
    worst = {"no_long_txn": idle_us, "long_txn": held_us, "long_txn_lock_timeout": timeout_us}
    rows = []
    for change in cells.RECIPES:
        target = "auth.users" if change == "recipe_star" else "public.profiles"
        for cond, us in worst.items():
            cell = {**base, "change": change, "strategy": change, "condition": cond}
            rows.append({**cell, "record": "change", "duration_us": us})
            rows.append({**cell, "record": "lock", "relation": target, "mode": "ShareRowExclusiveLock", "granted": True})
            for kind in cells.KINDS:
                hub = kind in ("signup", "sign_in", "profile_update")
                rows.append({**cell, "record": "impact", "kind": kind, "max_us": us if hub else 1_000.0,
                             "delayed": int(hub and us > 10_000), "waited": int(hub and us > 10_000), "errors": 0,
                             "error_codes": ""})
    for change, us, mode in (("index_plain", index_us, "ShareLock"),
                             ("index_concurrently", 3_000.0, "ShareUpdateExclusiveLock")):
        cell = {**base, "change": change, "strategy": change, "condition": "no_long_txn"}
        rows.append({**cell, "record": "change", "duration_us": 1e6})
        rows.append({**cell, "record": "lock", "relation": "public.auth_audit_log", "mode": mode, "granted": True})
        for kind in cells.KINDS:
            rows.append({**cell, "record": "impact", "kind": kind, "max_us": us if kind == "spoke_write" else 1_000.0,
                         "delayed": 0, "waited": int(kind == "spoke_write" and us > 10_000), "errors": 0,
                         "error_codes": ""})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("idle,held,expected", [(2_000, 1.4e6, ONLY_WHEN), (2_000, 20_000, HOLDS),
                                                (400_000, 1.4e6, DOES_NOT_HOLD)])
def test_evolution_verdict_follows_the_measured_stalls(idle, held, expected):
    v = verdicts.evolution(Evidence(evolution=_evolution(idle, held, 60_000)))
    assert v.verdict == expected
    assert "ShareRowExclusiveLock on auth.users" in v.answer and v.figures


def test_evolution_names_the_spoke_changes_that_stalled():
    answer = verdicts.evolution(Evidence(evolution=_evolution(2_000, 1.4e6, 60_000))).answer
    assert "index_plain (ShareLock" in answer.split("did not")[0]
    answer = verdicts.evolution(Evidence(evolution=_evolution(2_000, 1.4e6, 60_000, index_us=5_000))).answer
    assert "index_plain" in answer.split("stalled")[-1]  # now among those that did not


def _caching(star_pages: float, parallel_us: float, cold_read: float = 20.0, os_cache="dropped") -> pd.DataFrame:
    rows = []
    base = {"experiment": "caching", "scale": "m", "condition": "uniform"}
    for cache in cells.CACHES:
        for strategy in ("star_sequential", "star_parallel", "join_json"):
            pages = star_pages if strategy.startswith("star") else 24.0
            read = cold_read if cache != "warm" else 0.0
            rows.append({**base, "record": "buffers", "cache": cache, "strategy": strategy, "rep": 0,
                         "shared_hit_per_request": pages - min(read, pages), "shared_read_per_request": min(read, pages),
                         "read_us_per_request": 100.0 * read})
            latency = {"warm": 200.0, "shared_cold": 1_000.0, "cold": 2_000.0, "small_buffers": 400.0}[cache]
            if cache == "cold" and strategy == "star_parallel":
                latency = parallel_us
            for rep in range(5):
                for i in range(4):
                    rows.append({**base, "record": "request", "cache": cache, "strategy": strategy, "rep": rep,
                                 "latency_us": latency * (1 + 0.01 * i), "os_cache": os_cache if cache == "cold" else None})
    return pd.DataFrame(rows)


def test_caching_verdict_flips_with_pages_and_cold_latency():
    assert verdicts.caching(Evidence(caching=_caching(24.0, 2_000.0))).verdict == DOES_NOT_HOLD
    assert verdicts.caching(Evidence(caching=_caching(24.0, 1_000.0))).verdict == ONLY_WHEN  # parallel wins on disk
    assert verdicts.caching(Evidence(caching=_caching(12.0, 2_000.0))).verdict == HOLDS  # fewer pages


def test_caching_verdict_refuses_cells_that_did_not_prove_cold():
    v = verdicts.caching(Evidence(caching=_caching(24.0, 1_000.0, cold_read=0.0)))
    assert v.verdict == NOT_COVERED and "read no shared block" in v.answer
    v = verdicts.caching(Evidence(caching=_caching(24.0, 1_000.0, os_cache="not dropped: not local")))
    assert v.verdict == NOT_COVERED and "not local" in v.answer


def test_caching_verdict_says_why_when_the_server_could_not_evict():
    t = pd.DataFrame([{"experiment": "caching", "scale": "m", "record": "skipped", "strategy": "all",
                       "reason": 'extension "pg_buffercache" is not available'}])
    v = verdicts.caching(Evidence(caching=t))
    assert v.verdict == NOT_COVERED and "pg_buffercache" in v.answer


@pytest.mark.parametrize("parallel_us,call", [(1_000.0, "faster"), (2_000.0, "equivalent"), (4_000.0, "slower")])
def test_read_path_cold_condition_is_called_from_the_cold_cells(parallel_us, call):
    got, sentence = verdicts.cold_reads(Evidence(caching=_caching(24.0, parallel_us)), "star_parallel",
                                        ("join_json",), 0.10)
    assert got == call and f"{parallel_us / 2_000:.2f}x join_json" in sentence


def test_read_path_cold_condition_is_absent_without_a_caching_table():
    got, sentence = verdicts.cold_reads(Evidence(), "star_parallel", ("join_json",), 0.10)
    assert got is None and "No cold-cache cells" in sentence


def test_small_buffers_cells_enter_the_caching_verdict():
    flips = verdicts.caching(Evidence(caching=_caching(24.0, 2_000.0))).flips
    assert "shared_buffers below the working set" in flips and "1.00x the JOIN's median (a tie)" in flips
