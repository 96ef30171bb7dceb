"""Concurrency at xs on the real server: an injected pg_sleep stall charged by the open loop to
the requests behind it, the invariant checker catching a deliberately torn read (and passing a
REPEATABLE READ one), the dataset restored after the writer, worker processes merged, and the
quick run's table."""
import numpy as np
import pytest

from bench.db import pg
from bench.experiments import common as checks
from bench.measure import bundles, consistency, loadgen, loadrun, strategies
from bench.results import store as results
from bench.sql import sql_text

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def tcp(xs_star):
    return pg.tcp_dsn(xs_star.dsn)


@pytest.fixture(scope="module")
def users(xs_star):
    return tuple(str(u["id"]) for u in checks.sample_users(xs_star.dsn, 42, 1))


def test_open_loop_charges_an_injected_pg_sleep_to_the_requests_behind_it(tcp, users):
    stall_s, every_s = 0.3, 0.01
    schedule = np.arange(1, 41) * every_s
    bundle = bundles.load("account")
    with loadgen.SharedPool(tcp, budget=1) as shared:
        fetch = loadgen.strategy_op(shared, "join_json", bundle, list(users))

        def op(i):
            if i == 5:
                with shared.lease() as lease:
                    lease.wire.execute("SELECT pg_sleep($1)", [str(stall_s).encode()])
                return lease.wait_ns
            return fetch(i)
        s = loadgen.open_loop(op, schedule, senders=1, warmup_s=0.0)
    assert s.errors == 0 and len(s.end) == len(schedule)
    order = np.argsort(s.intended)
    us = {k: v[order] for k, v in s.arrays_us().items()}
    assert us["service_us"][5] >= stall_s * 1e6  # the stalled request itself
    behind = [k for k in range(6, len(schedule)) if schedule[k] < schedule[5] + stall_s]
    assert len(behind) >= 20
    for k in behind:  # from its intended start, each waited at least until the stall was over
        owed_us = (schedule[5] + stall_s - schedule[k]) * 1e6
        assert us["latency_us"][k] >= owed_us * 0.999 and us["lag_us"][k] >= owed_us * 0.999


def _snapshot(conn):
    return conn.execute(
        "SELECT (SELECT count(*) FROM user_roles WHERE role LIKE 'bench:%'),"
        " (SELECT count(*) FROM auth_audit_log WHERE action = 'bench_grant'),"
        " (SELECT count(*) FROM chat_sessions WHERE adk_session_id LIKE 'bench:%'),"
        " (SELECT md5(string_agg(user_id::text || coalesce(current_session_id::text, '-'), ',' ORDER BY user_id))"
        "  FROM user_state),"
        " (SELECT string_agg(last_value::text, ',' ORDER BY sequencename) FROM pg_sequences"
        "  WHERE sequencename IN ('user_roles_id_seq', 'auth_audit_log_id_seq'))").fetchone()


def _part(src, bundle, part, user):
    cols, rows, _, _ = strategies._decode(src, src.wire, src.wire.execute(bundle.single[part], [user.encode()]))
    return cols, rows


@pytest.mark.parametrize("bundle_name,first,second", [("account", "user_roles", "auth_audit_log"),
                                                      ("chat", "chat_sessions", "user_state")])
def test_invariant_catches_a_deliberately_torn_read_and_the_dataset_is_restored(tcp, bundle_name, first, second):
    bundle = bundles.load(bundle_name)
    check = consistency.INVARIANTS[bundle_name]
    with pg.connect(tcp) as conn:
        before = _snapshot(conn)
    with consistency.dedicated(tcp, seed=42, n=2) as dedicated:
        user = dedicated[0]
        writer = consistency.Writer(tcp, bundle_name, dedicated, 0)
        with strategies.Source(tcp) as src, writer.running():
            whole = strategies.star_sequential(src, bundle, user).answer
            assert check(whole)  # no write in between: consistent
            torn = dict(whole)
            torn[first] = _part(src, bundle, first, user)
            writer.write(), writer.write()  # both users written: `user`'s spokes change together
            torn[second] = _part(src, bundle, second, user)
            assert not check(torn), "a read with its parts on both sides of a write must be flagged"
            src.wire.execute(consistency.BEGIN_RR, [])  # the same interleaving under one snapshot
            rr = dict(whole)
            rr[first] = _part(src, bundle, first, user)
            writer.write(), writer.write()
            rr[second] = _part(src, bundle, second, user)
            src.wire.execute("COMMIT", [])
            assert check(rr)
            for (strategy, isolation), read in consistency.READERS.items():
                assert check(read(src, bundle, user).answer), (strategy, isolation)
    with pg.connect(tcp) as conn:
        assert _snapshot(conn) == before


def test_a_cell_over_two_worker_processes_merges_their_histograms(tcp, users):
    cell = loadrun.Cell(tcp, "join_json", "account", users, clients=4, workers=2, duration_s=0.2, warmup_s=0.1,
                        reps=2, budget=4)
    with loadrun.Runner(max_workers=2) as runner:
        rows = runner.run(cell)
    assert [r["rep"] for r in rows] == [0, 1]
    for r in rows:
        assert r["workers"] == 2 and r["errors"] == 0 and r["requests"] > 0
        from hdrh.histogram import HdrHistogram
        assert HdrHistogram.decode(r["hist_latency"].encode()).get_total_count() == r["requests"]
        assert r["server_cpu_cores"] is not None and r["client_cpu_cores"] > 0


