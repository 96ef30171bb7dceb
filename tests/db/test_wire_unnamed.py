"""Wire on a connection made with prepare_threshold=None sends unnamed statements (the pooler's
fall-back); by default it prepares by name. Both return the same rows, batched or not."""
from __future__ import annotations

import psycopg
import pytest

from bench.measure import strategies
from bench.measure.wire import Wire

pytestmark = pytest.mark.db

NAMED = "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'bench_%'"


@pytest.mark.parametrize("prepared", [True, False])
def test_unnamed_statements_leave_nothing_prepared(xs_star, prepared):
    with psycopg.connect(xs_star.dsn, **strategies.connect_kwargs(prepared)) as conn:
        wire = Wire(conn)
        assert wire.prepared is prepared
        assert wire.execute("SELECT $1::int + 1", [b"41"]).get_value(0, 0) == b"42"
        results = wire.batch([("SELECT $1::int * 2", [b"21"]), ("SELECT $1::text", [b"x"])])
        assert [r.get_value(0, 0) for r in results] == [b"42", b"x"]
        assert conn.execute(NAMED).fetchone()[0] == (3 if prepared else 0)
