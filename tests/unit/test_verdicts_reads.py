"""The read-path and under-load verdicts flip when the data flips: synthetic runs written as
real run folders, fed through verdicts.Evidence."""
import re

import numpy as np
import pandas as pd
import pytest

from bench.report import verdicts
from bench.results import store as results

REPS = 5
USERS = 8
CLIENTS = {"psycopg": ("star_sequential", "star_parallel", "star_pipelined", "join_flat", "join_json"),
           "pgbench": ("star_sequential", "star_pipelined", "join_flat", "join_json"),
           "node-postgres": ("star_sequential", "star_parallel", "join_flat", "join_json")}


def _requests(latency_ms: dict[str, float], noise: float = 0.02, seed: int = 0) -> pd.DataFrame:
    """Per-request rows: every client x strategy x RTT 0/2 x rep, strategy latency scaled per RTT."""
    rng = np.random.default_rng(seed)
    rows = []
    for client, names in CLIENTS.items():
        for rtt in (0.0, 2.0):
            for rep in range(REPS):
                drift = 1 + rng.normal(0, noise)  # a repetition's shared slowdown (paired)
                for s in names:
                    base = latency_ms.get(s, 1.0) * (1 + rtt)
                    for k in range(USERS):
                        rows.append({"experiment": "read_paths", "scale": "xs", "record": "request", "bundle": "account",
                                     "envelope": "plain", "indexes": "indexed", "cache": "warm", "rtt_ms": rtt,
                                     "client": client, "strategy": s, "rep": rep, "user_idx": k,
                                     "latency_us": 1000 * base * drift * (1 + rng.normal(0, noise))})
    rows.append({"experiment": "read_paths", "scale": "xs", "record": "rtt", "rtt_ms": 2.0, "added_ms": 2.0,
                 "strategy": None})
    return pd.DataFrame(rows)


def _run(tmp_path, tables: dict[str, pd.DataFrame]) -> verdicts.Evidence:
    meta = {"git_sha": "5e5e5e5", "git_dirty": False, "machine": "synthetic", "topology": "none", "scale": "xs",
            "seed": 0, "fingerprint": "synthetic", "command": "test",
            "versions": {"python": "3", "psycopg": "3", "faker": "0", "postgresql": "18"}}
    with results.RunWriter(meta=meta, root=tmp_path) as run:
        for name, df in tables.items():
            run.write_table(name, df)
    return verdicts.Evidence(results.load(run.path))


@pytest.mark.parametrize("seq, expected", [(0.5, verdicts.HOLDS), (2.0, verdicts.DOES_NOT_HOLD),
                                           (1.0, verdicts.DOES_NOT_HOLD)])
def test_no_joins_verdict_flips_with_the_data(tmp_path, seq, expected):
    ev = _run(tmp_path, {"read_paths": _requests({"star_sequential": seq})})
    v = verdicts._no_joins(ev)
    assert v.verdict == expected, v.answer
    call = {0.5: "faster", 2.0: "slower", 1.0: "equivalent"}[seq]
    assert v.answer.count(f"] {call}") == 6, v.answer  # 3 clients x 2 RTTs


@pytest.mark.parametrize("par, expected", [(0.5, verdicts.HOLDS), (2.0, verdicts.DOES_NOT_HOLD),
                                           (1.02, verdicts.DOES_NOT_HOLD)])
def test_parallel_verdict_flips_with_the_data(tmp_path, par, expected):
    ev = _run(tmp_path, {"read_paths": _requests({"star_parallel": par})})
    v = verdicts._parallel(ev)
    assert v.verdict == expected, v.answer
    call = {0.5: "faster", 2.0: "slower", 1.02: "equivalent"}[par]
    assert v.answer.count(f"] {call}") == 4, v.answer  # pgbench has no parallel form


def test_a_verdict_names_the_client_that_disagrees(tmp_path):
    t = _requests({"star_parallel": 2.0})
    node = (t.client == "node-postgres") & (t.strategy == "star_parallel")
    t.loc[node, "latency_us"] /= 4  # only node's Promise.all beats the JOIN
    v = verdicts._parallel(_run(tmp_path, {"read_paths": t}))
    assert v.verdict == verdicts.ONLY_WHEN
    assert "node-postgres at RTT 0, 2 ms" in v.flips and "clients disagree" in v.answer


