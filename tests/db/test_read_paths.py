"""Read paths at xs: strategies agree (edge users included), a deliberately wrong strategy fails
the run, a quick run validates, cold mode restarts the server. (The proxy: test_netdelay*.)"""
import os

import pytest

from bench.db import pg, schema
from bench.experiments import common as checks
from bench.experiments.runner import run_experiments
from bench.measure import bundles, strategies
from bench.results import store as results
from bench.seeding import seed

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def sample(xs_star):
    schema.run_files(xs_star.dsn, ("schema/rpc.sql",))  # rpc_bundle's functions (read_paths applies them)
    return checks.sample_users(xs_star.dsn, 42, 1)


def test_sample_spans_fanout_and_edges(sample):
    kinds = {u["kind"] for u in sample}
    assert {"decile", "heaviest", "no_audit", "no_sessions"} <= kinds
    assert len({u["decile"] for u in sample}) == 10


@pytest.mark.parametrize("bundle", list(bundles.PARTS))
@pytest.mark.parametrize("rest", [False, True, "envelope"])
def test_every_strategy_returns_the_same_bundle(xs_star, sample, bundle, rest):
    tcp = pg.tcp_dsn(xs_star.dsn)
    with pg.connect(tcp) as conn:
        types = bundles.column_types(conn)
    b = bundles.load(bundle)
    with strategies.Source(tcp, rest=rest) as src:
        for user in sample:
            texts = {name: bundles.canonical(fn(src, b, user["id"]).answer, types)
                     for name, fn in {**strategies.STRATEGIES, **strategies.ALTERNATIVES}.items()}
            assert len(set(texts.values())) == 1, (user, {k: v[:200] for k, v in texts.items()})
            audit = [p for p in b.parts if p == "auth_audit_log"]
            if audit and user["kind"] == "no_audit":
                assert '"auth_audit_log": []' in texts["star_sequential"]


def _drops_last_row(src, bundle, user_id):
    fetch = strategies.star_sequential(src, bundle, user_id)
    cols, rows = fetch.answer[bundle.parts[-1]]
    fetch.answer[bundle.parts[-1]] = (cols, rows[:-1])
    return fetch


