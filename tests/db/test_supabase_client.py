"""supabase-js (the memo's own code) against the PostgREST tier: its answers for the sampled
users give the bundle's canonical checksum, a wrong one fails, and its records walk the given
order, shams relabelled; what supabase-js puts on the wire is the URL the tier plans from."""
import http.server
import json
import threading
import types
from urllib.parse import unquote

import pytest

from bench.db import pg, schema
from bench.experiments import common as checks
from bench.experiments import read_paths_clients as rpc
from bench.measure import bundles, postgrest, postgrest_url, tier
from bench.measure.clients import SUPABASE, node, supabase

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def setup(xs_star):
    why = supabase.missing()
    if why:
        pytest.skip(why)
    schema.run_files(xs_star.dsn, ("schema/rpc.sql",))
    tcp = pg.tcp_dsn(xs_star.dsn)
    users = [u["id"] for u in checks.sample_users(xs_star.dsn, 42, 1)][:6]
    b = bundles.load("account")
    with tier.Process(tcp) as t:
        yield tcp, ("127.0.0.1", t.port), users, b, checks.same_answer(tcp, b, users, ("star_sequential",))


def test_supabase_js_answers_give_the_checksum_and_a_wrong_user_fails(setup):
    tcp, addr, users, b, expected = setup
    order = list(reversed(range(len(users))))
    blocks = [{"rep": 0, "strategy": s, "order": order, "requests": len(users) + 2, "warmup": 1}
              for s in (*supabase.STRATEGIES, "sham:rpc_bundle")]
    answers, records = supabase.run(tcp, addr, b, users, blocks, verify=True)
    assert rpc._check_supabase(tcp, b, answers, users, expected) == []  # nothing above db-max-rows at xs
    for s in (*supabase.STRATEGIES, "sham:rpc_bundle"):
        mine = [r for r in records if r["strategy"] == s]
        assert [r["user_idx"] for r in mine] == order + order[:2]
        assert all(r["latency_us"] > 0 for r in mine)
    rows = rpc._relabel(records, {"client": SUPABASE, "envelope": "tier"}, b)
    sham = [r for r in rows if r["record"] == "sham"]
    assert len(sham) == len(users) + 2 and {r["strategy"] for r in sham} == {"rpc_bundle"}
    # another user's answer in one place: not the checksum, and not the direct answer capped either
    for strategy in supabase.STRATEGIES:
        wrong = [dict(a) for a in answers]
        k = next(i for i, a in enumerate(wrong) if a["verify"] == strategy and a["user_idx"] == 0)
        other = next(a for a in wrong if a["verify"] == strategy and a["user_idx"] == 1)
        wrong[k] = {**wrong[k], "answer": other["answer"]}
        with pytest.raises(checks.AnswerMismatch, match=f"supabase-js {strategy}"):
            rpc._check_supabase(tcp, b, wrong, users, expected)


def test_a_wrong_user_id_sent_gives_another_checksum(setup):
    """The driver's requests themselves: every user's token and id swapped for the next user's."""
    tcp, addr, users, b, expected = setup
    shifted = users[1:] + users[:1]
    answers, _ = supabase.run(tcp, addr, b, shifted, [], verify=True)
    with pytest.raises(checks.AnswerMismatch, match="supabase-js star_sequential"):
        rpc._check_supabase(tcp, b, answers, users, expected)


def test_account_paged_order_and_limit_through_supabase_js(setup):
    """`.order(...).limit(50)` on the audit log: the same answer as the direct connection's."""
    tcp, addr, users, _, _ = setup
    b = bundles.load("account_paged")
    expected = checks.same_answer(tcp, b, users, ("star_sequential",))
    answers, _ = supabase.run(tcp, addr, b, users, [], verify=True)
    assert rpc._check_supabase(tcp, b, answers, users, expected) == []


class _Capture(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        self.seen.append((self.command, unquote(self.path), json.loads(body) if body else None, dict(self.headers)))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"[]")

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("name", list(bundles.PARTS))
def test_supabase_js_sends_the_urls_the_tier_plans_from(name):
    """Each call as supabase-js puts it on the wire is postgrest_url.memo_request's (up to the
    percent-encoding of `,()`, which the tier decodes), with the user's token and the anon key."""
    if supabase.missing():
        pytest.skip(supabase.missing())
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    _Capture.seen = []
    uid = "142e4002-a6c9-f16d-1474-1e54c90768f5"
    b = bundles.load(name)
    try:
        supabase.run("", srv.server_address, b, [uid], [], True,
                     strategies=("star_sequential", "rpc_bundle", supabase.EMBED), tokens=["tok"])
    finally:
        srv.shutdown()
        srv.server_close()
    want = [postgrest_url.memo_request(name, k, uid) for k in (*b.parts, "rpc", "join_json")]
    assert [(m, p, b) for m, p, b, _ in _Capture.seen] == [(m, t, json.loads(x) if x else None) for m, t, x in want]
    for *_, headers in _Capture.seen:
        assert headers["Authorization"] == "Bearer tok" and headers["apikey"] == postgrest.ANON_KEY
        assert headers["connection"] == "keep-alive" and headers["x-client-info"].startswith("supabase-js/2.109.0")


def test_cells_run_every_client_with_its_sham(setup):
    """read_paths_clients.cells at one RTT: pgbench and node-postgres on the direct connection,
    supabase-js through the tier (envelope `tier`), each lineup with a sham of its one-request form."""
    tcp, addr, users, b, expected = setup
    mx = types.SimpleNamespace(client_bundles=("account",), warmup=1, sham=True)
    order = list(range(len(users)))
    rows = rpc.cells(mx, tcp, tcp, users, [order], {("account", "plain"): 2, ("account", "tier"): 3},
                     {"rtt_ms": 0.0}, {"account": expected}, tier_addr=addr)
    got = {(r["client"], r["envelope"], r["record"], r["strategy"]) for r in rows}
    js = {(SUPABASE, "tier", "request", s) for s in supabase.STRATEGIES} | {(SUPABASE, "tier", "sham", "rpc_bundle")}
    assert js <= got and ("pgbench", "plain", "sham", "join_json") in got
    if not node.missing():
        assert ("node-postgres", "plain", "sham", "join_json") in got
    assert sum(r["client"] == SUPABASE for r in rows) == 3 * 4
    assert all(not r["strategy"].startswith("sham") for r in rows)
    assert rpc.meta()[SUPABASE]["tier_token_cache"]["jwt_cache_s"] > 0


def test_every_answer_arrives_when_the_output_is_longer_than_a_pipe_buffer(setup, xs_star):
    """Node's stdout on a pipe is asynchronous: exiting before it drained cut the answers short
    (about 100 answers for 34 users: several hundred KB)."""
    tcp, addr, _, b, _ = setup
    users = [u["id"] for u in checks.sample_users(xs_star.dsn, 42, 3)]
    blocks = [{"rep": 0, "strategy": s, "order": list(range(len(users))), "requests": 1, "warmup": 0}
              for s in supabase.STRATEGIES]
    answers, records = supabase.run(tcp, addr, b, users, blocks, verify=True)
    assert len(answers) == len(users) * len(supabase.STRATEGIES) and len(records) == len(supabase.STRATEGIES)
    assert len("\n".join(json.dumps(a) for a in answers)) > 65_536
