"""Cross-service queries at xs: every approach returns the same users (and the users a plain
reading of the tables gives), a deliberately wrong approach fails the run, the ORM loaders return
the raw page with the statement counts their strategy implies, and a quick run validates."""
import random

import pytest

from bench.db import pg
from bench.experiments import cross_service
from bench.experiments import cross_service_orm as orm_part
from bench.experiments.common import AnswerMismatch
from bench.experiments.runner import run_experiments
from bench.measure import bundles, cross, orm, strategies
from bench.results import store as results
from bench.seeding import seed

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def dsns(xs_star, xs_relational):
    return {"star": pg.tcp_dsn(xs_star.dsn), "relational": pg.tcp_dsn(xs_relational.dsn)}


@pytest.fixture(scope="module")
def now(dsns):
    with pg.connect(dsns["star"]) as conn:
        return cross.reference_time(conn)


@pytest.fixture(scope="module")
def answers(dsns, now):
    """query -> approach -> sorted user ids."""
    out = {}
    with strategies.Source(dsns["star"]) as star, strategies.Source(dsns["relational"]) as rel:
        for name, q in cross.QUERIES.items():
            out[name] = {a: fn(rel if a == "join_relational" else star, q, now).answer
                         for a, fn in cross.APPROACHES.items()}
    return out


@pytest.mark.parametrize("query", list(cross.QUERIES))
def test_every_approach_returns_the_same_users(answers, query):
    got = answers[query]
    assert got["join_star"], f"{query} finds nobody at xs: the equality check would prove nothing"
    assert all(ids == got["join_star"] for ids in got.values()), {a: len(ids) for a, ids in got.items()}
    assert len(set(got["join_star"])) == len(got["join_star"])  # each user once


def _table(dsn, sql, params=None):
    with pg.connect(dsn) as conn:
        return conn.execute(sql, params).fetchall()


def test_the_memo_query_matches_a_plain_reading_of_the_tables(dsns, answers):
    profiles = _table(dsns["star"], "SELECT id::text, full_name, avatar_url FROM profiles")
    admins = {u for u, r in _table(dsns["star"], "SELECT user_id::text, role FROM user_roles") if r == "admin"}
    expected = sorted(i for i, name, avatar in profiles if i in admins and (name is None or avatar is None))
    assert answers["admin_incomplete"]["join_star"] == expected


def test_quiet_admins_match_a_plain_reading_of_the_tables(dsns, now, answers):
    last = dict(_table(dsns["star"], "SELECT user_id::text, max(created_at) FROM auth_audit_log GROUP BY 1"))
    admins = {u for u, r in _table(dsns["star"], "SELECT user_id::text, role FROM user_roles") if r == "admin"}
    cutoff = _table(dsns["star"], "SELECT %s::timestamptz - interval '90 days'", (now,))[0][0]
    expected = sorted(u for u in admins if last.get(u) is None or last[u] <= cutoff)
    assert answers["admins_quiet_audit"]["join_star"] == expected


def _drops_last_user(src, q, now):
    outcome = cross.services_chained(src, q, now)
    outcome.answer = outcome.answer[:-1]
    return outcome


def _repeats_a_user(src, q, now):
    outcome = cross.services_parallel(src, q, now)
    outcome.answer = sorted(outcome.answer + outcome.answer[:1])
    return outcome


@pytest.mark.parametrize("approach, wrong", [("services_chained", _drops_last_user),
                                             ("services_parallel", _repeats_a_user)])
def test_a_wrong_approach_fails_the_run_and_writes_nothing(server, xs_star, xs_relational, monkeypatch, tmp_path,
                                                           approach, wrong):
    monkeypatch.setitem(cross.APPROACHES, approach, wrong)
    with pytest.raises(AnswerMismatch, match=approach):
        run_experiments(server, seed.Request(scale="xs"), ["cross_service"], quick=True, root=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def pager(dsns):
    """Per test: its three sessions must not stay on the dataset while the module's quick run
    copies it as a template (evolution's scratch copy needs it idle)."""
    p = orm_part.Pager(dsns["star"], 20)
    yield p
    p.close()


@pytest.fixture(scope="module")
def cursors(dsns):
    with pg.connect(dsns["star"]) as conn:
        return orm_part.page_cursors(conn, random.Random(7), 3, 20)


@pytest.fixture(scope="module")
def types(dsns):
    with pg.connect(dsns["star"]) as conn:
        return bundles.column_types(conn)


def test_orm_loaders_return_the_raw_page(pager, types, cursors):
    assert orm_part.same_pages(pager, orm_part.DEFAULT.loaders, cursors, types)


@pytest.mark.parametrize("loader, statements", [("orm_lazy", 1 + 2 * 20), ("orm_selectin", 3), ("orm_joined", 1),
                                                ("orm_subquery", 3), ("raw_loop_json", 1 + 20), ("raw_page_json", 1)])
def test_statements_per_page(pager, cursors, loader, statements):
    page, sent = orm_part.load(pager, loader, cursors[0])
    assert len(page) == 20 and sent == statements


def test_a_wrong_orm_page_is_caught(pager, types, cursors, monkeypatch):
    real = orm._rows

    def drops_an_audit_entry(objects):
        cols, rows = real(objects)
        return cols, rows[:-1] if cols and "action" in cols else rows
    monkeypatch.setattr(orm, "_rows", drops_an_audit_entry)
    with pytest.raises(AnswerMismatch, match="orm_lazy"):
        orm_part.same_pages(pager, orm_part.DEFAULT.loaders, cursors[:1], types)


@pytest.mark.slow
def test_quick_cross_service_run_is_valid_and_complete(xs_quick_run):
    assert results.validate(xs_quick_run) == []
    table = results.load(xs_quick_run).table("cross_service")
    s = results.summary(xs_quick_run)
    s = s[s.experiment == cross_service.NAME]
    queries = s[s.condition != orm_part.CONDITION].groupby(["condition", "strategy"]).size()
    assert len(queries) == len(cross.QUERIES) * len(cross.APPROACHES)
    pages = s[s.condition == orm_part.CONDITION].groupby(["strategy", "rtt_ms"]).size()
    assert len(pages) == len(orm_part.QUICK.loaders) * len(orm_part.QUICK.rtts_ms)
    eq = table[table.record == "equivalence"]
    assert set(eq.condition) == set(cross.QUERIES) | {orm_part.CONDITION}
    moved = table[table.record == "bytes"]
    assert (moved.bytes > 0).all() and (table[table.record == "memory"].peak_bytes > 0).all()


@pytest.mark.parametrize("loader", list(orm_part.DEFAULT.loaders))
def test_round_trips_per_page_from_the_protocol_trace(pager, cursors, loader):
    orm_part.load(pager, loader, cursors[1])  # warm
    _, statements = orm_part.load(pager, loader, cursors[1])
    trips = orm_part.round_trips(pager, loader, cursors[1])
    if loader in orm_part.RAW:
        assert trips == statements  # autocommit: one wait per statement
    else:  # a session: BEGIN and ROLLBACK besides the statements (and the driver's own Parse/DEALLOCATE)
        assert trips >= statements + 2
