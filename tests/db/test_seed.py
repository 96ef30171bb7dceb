"""Seeding on the real server: counts, manifest, reuse, interrupted seeds, orphans."""
import subprocess
import sys
import time

import pytest

from bench.db import pg
from bench.seeding import seed
from bench.seeding.plan import Plan
from bench.seeding.tables import row_counts

pytestmark = pytest.mark.db


def test_xs_seed_matches_the_plan_and_is_complete(xs_star):
    m = xs_star.manifest
    assert m["status"] == "complete"
    assert m["rows"] == row_counts(Plan("xs"))
    assert len(m["fingerprint"]) == 64
    with pg.connect(xs_star.dsn) as conn:
        profiles_without_state = conn.execute(
            "SELECT count(*) FROM profiles p LEFT JOIN user_state s ON s.user_id = p.id WHERE s.user_id IS NULL").fetchone()
        assert profiles_without_state == (0,)
        trigger = conn.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = 'on_auth_user_created'").fetchone()
        assert trigger == ("O",)
        unvalidated = conn.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND NOT convalidated").fetchone()
        assert unvalidated == (0,)


def test_same_seed_gives_same_fingerprint_in_the_database(server, xs_star, xs_relational):
    assert xs_star.manifest["fingerprint"] == xs_relational.manifest["fingerprint"]


def test_matching_manifest_is_reused(server, xs_star):
    again = seed.seed(server, seed.Request(scale="xs"), progress=False)
    assert again.reused and again.manifest["completed_at"] == xs_star.manifest["completed_at"]


def test_failed_seed_is_not_reported_complete_and_is_redone(server, monkeypatch):
    req = seed.Request(scale="xs", variant="star_nofk")

    def broken(*args, **kwargs):
        raise RuntimeError("generator died")

    monkeypatch.setattr(seed, "copy_table", broken)
    with pytest.raises(RuntimeError, match="generator died"):
        seed.seed(server, req, fresh=True, progress=False)
    monkeypatch.undo()
    assert seed.read_manifest(pg.with_dbname(server, req.database))["status"] == "started"
    assert seed.existing(server, req) is None
    redone = seed.seed(server, req, progress=False)
    assert not redone.reused and redone.manifest["status"] == "complete"


@pytest.mark.slow
def test_kill_9_mid_seed_is_detected_and_redone(server):
    req = seed.Request(scale="s", variant="star_nofk")
    dsn = pg.with_dbname(server, req.database)
    proc = subprocess.Popen([sys.executable, "-m", "bench", "seed", "--scale", "s", "--variant", "star_nofk",
                             "--fresh", "--no-progress"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if pg.has_marker(dsn) and (seed.read_manifest(dsn) or {}).get("status") == "started":
                break
        except Exception:
            pass
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    assert (seed.read_manifest(dsn) or {}).get("status") != "complete"
    assert seed.existing(server, req) is None
    out = subprocess.run([sys.executable, "-m", "bench", "seed", "--scale", "s", "--variant", "star_nofk",
                          "--no-progress"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "seeded in" in out.stdout
    assert seed.existing(server, req) is not None


def test_orphans_seeded_in_star_are_profile_less_users(server):
    req = seed.Request(scale="xs", variant="star", orphans=0.02)
    result = seed.seed(server, req, progress=False)
    assert result.manifest["orphan_classes"] == ["profile_missing"]
    with pg.connect(result.dsn) as conn:
        orphans = conn.execute("SELECT count(DISTINCT r.user_id) FROM user_roles r "
                               "LEFT JOIN profiles p ON p.id = r.user_id WHERE p.id IS NULL").fetchone()
    assert orphans == (20,)


def test_seeded_tables_have_their_keys_and_a_set_visibility_map(xs_star):
    """The parallel finish left no table without its primary key, and VACUUM set every page
    all-visible (index-only scans and the reads depend on it)."""
    tables = list(xs_star.manifest["rows"])
    with pg.connect(xs_star.dsn) as conn:
        rows = conn.execute(
            "SELECT c.oid::regclass::text, c.relpages, c.relallvisible, "
            "EXISTS (SELECT FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p') "
            "FROM pg_class c WHERE c.oid = ANY(%s::regclass[])", (tables,)).fetchall()
    assert len(rows) == len(tables)
    for name, pages, all_visible, has_pkey in rows:
        assert has_pkey, name
        assert pages > 0 and all_visible == pages, (name, pages, all_visible)


def test_a_generator_failure_mid_table_rolls_the_table_back(server, xs_star):
    """COPY runs in the transaction that emptied the table: rows of a failed table never commit."""
    from bench.seeding.columns import Fingerprint, Spec
    from bench.seeding.tables import specs

    profiles = next(s for s in specs(Plan("xs")) if s.name == "public.profiles")

    def broken():
        yield next(profiles.batches()).slice(0, 10)  # ten rows written, then the generator dies
        raise RuntimeError("generator died")

    req = seed.Request(scale="xs", variant="star_nofk")
    seeded = seed.seed(server, req, progress=False)
    with pytest.raises(RuntimeError, match="generator died"):
        seed.copy_table(seeded.dsn, Spec(profiles.name, profiles.columns, profiles.rows, broken), Fingerprint(), False)
    with pg.connect(seeded.dsn) as conn:
        assert conn.execute("SELECT count(*) FROM public.profiles").fetchone() == (profiles.rows,)  # as seeded
