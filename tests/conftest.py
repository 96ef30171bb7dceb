"""Shared fixtures: the session's PostgreSQL (embedded, or $BENCH_DSN) and seeded xs datasets."""
from __future__ import annotations

import pytest

from bench.db import pg
from bench.seeding import seed


@pytest.fixture(scope="session")
def server() -> str:
    """Maintenance DSN of the server the database tests use (started once per session)."""
    return pg.server_dsn()


@pytest.fixture(scope="session")
def xs_star(server) -> seed.Result:
    return seed.seed(server, seed.Request(scale="xs", variant="star"), progress=False)


@pytest.fixture(scope="session")
def xs_relational(server) -> seed.Result:
    return seed.seed(server, seed.Request(scale="xs", variant="relational"), progress=False)


@pytest.fixture
def scratch_db(server, request):
    """An empty suite database (with the marker) named after the test."""
    name = "bench_t_" + request.node.name.lower().replace("[", "_").replace("]", "").replace("-", "_")[:40]
    return pg.create_database(server, name)


@pytest.fixture(scope="session")
def xs_quick_run(server, xs_star, tmp_path_factory):
    """One quick run of every experiment at xs, shared by the read-path and notebook tests."""
    from bench.experiments.runner import run_experiments

    return run_experiments(server, seed.Request(scale="xs"), [], quick=True, root=tmp_path_factory.mktemp("results"))


@pytest.fixture(scope="session")
def run_alone(tmp_path_factory):
    """`run_alone(name)`: that experiment run alone, as its own command, on a fresh xs dataset of a
    private cluster (tests/alone.py), once per session."""
    from alone import Alone

    alone = Alone(tmp_path_factory.mktemp("alone"))
    yield alone
    alone.close()


@pytest.fixture(scope="session")
def reference_record() -> dict:
    """The committed reference run's findings record as `claims.record(run)` makes it (about 20 s:
    computed once for the tests that read it)."""
    from bench import config
    from bench.report import claims
    from bench.results import store

    return claims.record(store.load(config.REFERENCE))
