"""An experiment run alone on a fresh dataset makes what it needs itself: `run rls` right after a
fresh seed used to fail on public.get_account_bundle, which only read_paths applied."""
import psycopg
import pytest

from bench.experiments import rls
from bench.experiments.common import Context
from bench.seeding import seed

pytestmark = pytest.mark.db

FUNCTIONS = ("get_account_bundle", "get_account_paged_bundle", "get_chat_bundle")


def _functions(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_proc WHERE proname = ANY(%s)", (list(FUNCTIONS),)).fetchone()[0]


def test_rls_runs_on_a_dataset_without_the_rpc_functions(server, xs_star):
    with psycopg.connect(xs_star.dsn, autocommit=True) as conn:  # as a fresh seed leaves it
        for name in FUNCTIONS:
            conn.execute(f"DROP FUNCTION IF EXISTS public.{name}(uuid)")
    assert _functions(xs_star.dsn) == 0
    rows = rls.run(Context(server, xs_star.dsn, seed.Request(scale="xs"), xs_star.manifest, quick=True))
    assert len(rows) > 0 and _functions(xs_star.dsn) == len(FUNCTIONS)
