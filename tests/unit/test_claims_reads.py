"""The read claims from synthetic runs written as real run folders: the label follows the data,
user sizes and the PostgREST tier's one-request form (the RPC, or the embed in older runs)."""
import numpy as np
import pandas as pd
import pytest

from bench.report.claims import core, no_joins, parallel, parallel_load
from bench.results import store as results

REPS, USERS = 5, 9
CLIENTS = {"psycopg": ("star_sequential", "star_parallel", "star_pipelined", "join_flat", "join_json", "rpc_bundle"),
           "node-postgres": ("star_sequential", "star_parallel", "join_flat", "join_json")}


def _requests(latency_ms: dict, heavy: dict | None = None, envelope: str = "plain", clients=CLIENTS,
              seed: int = 0) -> pd.DataFrame:
    """Per-request rows; users 6-8 are heavy (many audit rows) and take `heavy` latencies where given."""
    rng = np.random.default_rng(seed)
    rows = []
    for client, names in clients.items():
        for rtt in (0.0, 2.0):
            for rep in range(REPS):
                drift = 1 + rng.normal(0, 0.02)
                for s in names:
                    for k in range(USERS):
                        big = k >= 6
                        base = (heavy or {}).get(s, latency_ms.get(s, 1.0)) if big else latency_ms.get(s, 1.0)
                        rows.append({"experiment": "read_paths", "scale": "xs", "record": "request", "bundle": "account",
                                     "envelope": envelope, "indexes": "indexed", "cache": "warm", "rtt_ms": rtt,
                                     "client": client, "strategy": s, "rep": rep, "user_idx": k,
                                     "audit_rows": 1000 + k if big else k,
                                     "latency_us": 1000 * base * (1 + rtt) * drift * (1 + rng.normal(0, 0.02))})
    return pd.DataFrame(rows)


def _evidence(tmp_path, tables) -> core.Evidence:
    meta = {"git_sha": "5e5e5e5", "git_dirty": False, "machine": "synthetic", "topology": "none", "scale": "xs",
            "seed": 0, "fingerprint": "synthetic", "command": "test",
            "versions": {"python": "3", "psycopg": "3", "faker": "0", "postgresql": "18"}}
    with results.RunWriter(meta=meta, root=tmp_path) as run:
        for name, df in tables.items():
            run.write_table(name, df)
    return core.Evidence(results.load(run.path))


@pytest.mark.parametrize("seq, label", [(0.5, core.RIGHT), (2.0, core.WRONG), (1.0, core.WRONG)])
def test_no_joins_label_follows_the_data(tmp_path, seq, label):
    f = no_joins.evaluate(_evidence(tmp_path, {"read_paths": _requests({"star_sequential": seq})}))
    assert f.label == label, f.answer
    assert f.figure is not None and f.figure.users == "median" and f.figure.rtt_ms == 2.0


def test_a_direction_that_changes_with_user_size_is_right_only_when_and_names_the_size(tmp_path):
    t = _requests({"star_sequential": 2.0}, heavy={"star_sequential": 0.5})
    f = no_joins.evaluate(_evidence(tmp_path, {"read_paths": t}))
    assert f.label == core.RIGHT_WHEN
    assert "heavy users" in f.condition and "light users" not in f.condition


def test_the_tier_uses_the_rpc_where_the_run_has_it_else_says_the_embed(tmp_path):
    tier_rpc = _requests({"star_parallel": 2.0, "rpc_bundle": 1.0, "join_json": 9.0}, envelope="tier",
                         clients={"psycopg": ("star_sequential", "star_parallel", "rpc_bundle")})
    f = parallel.evaluate(_evidence(tmp_path / "a", {"read_paths": pd.concat([_requests({}), tier_rpc])}))
    assert f.figure.what.endswith("/ rpc_bundle, median latency") and f.figure.surface.startswith("PostgREST")
    assert "predates the RPC" not in f.answer
    tier_embed = _requests({"star_parallel": 2.0}, envelope="tier",
                           clients={"psycopg": ("star_sequential", "star_parallel", "join_json")})
    f = parallel.evaluate(_evidence(tmp_path / "b", {"read_paths": pd.concat([_requests({}), tier_embed])}))
    assert f.figure.what.endswith("/ join_json, median latency") and "predates the RPC" in f.answer


