"""Caching: a cold cell really reads blocks; warm cells do not; users come from the whole population."""
import random

import pytest

from bench.db import pg, schema
from bench.experiments import caching
from bench.measure import blockstats, bundles, eviction, strategies

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def indexed(xs_star):
    schema.run_files(xs_star.dsn, ("schema/stats.sql", "variants/indexed.sql"))
    return caching.with_io_timing(xs_star.dsn)


@pytest.fixture
def ctl(indexed):
    with pg.connect(indexed, autocommit=True) as conn:
        yield conn


def test_eviction_empties_shared_buffers_and_the_next_read_comes_from_disk(ctl):
    bundle = bundles.load("account")
    ev = eviction.Evictor(ctl, list(bundle.parts), local=True)
    uid = caching.sample(ctl, "uniform", 1, 1)[0]
    blockstats.explain(ctl, bundle.join_json, uid)  # pages in
    assert ev.cached_buffers() > 0
    ev.checkpoint()
    done = ev.evict()
    assert done.os_cache == "dropped" and done.files_dropped > 0 and done.buffers_evicted > 0
    assert ev.cached_buffers() == 0
    cold = blockstats.explain(ctl, bundle.join_json, uid)
    warm = blockstats.explain(ctl, bundle.join_json, uid)
    assert cold["shared_read"] > 0 and cold["read_ms"] > 0  # track_io_timing is on in these cells
    assert warm["shared_read"] == 0 and warm["shared_hit"] > 0


def test_an_external_server_keeps_its_os_cache_with_a_reason(ctl):
    ev = eviction.Evictor(ctl, ["profiles"], local=False)
    done = ev.evict()
    assert done.files_dropped == 0 and done.os_cache.startswith("not dropped: not local")


@pytest.mark.parametrize("name", ["star_sequential", "join_json"])
def test_cold_cells_read_blocks_and_warm_cells_only_hit(indexed, ctl, name):
    bundle = bundles.load("account")
    ev = eviction.Evictor(ctl, list(bundle.parts), local=True)
    users = caching.sample(ctl, "uniform", 3, 4)
    with strategies.Source(indexed) as src:
        cold = caching.cell(src, ctl, ev, bundle, name, "cold", users, caching.QUICK, {})
        warm = caching.cell(src, ctl, ev, bundle, name, "warm", users, caching.QUICK, {})
    cold_b, warm_b = cold[-1], warm[-1]
    per_request = len(bundle.parts) if name.startswith("star") else 1
    assert cold_b["calls"] == warm_b["calls"] == per_request * len(users)
    assert cold_b["shared_read_per_request"] > 0 and cold_b["read_us_per_request"] > 0
    assert warm_b["shared_read_per_request"] == 0 and warm_b["shared_hit_per_request"] > 0
    assert all(r["os_cache"] == "dropped" for r in cold if r["record"] == "request")


def test_samples_cover_the_population_and_activity_weights_heavy_users(ctl):
    uniform = caching.sample(ctl, "uniform", 5, 200)
    assert len(set(uniform)) == 200 and uniform == caching.sample(ctl, "uniform", 5, 200)
    assert uniform != caching.sample(ctl, "uniform", 6, 200)
    active = caching.sample(ctl, "activity", 5, 200)
    rows = dict(ctl.execute("SELECT user_id::text, count(*) FROM auth_audit_log GROUP BY 1").fetchall())
    mean = lambda ids: sum(rows.get(u, 0) for u in ids) / len(ids)  # noqa: E731
    assert all(u in rows for u in active) and mean(active) > 1.3 * mean(uniform)
    random.Random(0)  # same seed, same users: the order is the sample's, not Python's


def test_small_buffers_pass_runs_under_the_tagged_setting_and_records_it(server, xs_star):
    """The tagged pass: every row carries shared_buffers 16MB, run.json's tagged_settings says
    so, and the server comes back with its own setting."""
    from bench.config import dsn_from_env
    from bench.db import restart
    from bench.experiments.common import Context

    if dsn_from_env():
        pytest.skip("restarts the embedded server only")
    before = restart.current(server, ["shared_buffers"])
    from bench.seeding import seed
    ctx = Context(server, xs_star.dsn, seed.Request(scale="xs"), xs_star.manifest, quick=True)
    t = caching.small_buffers(ctx)
    req = t[t.record == "request"]
    assert set(req.cache) == {"small_buffers"} and set(t.shared_buffers) == {caching.SMALL_BUFFERS}
    assert set(req.strategy) == set(strategies.STRATEGIES) and (req.latency_us > 0).all()
    assert caching.run_meta(t) == {"tagged_settings": {"caching small_buffers cells": {"shared_buffers": "16MB"}}}
    assert restart.current(server, ["shared_buffers"]) == before
