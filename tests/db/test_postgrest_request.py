"""The PostgREST request path against the real server: the statements PostgREST sends, in its
order and with its settings in force, Supabase Auth's claims, and one JSON body per request."""
import json
from datetime import datetime

import pytest
from psycopg import pq

from bench.db import pg
from bench.experiments import common as checks
from bench.measure import bundles, postgrest, strategies

pytestmark = pytest.mark.db

# What the main statement sees: proves set_config ran before it, inside a read-only transaction
PROBE = ("SELECT current_user AS who, current_setting('transaction_read_only') AS read_only, "
         "current_setting('transaction_isolation') AS isolation, current_setting('statement_timeout') AS timeout, "
         "current_setting('search_path') AS search_path, current_setting('request.method') AS method, "
         "current_setting('request.path') AS path, current_setting('request.headers')::json->>'x-client-info' AS client, "
         "current_setting('request.jwt.claims') AS claims, auth.uid() AS uid, $1::text AS asked")


@pytest.fixture(scope="module")
def tcp(xs_star):
    return pg.tcp_dsn(xs_star.dsn)


@pytest.fixture(scope="module")
def heaviest(xs_star):
    return next(u for u in checks.sample_users(xs_star.dsn, 42, 1) if u["kind"] == "heaviest")


def _run(src, query, user_id, path):
    res = strategies._send(src, src.wire, query, user_id, path)
    return strategies._decode(src, src.wire, res)


def test_main_statement_runs_after_begin_read_only_and_the_tx_vars(tcp, heaviest):
    with strategies.Source(tcp, rest=True) as src:
        cols, rows, _, _ = _run(src, PROBE, heaviest["id"], "/profiles")
        seen = dict(zip(cols, rows[0]))
        assert src.wire.pgconn.transaction_status == pq.TransactionStatus.IDLE  # COMMIT ran
        after = src.wire.conn.execute("SELECT current_user, current_setting('request.jwt.claims', true)").fetchone()
    assert seen["who"] == "authenticated" and seen["read_only"] == "on" and seen["isolation"] == "read committed"
    assert seen["timeout"] == "8s" and seen["search_path"] == postgrest.SEARCH_PATH
    assert (seen["method"], seen["path"], seen["client"]) == ("GET", "/profiles", postgrest.CLIENT_INFO)
    assert seen["uid"] == seen["asked"] == str(heaviest["id"])
    assert after[0] != "authenticated" and not after[1]  # set_config(..., true) ended with the transaction


def test_claims_are_supabase_auths_and_of_its_size(tcp, heaviest):
    with strategies.Source(tcp, rest=True) as src:
        cols, rows, _, _ = _run(src, PROBE, heaviest["id"], "/profiles")
        email = src.wire.conn.execute("SELECT email FROM auth.users WHERE id = %s", (heaviest["id"],)).fetchone()[0]
    text = dict(zip(cols, rows[0]))["claims"]
    claims = json.loads(text)
    assert set(claims) == {"iss", "sub", "aud", "exp", "iat", "email", "phone", "app_metadata", "user_metadata",
                           "role", "aal", "amr", "session_id", "is_anonymous"}
    assert claims["sub"] == str(heaviest["id"]) and claims["email"] == email and claims["role"] == "authenticated"
    assert 450 <= len(text) <= 1000, len(text)


def _messages(trace: str):
    """(timestamp, direction, message, arguments) per line of a libpq trace."""
    for line in trace.splitlines():
        stamp, direction, _length, message, *args = line.split("\t")
        yield datetime.fromisoformat(stamp), direction, message, (args or [""])[0]


def _bound(trace: str, names: dict[bytes, str]) -> list[str]:
    """Each statement the client bound, and '|' where it waited for the server's
    ReadyForQuery before sending more."""
    out = []
    for _, direction, message, args in _messages(trace):
        if direction == "F" and message == "Bind":
            out.append(names[args.split()[1].strip('"').encode()])
        elif direction == "B" and message == "ReadyForQuery" and out and out[-1] != "|":
            out.append("|")
    return out


def _request(query: str) -> list[str]:
    return [postgrest.BEGIN, "|", postgrest.tx_vars_statement("authenticated"), "|",
            postgrest.main_statement(query, "u")[0], "|", postgrest.COMMIT, "|"]


def test_statements_are_sent_in_postgrests_order_each_awaited(tcp, heaviest, tmp_path):
    b = bundles.load("account")
    with strategies.Source(tcp, rest=True) as src:
        strategies.star_sequential(src, b, heaviest["id"])  # prepares every statement (Parse, untraced)
        with open(tmp_path / "trace", "w") as f:
            src.wire.pgconn.trace(f.fileno())
            strategies.star_sequential(src, b, heaviest["id"])
            src.wire.pgconn.untrace()
        names = {v: k for k, v in src.wire.names.items()}
        prepared = {r[0] for r in src.wire.conn.execute("SELECT statement FROM pg_prepared_statements")}
    seq = _bound((tmp_path / "trace").read_text(), names)
    assert seq == [s for q in b.single.values() for s in _request(q)]
    assert set(names.values()) - {"|"} <= prepared  # every statement sent prepared, as hasql does


def test_parallel_requests_are_in_flight_together_each_in_postgrests_order(tcp, heaviest, tmp_path):
    b = bundles.load("account")
    with strategies.Source(tcp, rest=True) as src:
        strategies.star_parallel(src, b, heaviest["id"])  # every pooled connection prepares its statements
        wires = list(src.wires.values())
        files = [open(tmp_path / f"trace{k}", "w") for k in range(len(wires))]
        for wire, f in zip(wires, files):
            wire.pgconn.trace(f.fileno())
        strategies.star_parallel(src, b, heaviest["id"])
        for wire, f in zip(wires, files):
            wire.pgconn.untrace()
            f.close()
        names = [{v: k for k, v in w.names.items()} for w in wires]  # each connection names its own
    traces = [(tmp_path / f"trace{k}").read_text() for k in range(len(wires))]
    seqs = sorted((_bound(t, n) for t, n in zip(traces, names)), key=lambda q: q[4])
    assert len(wires) == 3 and seqs == sorted((_request(q) for q in b.single.values()), key=lambda q: q[4])
    first_sent = max(next(t for t, d, m, _ in _messages(tr) if d == "F") for tr in traces)
    last_done = min([t for t, d, m, _ in _messages(tr) if m == "ReadyForQuery"][-1] for tr in traces)
    assert first_sent < last_done  # every request began before any had finished: Promise.all


def test_body_is_one_json_array_equal_to_the_direct_answer(tcp, heaviest):
    b = bundles.load("account")
    with pg.connect(tcp) as conn:
        types = bundles.column_types(conn)
    with strategies.Source(tcp) as direct, strategies.Source(tcp, rest=True) as rest:
        res = strategies._send(rest, rest.wire, b.single["auth_audit_log"], heaviest["id"], "/auth_audit_log")
        names, rows = rest.wire.rows(res)
        assert names[:3] == ("total_result_set", "page_total", "body") and len(rows) == 1
        body = rows[0][2]
        assert isinstance(body, list) and rows[0][1] == len(body) > 0
        texts = [bundles.canonical(strategies.star_sequential(s, b, heaviest["id"]).answer, types) for s in (direct, rest)]
    assert texts[0] == texts[1]