def test_supabase_js_is_the_postgrest_surfaces_headline_client_and_a_deciding_one(tmp_path):
    """The memo's own code (supabase-js through the tier) gives the headline figure where the run
    has it; the harness's requests in its flow stay a deciding surface of their own."""
    flow = {"star_sequential": 3.0, "star_parallel": 2.0, "rpc_bundle": 1.0}
    names = ("star_sequential", "star_parallel", "rpc_bundle")
    harness = _requests(flow, envelope="tier", clients={"psycopg": names})
    memo = _requests({**flow, "star_parallel": 0.5}, envelope="tier", clients={"supabase-js": names}, seed=1)
    f = parallel.evaluate(_evidence(tmp_path, {"read_paths": pd.concat([_requests({}), harness, memo])}))
    assert f.figure.client == "supabase-js" and f.figure.call == "faster", f.figure
    assert f.label == core.RIGHT_WHEN and "through PostgREST, supabase-js" in f.condition
    assert "through PostgREST, the harness" not in f.condition  # the harness's flow is called slower there


def test_means_and_p95_are_reported_beside_not_deciding(tmp_path):
    f = parallel.evaluate(_evidence(tmp_path, {"read_paths": _requests({"star_parallel": 0.5})}))
    assert f.label == core.RIGHT and "Mean and p95" in f.beside


def _load(throughput: dict, bound=False, torn=0) -> pd.DataFrame:
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
                     "write_rate": 100, "reads": 1000, "torn": torn if s == "star_parallel" else 0,
                     "write_rate_achieved": 100.0, "hist_latency": ""})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("par, bound, label", [([200, 205, 210], False, core.RIGHT),
                                               ([50, 52, 51], False, core.WRONG),
                                               ([60, 200, 110], False, core.UNDECIDED),
                                               ([200, 205, 210], True, core.UNDECIDED)])
def test_parallel_under_load_ignores_client_bound_cells(tmp_path, par, bound, label):
    f = parallel_load.evaluate(_evidence(tmp_path, {"concurrency": _load({"star_parallel": par,
                                                                          "join_json": [98, 100, 102]}, bound)}))
    assert f.label == label, f.answer


def test_torn_reads_are_beside_the_parallel_load_verdict_never_its_gate(tmp_path):
    clean = parallel_load.evaluate(_evidence(tmp_path / "a", {"concurrency": _load(
        {"star_parallel": [200, 205, 210], "join_json": [98, 100, 102]}, torn=0)}))
    torn = parallel_load.evaluate(_evidence(tmp_path / "b", {"concurrency": _load(
        {"star_parallel": [200, 205, 210], "join_json": [98, 100, 102]}, torn=40)}))
    assert clean.label == torn.label == core.RIGHT
    assert "40 of 1000 bundles were torn" in torn.beside


def test_a_call_its_a_a_twin_does_not_reproduce_becomes_undecided(tmp_path):
    from bench.report.claims import reads

    here = _requests({"star_sequential": 2.0, "join_flat": 1.0, "join_json": 1.0}, seed=1)
    same = _requests({"star_sequential": 2.0, "join_flat": 1.0, "join_json": 1.0}, seed=2)
    flipped = _requests({"star_sequential": 2.0, "join_flat": 1.0, "join_json": 1.0}, heavy={"star_sequential": 0.5},
                        seed=2)
    form = reads.DIRECT_ONE_REQUEST
    c = reads.table_calls(reads.requests(here), "star_sequential", form, ("rpc_bundle",))
    assert (c[c.users != "all"].call == "slower").all()
    kept, text = reads.reproduced(c, same, "star_sequential", form, ("rpc_bundle",))
    assert (kept.call == c.call).all() and "the same in the A/A twin" in text
    moved, text = reads.reproduced(c, flipped, "star_sequential", form, ("rpc_bundle",))
    heavy = moved[moved.users == "heavy"]
    assert (heavy.call == "undecided").all() and (heavy.twin_call == "faster").all()
    assert (moved[moved.users == "light"].call == "slower").all()
    assert "differ in the A/A twin" in text and "heavy users" in text