def _load(throughput: dict[str, list[float]], bound: bool = False) -> pd.DataFrame:
    rows = []
    for s, values in throughput.items():
        for rep, tps in enumerate(values):
            rows.append({"experiment": "concurrency", "scale": "xs", "record": "load", "strategy": s, "mode": "closed",
                         "clients": 4, "rate": np.nan, "rtt_ms": 0.0, "budget": 10, "sweep": None,
                         "load_fraction": np.nan, "rep": rep, "throughput_rps": tps, "statements_per_s": tps,
                         "client_bound": bound, "client_cpu_cores": 0.5, "server_cpu_cores": 0.5, "requests": 100,
                         "errors": 0, "hist_latency": ""})
    for s in ("star_parallel", "join_json"):
        rows.append({"experiment": "concurrency", "scale": "xs", "record": "consistency", "bundle": "account",
                     "strategy": s, "condition": "read committed" if s == "star_parallel" else "one statement",
                     "write_rate": 100, "reads": 1000, "torn": 0, "write_rate_achieved": 100.0, "hist_latency": ""})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("par, bound, expected", [([200, 205, 210], False, verdicts.HOLDS),
                                                  ([50, 52, 51], False, verdicts.DOES_NOT_HOLD),
                                                  ([95, 130, 110], False, verdicts.DOES_NOT_HOLD),
                                                  ([200, 205, 210], True, verdicts.DOES_NOT_HOLD)])
def test_parallel_under_load_flips_and_ignores_client_bound_cells(tmp_path, par, bound, expected):
    ev = _run(tmp_path, {"concurrency": _load({"star_parallel": par, "join_json": [98, 100, 102]}, bound)})
    v = verdicts._parallel_under_load(ev)
    assert v.verdict == expected, v.answer
    if bound:
        assert "no throughput verdict" in v.answer
    else:
        call = "faster" if par[0] == 200 else ("slower" if par[0] == 50 else "undecided")
        assert f"({call})" in v.answer


def _tier(latency_ms: dict[str, float], seed: int = 1) -> pd.DataFrame:
    """The harness's requests through the PostgREST tier (no pipelined form there)."""
    t = _requests(latency_ms, seed=seed)
    t = t[(t.record == "request") & (t.client == "psycopg") & (t.strategy != "star_pipelined")]
    return t.assign(envelope="tier")


def test_the_tier_is_called_as_one_more_client_and_leads_the_answer(tmp_path):
    """Parallel fetches beat the JOIN on the direct connection but lose through the tier: the
    verdict holds only when, the tier is named among the cells, and its figures come first."""
    t = pd.concat([_requests({"star_parallel": 0.5}), _tier({"star_parallel": 2.0})], ignore_index=True)
    v = verdicts._parallel(_run(tmp_path, {"read_paths": t}))
    assert v.verdict == verdicts.ONLY_WHEN, v.answer
    assert v.answer.startswith("Through the PostgREST tier as `authenticated`"), v.answer
    ratio = float(re.search(r"star_parallel takes ([0-9.]+)x the one embedded request", v.answer).group(1))
    assert 1.8 < ratio < 2.2, v.answer
    assert re.search(r"PostgREST tier: RTT 0 ms [0-9.]+x \[[0-9.-]+\] slower", v.answer), v.answer
    assert "faster than the JOIN: psycopg at RTT 0, 2 ms; node-postgres at RTT 0, 2 ms; equivalent" in v.flips, v.flips
    assert v.figures[0] == "fig-readpaths-latency-rtt-postgrest"


def test_without_tier_cells_the_answer_says_direct_connection(tmp_path):
    v = verdicts._no_joins(_run(tmp_path, {"read_paths": _requests({"star_sequential": 2.0})}))
    assert "PostgREST tier" not in v.answer and "(direct connection, table owner)" in v.answer
    assert "fig-readpaths-latency-rtt-postgrest" not in v.figures
