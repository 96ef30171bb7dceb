import tracemalloc

import numpy as np
import pytest

from bench import config
from bench.seeding import chat, plan, pools, tables
from bench.seeding.plan import Plan
from bench.seeding.tables import fingerprint, row_counts


def test_scales_are_named_and_growing():
    users = [config.scale(name).users for name in ("xs", "s", "m", "l", "xl")]
    assert users == [1_000, 10_000, 100_000, 1_000_000, 10_000_000]
    with pytest.raises(config.UsageError, match="unknown scale 'q'"):
        config.scale("q")


def test_same_seed_same_fingerprint_other_seed_other():
    a, b, c = fingerprint(Plan("xs", seed=7)), fingerprint(Plan("xs", seed=7)), fingerprint(Plan("xs", seed=8))
    assert a == b
    assert a != c


def test_locale_changes_the_data():
    assert fingerprint(Plan("xs", seed=7)) != fingerprint(Plan("xs", seed=7, locale="de_DE"))


@pytest.fixture(scope="module")
def plan_s():
    return Plan("s")


def test_roles_one_to_three_mostly_one(plan_s):
    roles = plan_s.fan_out()["user_roles"]
    assert roles.min() == 1 and roles.max() == 3
    assert 0.75 < (roles == 1).mean() < 0.85


def test_audit_lognormal_median_near_ten_heavy_tail(plan_s):
    audit = plan_s.fan_out()["auth_audit_log"]
    assert 8 <= np.median(audit) <= 11
    assert audit.max() >= 300  # heavy tail at s; into the thousands at m and l
    assert audit.max() > 20 * np.median(audit)
    assert (audit == 0).any()  # some users never produce an audit row


def test_sessions_geometric_mean_near_five(plan_s):
    sessions = plan_s.fan_out()["chat_sessions"]
    assert 4.5 < sessions.mean() < 5.5
    assert (sessions == 0).any()


def test_spoke_rows_in_time_order_not_clustered_by_user(plan_s):
    owner, t = plan_s.audit.all()
    assert np.all(np.diff(t) >= 0)
    first_user = owner[0]
    positions = np.flatnonzero(owner == first_user)
    assert positions[-1] - positions[0] > 10 * len(positions)  # spread over the table


def test_signups_spread_over_history(plan_s):
    days = plan_s.signup(np.arange(plan_s.n)) / 86_400e6
    assert days.min() < 30 and days.max() > config.SHAPES.history_days - 30


def test_orphans_only_in_allowed_classes():
    plan = Plan("xs", orphans=0.05, orphan_classes=("profile_missing",))
    assert plan.has_user.all()
    assert (~plan.has_profile).sum() == 50
    both = Plan("xs", orphans=0.05)
    assert (~both.has_user).sum() == 50 and (~both.has_profile).sum() == 100
    counts = row_counts(both)
    assert counts["auth.users"] == 950 and counts["public.profiles"] == 900


def test_orphans_out_of_range_is_a_usage_error():
    with pytest.raises(config.UsageError, match="--orphans"):
        Plan("xs", orphans=0.7)


@pytest.fixture
def small_windows(monkeypatch):
    """Windows, user blocks and message slices far smaller than a table, as xl streams at l."""
    monkeypatch.setattr(plan, "WINDOW_ROWS", 4_000)
    monkeypatch.setattr(plan, "BLOCK", 1_024)
    monkeypatch.setattr(chat, "SLICE", 512)


def test_streamed_rows_match_the_counts_and_stay_in_time_order(small_windows):
    p = Plan("xs")
    specs = {s.name: s for s in tables.specs(p)}
    for spec in specs.values():
        batches = list(spec.batches())
        assert sum(b.num_rows for b in batches) == spec.rows, spec.name
        for column in ("created_at", "granted_at"):
            if column in spec.columns:
                t = [v for b in batches for v in b.column(column).to_pylist()]  # ISO text, UTC
                assert all(x <= y for x, y in zip(t, t[1:])), spec.name
    owner, t = p.audit.all()
    assert np.all(t >= p.signup(owner))  # no audit row before its user signed up
    assert len(p.audit.edges) > 3  # the case is really streamed over several windows


def test_ids_are_unique_and_signups_increase():
    p = Plan("s")
    u = np.arange(p.n)
    assert np.all(np.diff(p.signup(u)) >= 0)
    assert len(set(tables.People(p, pools.build(1, "en_US")).ids(u).to_pylist())) == p.n
    t = p.signup(np.array([0, 5_000, p.n - 1]))
    assert list(p.users_before(t)) == [0, 5_000, p.n - 1] or list(p.users_before(t + 1)) == [1, 5_001, p.n]


def _peak_bytes(scale: str, faker_pools) -> int:
    """Peak of numpy/Python memory while planning a scale and streaming every row of it."""
    tracemalloc.start()
    try:
        p = Plan(scale)
        for spec in tables.build_specs(p, faker_pools):
            for _ in spec.batches():
                pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_of_planning_and_streaming_does_not_grow_with_the_rows(small_windows):
    """s has 10x the rows of xs; streamed, its peak may only grow by the per-user arrays
    (8 bytes a user for the rates, 16 for the last sessions), not by the rows."""
    faker_pools = pools.build(config.DEFAULT_SEED, config.DEFAULT_LOCALE)
    xs, s = _peak_bytes("xs", faker_pools), _peak_bytes("s", faker_pools)
    per_user = 24 * (config.scale("s").users - config.scale("xs").users)
    assert s < 1.25 * xs + 2 * per_user, f"peak {s / 1e6:.1f} MB at s against {xs / 1e6:.1f} MB at xs"
