import numpy as np
import pytest

from bench import config
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
    owner, t = plan_s.audit
    assert np.all(np.diff(t) >= 0)
    first_user = owner[0]
    positions = np.flatnonzero(owner == first_user)
    assert positions[-1] - positions[0] > 10 * len(positions)  # spread over the table


def test_signups_spread_over_history(plan_s):
    days = plan_s.signup_us / 86_400e6
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