def test_wrong_strategy_fails_the_run_and_writes_nothing(server, xs_star, monkeypatch, tmp_path):
    monkeypatch.setitem(strategies.STRATEGIES, "star_parallel", _drops_last_row)
    with pytest.raises(checks.AnswerMismatch, match="star_parallel"):
        run_experiments(server, seed.Request(scale="xs"), ["read_paths"], quick=True, root=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_quick_read_paths_run_is_valid_and_complete(xs_quick_run):
    path = xs_quick_run
    assert results.validate(path) == []
    s = results.summary(path)
    cells = s[(s.indexes == "indexed") & (s.envelope == "plain")].groupby(["strategy", "bundle", "rtt_ms"]).size()
    from bench.experiments import read_paths

    assert len(cells) == len(read_paths.QUICK.strategies) * len(bundles.PARTS) * 2  # RTT 0 and 2 in quick mode
    tier = s[s.envelope == "tier"].groupby(["strategy", "bundle", "rtt_ms"]).size()  # PostgREST's path across the link
    assert len(tier) == len(strategies.TIER_STRATEGIES) * len(bundles.PARTS) * 2
    run = results.load(path)
    assert [r["rtt_ms"] for r in run.meta["rtt_measured"]] == [2.0]
    table = run.table("read_paths")
    assert table[table.record == "equivalence"].checksum.nunique() == len(bundles.PARTS)
    assert (table[table.record == "pgbench"].pgbench_us > 0).all()
    via = table[(table.record == "request") & (table.envelope == "tier") & (table.client == "psycopg")]
    assert len(via) and (via.tier_us >= via.tier_db_us).all() and (via.tier_db_us > 0).all()  # the tier's own time, apart
    assert set(table[(table.record == "equivalence") & (table.envelope == "tier")].strategy) == set(strategies.TIER_STRATEGIES)




@pytest.mark.slow
def test_supabase_js_ran_on_the_relational_variant_checked_and_labelled(xs_quick_run):
    """The quick run's relational cells: supabase-js through a second tier on the relational
    dataset at one RTT, Promise.all, in turn and the embed with a sham of the embed, every answer
    the star's checksum for the same users; labelled apart from the star's tier rows."""
    from bench.experiments import read_paths
    from bench.experiments import read_paths_clients as rpc
    from bench.measure.clients import supabase
    from bench.report import calls
    from bench.report.claims import relational

    if supabase.missing():
        pytest.skip(supabase.missing())
    table = results.load(xs_quick_run).table("read_paths")
    rel = table[table.variant.eq("relational")] if "variant" in table else table.iloc[:0]
    timed = rel[rel.record.isin(["request", "sham"])]
    assert set(timed.envelope) == {rpc.RELATIONAL_ENVELOPE} and set(timed.client) == {"supabase-js"}
    assert set(timed.rtt_ms) == set(read_paths.QUICK.relational_rtts_ms) == {2.0}  # one RTT in quick mode
    assert set(timed[timed.record == "request"].strategy) == {"star_parallel", "star_sequential", "join_json"}
    assert set(timed[timed.record == "sham"].strategy) == {"join_json"}
    assert (timed.latency_us > 0).all() and timed.rep.nunique() == read_paths.QUICK.reps
    sizes = timed.groupby(["record", "strategy", "rep"]).size()
    assert sizes.nunique() == 1  # the same requests per block, as the star's supabase-js cells
    star_sum = table[(table.record == "equivalence") & (table.bundle == "account") & table.checksum.notna()
                     & ~table.variant.eq("relational")].checksum.unique()
    checked = rel[(rel.record == "equivalence") & (rel.bundle == "account")]
    assert len(checked) == 2 and set(checked.checksum) == set(star_sum)  # direct, then supabase-js's own answers
    assert set(rel.user_idx.dropna().astype(int)) <= set(table[table.envelope == "tier"].user_idx.dropna().astype(int))
    assert calls.requests(table, envelope="tier").variant.isna().all()  # the star's rows stay the star's
    c = relational.cells(table)
    assert list(c[c.users == "all"].rtt_ms) == [2.0] and c.call.notna().all() and c["call (in turn)"].notna().all()

@pytest.mark.slow
def test_every_timed_block_carries_a_sham_and_run_json_says_how_client_and_server_were_placed(xs_quick_run):
    from bench.report import sham

    run = results.load(xs_quick_run)
    table = run.table("read_paths")
    timed = table[table.record == "request"]
    blocks = timed.groupby(["envelope", "bundle", "rtt_ms", "indexes", "rep", "client"]).size().index
    twins = table[table.record == "sham"]
    shammed = set(twins.groupby(["envelope", "bundle", "rtt_ms", "indexes", "rep", "client"]).size().index)
    harness = [b for b in blocks if b[-1] == "psycopg"]
    assert harness and all(b in shammed for b in harness), set(harness) - shammed
    assert set(twins.strategy) <= {"join_json", "rpc_bundle"}
    assert set(twins[twins.envelope == "tier"].strategy) == {"rpc_bundle"}  # the star's one request through PostgREST
    pairs = sham.pairs(table)
    assert len(pairs) >= len(bundles.PARTS) * 2 and pairs.call.notna().all()
    assert (timed[timed.client == "psycopg"].reps_taken == 3).all()  # quick: three repetitions per block
    proxy = table[table.record == "proxy"]
    assert list(proxy.rtt_ms) == [2.0] and (proxy.proxy_cpu_s >= 0).all() and (proxy.requests > 0).all()
    cold = run.table("caching")
    assert {"cold", "shared_cold", "warm"} <= set(cold[cold.record == "sham"].cache)
    placed = run.meta["pinning"]
    assert "idle_cores_kept_awake" in placed
    if os.geteuid() == 0 and len(os.sched_getaffinity(0)) >= 2:  # root may pin the server's processes
        assert placed["pinned"] and placed["server_cores"] != placed["client_cores"], placed
    else:
        assert placed["pinned"] or placed["why"], placed
