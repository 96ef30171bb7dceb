"""pgbench and node-postgres as read-path clients: the same users in the given order, a fixed
number of requests, and answers that must match the canonical checksum."""
import pytest

from bench.db import pg
from bench.experiments import common as checks
from bench.experiments import read_paths_clients as rpc
from bench.measure import bundles
from bench.measure.clients import node, pgbench

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def setup(xs_star):
    tcp = pg.tcp_dsn(xs_star.dsn)
    users = [u["id"] for u in checks.sample_users(xs_star.dsn, 42, 1)]
    b = bundles.load("account")
    return tcp, users, b, checks.same_answer(tcp, b, users, ("star_sequential",))


@pytest.mark.parametrize("strategy", pgbench.STRATEGIES)
def test_pgbench_block_walks_the_given_order(setup, strategy):
    tcp, users, b, _ = setup
    order = list(reversed(range(len(users))))
    records = pgbench.block(tcp, b, strategy, users, order, len(users) + 3, warmup=2)
    assert [r["user_idx"] for r in records] == order + order[:3]
    assert all(r["latency_us"] > 0 for r in records)


def test_pgbench_statements_give_the_canonical_answer_and_a_wrong_one_fails(setup, monkeypatch):
    tcp, users, b, expected = setup
    rpc.check_answers(tcp, b, users, expected)
    real = pgbench.statements
    monkeypatch.setattr(pgbench, "statements",
                        lambda bundle, s: [q + " ORDER BY 1 LIMIT 1" if "auth_audit_log" in q and s.startswith("star")
                                           else q for q in real(bundle, s)])
    with pytest.raises(checks.AnswerMismatch, match="pgbench's star_sequential"):
        rpc.check_answers(tcp, b, users, expected)


def test_node_postgres_answers_and_records(setup):
    why = node.missing()
    if why:
        pytest.skip(why)
    tcp, users, b, expected = setup
    order = list(range(len(users)))
    blocks = [{"rep": 0, "strategy": s, "order": order, "requests": len(users), "warmup": 1} for s in node.STRATEGIES]
    answers, records = node.run(tcp, b, users, blocks, verify=True)
    rpc._check_node(tcp, b, answers, users, expected)
    for s in node.STRATEGIES:
        assert [r["user_idx"] for r in records if r["strategy"] == s] == order
    answers[-1]["answer"]["auth_audit_log"] = answers[-1]["answer"]["auth_audit_log"][:-1] or [{"id": 0}]
    with pytest.raises(checks.AnswerMismatch, match="node-postgres"):
        rpc._check_node(tcp, b, answers, users, expected)
