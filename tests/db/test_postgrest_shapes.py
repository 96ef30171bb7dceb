"""PostgREST's statement shapes on the real server: the node SELECTs, the embed and the RPC call
return the direct answer (capped at db-max-rows), on the star and on the relational variant,
and the cap cuts a node of 1001 rows to 1000."""
import json

import pytest

from bench.db import pg, schema
from bench.experiments import common as checks
from bench.measure import bundles, postgrest, postgrest_shapes, strategies

pytestmark = pytest.mark.db


@pytest.fixture(scope="module", params=["xs_star", "xs_relational"])
def dataset(request):
    ds = request.getfixturevalue(request.param)
    schema.run_files(ds.dsn, ("schema/rpc.sql",))
    return pg.tcp_dsn(ds.dsn), checks.sample_users(ds.dsn, 42, 1)


def test_statements_are_postgrests_text():
    node = postgrest_shapes.single("account", "profiles")
    assert ('SELECT "public"."profiles".* FROM "public"."profiles" WHERE  "public"."profiles"."id" = $1   '
            'LIMIT $2 OFFSET $3') in node.text and node.params == (None, "1000", "0")
    emb = postgrest_shapes.embed("account")
    assert emb.text.count("LEFT JOIN LATERAL ( SELECT json_agg(") == 2 and emb.text.count(")::jsonb AS ") == 2
    assert emb.text.count("LIMIT $") == 3 and emb.params == ("1000", "0", "1000", "0", None, "1000", "0")
    assert """COALESCE( "profiles_user_roles_1"."profiles_user_roles_1", '[]') AS "user_roles\"""" in emb.text
    assert emb.text.startswith('WITH pgrst_source AS ( SELECT "public"."profiles".*, COALESCE(')
    assert 'row_to_json("profiles_user_state_1".*)::jsonb AS "user_state"' in postgrest_shapes.embed("chat").text
    rpc = postgrest_shapes.rpc("account")
    assert '"public"."get_account_bundle"("uid" := $1::uuid) pgrst_scalar) pgrst_call' in rpc.text
    assert "coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body" in rpc.text
    assert postgrest_shapes.single("account_paged", "auth_audit_log").params[1] == "50"
    b = bundles.load("account")
    assert postgrest.main_statement(b.join_json, "u")[0] == emb.text
    assert postgrest.main_statement("SELECT $1::text", "u")[0] == postgrest.read_statement("SELECT $1::text")


@pytest.mark.parametrize("bundle", list(bundles.PARTS))
def test_rest_shapes_return_the_direct_answer(dataset, bundle):
    tcp, sample = dataset
    b = bundles.load(bundle)
    names = ("star_sequential", "star_parallel", "join_json", "rpc_bundle")
    rows = checks.rest_answers(tcp, b, [u["id"] for u in sample], names, postgrest_shapes.MAX_ROWS)
    assert len(rows) == len(sample) * len(names)
    assert checks.same_answer(tcp, b, [u["id"] for u in sample], names)


def test_the_embed_is_one_statement_with_the_spokes_inside_the_profile(dataset):
    tcp, sample = dataset
    heaviest = next(u for u in sample if u["kind"] == "heaviest")
    b = bundles.load("account")
    with strategies.Source(tcp, rest=True) as src:
        res = strategies._send(src, src.wire, b.join_json, heaviest["id"])
        names, rows = src.wire.rows(res)
    body = rows[0][names.index("body")]
    assert len(body) == 1 and {"id", "email", "user_roles", "auth_audit_log"} <= set(body[0])
    assert len(body[0]["auth_audit_log"]) == heaviest["audit_rows"] > 0


def test_db_max_rows_cuts_a_node_of_1001_rows_to_1000(xs_star):
    """A user given 1001 audit rows (in a transaction rolled back): PostgREST's node and the
    embed return 1000 of them, the memo's direct query all 1001; the capped check accepts it."""
    tcp = pg.tcp_dsn(xs_star.dsn)
    b = bundles.load("account")
    with pg.connect(tcp) as conn:
        types = bundles.column_types(conn)
        uid = conn.execute("SELECT id FROM public.profiles ORDER BY id LIMIT 1").fetchone()[0]
        with conn.transaction(force_rollback=True):
            conn.execute("INSERT INTO public.auth_audit_log (user_id, action, created_at) "
                         "SELECT %s, 'login', now() - g * interval '1 minute' FROM generate_series(1, 1001) g", (uid,))
            direct = conn.execute(b.single["auth_audit_log"].replace("$1", "%s"), (uid,)).fetchall()
            node = postgrest_shapes.single("account", "auth_audit_log")
            body = _run(conn, node, uid)
            embedded = _run(conn, postgrest_shapes.embed("account"), uid)[0]
            cols = [c.name for c in conn.execute(b.single["auth_audit_log"].replace("$1", "%s"), (uid,)).description]
    n = len(direct)
    assert n > 1000 and len(body) == 1000 and len(embedded["auth_audit_log"]) == 1000
    ref = bundles.canonical({"auth_audit_log": (tuple(cols), direct)}, types)
    capped = bundles.canonical({"auth_audit_log": ((), body)}, types)
    assert bundles.capped_parts(ref, capped, 1000) == ["auth_audit_log"]
    assert bundles.capped_parts(ref, capped, 2000) is None  # not a cap: a wrong answer


def _run(conn, statement, uid):
    """A PostgREST statement with its parameters on a psycopg connection; the parsed body."""
    text = statement.text
    for k in range(len(statement.params), 0, -1):
        text = text.replace(f"${k}", "%s")  # the same order: $n appear in order in the text
    row = conn.execute(text, [v.decode() for v in statement.bind(uid)]).fetchone()
    body = row[2]
    return json.loads(body) if isinstance(body, str) else body


def test_the_method_note_says_what_postgrest_refuses_and_accepts():
    from bench.report.method_notes import EMBED_NOTE
    assert "PGRST200" in EMBED_NOTE and "relational" in EMBED_NOTE and "LIMIT 1000 OFFSET 0" in EMBED_NOTE
    assert postgrest_shapes.EMBED_NOTE is EMBED_NOTE