def test_wide_join_holds_more_relation_locks_than_sixteen(tcp, users):
    from bench.experiments import locks
    wide = locks.relation_locks(tcp, sql_text(locks.QUERIES["wide_join"]), users[0])
    narrow = locks.relation_locks(tcp, sql_text(locks.QUERIES["narrow_join"]), users[0])
    assert wide["locks_planned"] > 16 > narrow["locks_planned"]
    assert wide["locks"] > narrow["locks"]


def test_quick_run_table(xs_quick_run):
    run = results.load(xs_quick_run)
    t = run.table("concurrency")
    assert {"load", "consistency"} <= set(t.record)
    locks = run.table("locks")  # an experiment of its own: a second server can run it alone
    assert set(locks.record) == {"locks"} and set(locks.strategy) == {"narrow_join", "wide_join"}
    assert (locks.throughput_rps > 0).all() and (locks.locks > 0).all()
    load = t[t.record == "load"]
    assert (load.errors == 0).all() and (load.throughput_rps > 0).all()
    assert set(load["mode"]) == {"closed", "open"} and {0.0, 2.0} <= set(load.rtt_ms)
    c = t[t.record == "consistency"]
    consistent = c[c.condition != "read committed"]
    assert len(consistent) >= 4 and (consistent.torn == 0).all()  # one snapshot per read: never torn
    assert (c.reads > 0).all()


def test_pgbench_load_cell_counts_every_transaction_of_its_windows_and_the_open_loop_skips_late_ones(tcp, users):
    from hdrh.histogram import HdrHistogram

    from bench.measure.clients import pgbench_load
    closed = pgbench_load.run(pgbench_load.Cell(tcp, "join_json", "account", users, clients=4, duration_s=0.9,
                                                warmup_s=0.3, reps=3))
    assert [r["rep"] for r in closed] == [0, 1, 2]
    for r in closed:
        assert r["client"] == "pgbench" and r["connections"] == 4 and r["requests"] > 10 and r["skipped"] == 0
        assert HdrHistogram.decode(r["hist_latency"].encode()).get_total_count() == r["requests"]
        assert r["throughput_rps"] == r["requests"] / r["window_s"] and 0 < r["window_s"] <= 0.3 and r["server_cpu_cores"] > 0
    # offered far more than one connection can serve: the schedule falls behind, late transactions are skipped
    # and the rest carry their lag in the latency (measured from the schedule)
    late = pgbench_load.run(pgbench_load.Cell(tcp, "star_sequential", "account", users, mode="open", clients=1,
                                              budget=1, rate=50_000, duration_s=0.9, warmup_s=0.3, reps=1))
    assert late[0]["skipped"] > 0 and late[0]["lag_p50_us"] > 0
    assert late[0]["latency_p50_us"] >= late[0]["service_p50_us"]


def test_quick_run_loads_through_the_postgrest_tier(xs_quick_run):
    """Promise.all and the RPC through the tier, driven by node with the requests supabase-js
    makes, at both RTTs, a sham beside, no request failed, the tier's CPU measured apart."""
    run = results.load(xs_quick_run)
    t = run.table("concurrency")
    tier = t[t.client == "node-http"]
    assert run.meta["tier_load"].get("supabase-js"), run.meta["tier_load"]
    assert set(tier.record) == {"load", "load_sham"} and set(tier.strategy) == {"star_parallel", "rpc_bundle"}
    assert set(tier.rtt_ms) == {0.0, 2.0} and set(tier.envelope) == {"tier"}
    assert (tier.errors == 0).all() and (tier.requests > 0).all() and (tier.tier_cpu_cores > 0).all()
    assert set(zip(tier.strategy, tier.http_per_request)) == {("star_parallel", 3), ("rpc_bundle", 1)}
    assert (tier.client_side_cores >= tier.client_cpu_cores).all()


def test_a_tier_load_cell_counts_what_the_tier_refuses_as_errors_and_the_library_itself_runs(tcp, users):
    """The embed on the star is refused (PGRST200): the replayed requests fail and count as errors,
    none as served; the same cell through supabase-js itself serves every request."""
    from bench.measure import tier
    from bench.measure.clients import supabase, supabase_load
    if supabase.missing():
        pytest.skip(supabase.missing())
    tokens = tuple(supabase.bearers(tcp, list(users)))
    with tier.Process(tcp) as the_tier:
        addr = ("127.0.0.1", the_tier.port)
        refused = supabase_load.run(supabase_load.Cell("join_json", "account", users, tokens, clients=2, reps=1,
                                                       duration_s=0.2, warmup_s=0.1), addr, tcp, the_tier.pid)
        library = supabase_load.run(supabase_load.Cell("star_parallel", "account", users, tokens, clients=2, reps=1,
                                                       duration_s=0.2, warmup_s=0.1, driver="supabase-js"),
                                    addr, tcp, the_tier.pid)
    assert refused[0]["requests"] == 0 and refused[0]["errors"] > 0 and "PGRST200" in refused[0]["first_error"]
    assert library[0]["client"] == "supabase-js" and library[0]["errors"] == 0 and library[0]["requests"] > 0
