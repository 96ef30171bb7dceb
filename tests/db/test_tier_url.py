"""The tier plans from PostgREST's URLs: per URL form, the tier's statement beside the one PostgREST
generates for it (postgrest_shapes, checked against PostgREST's text in test_postgrest_shapes, or
PostgREST's text written out from QueryBuilder.hs/SqlFragment.hs); what PostgREST refuses, refused
with its error body; the token cache; no password on the child's command line."""
import json
import time

import psutil
import pytest

from bench.db import pg, schema
from bench.experiments import common as checks
from bench.measure import bundles, postgrest, postgrest_shapes, postgrest_url, strategies, tier

pytestmark = pytest.mark.db
U = "142e4002-a6c9-f16d-1474-1e54c90768f5"


@pytest.fixture(scope="module")
def caches(xs_star, xs_relational):
    out = {}
    for name, ds in (("star", xs_star), ("relational", xs_relational)):
        schema.run_files(ds.dsn, ("schema/rpc.sql",))
        with pg.connect(pg.tcp_dsn(ds.dsn)) as conn:
            out[name] = postgrest_url.SchemaCache.load(conn)
    return out


def _plan(cache, method, target, body=b"", accept=""):
    return postgrest_url.plan(cache, method, target, {"accept": accept} if accept else {}, body)


def _bound(st, uid=U):
    return st.text, tuple(uid if v is None else v for v in st.params)


@pytest.mark.parametrize("bundle", list(bundles.PARTS))
def test_the_memo_calls_plan_to_the_statements_postgrest_sends(caches, bundle):
    """`.from(part).select('*').eq(col, uid)` per part, and the embed on the relational variant."""
    for part in bundles.PARTS[bundle]:
        p = _plan(caches["star"], *postgrest_url.memo_request(bundle, part, U)[:2])
        assert (p.statement.text, p.statement.params) == _bound(postgrest_shapes.single(bundle, part)), part
        assert p.path == f"/{part}" and p.method == "GET"
    emb = _plan(caches["relational"], *postgrest_url.memo_request(bundle, "join_json", U)[:2])
    assert (emb.statement.text, emb.statement.params) == _bound(postgrest_shapes.embed(bundle))


def test_get_rpc_is_postgrests_direct_args_call(caches):
    p = _plan(caches["star"], "GET", f"/rest/v1/rpc/get_account_bundle?uid={U}")
    assert (p.statement.text, p.statement.params) == _bound(postgrest_shapes.rpc("account"))


def test_post_rpc_is_postgrests_json_body_call(caches):
    """supabase-js `.rpc(fn, {uid})`: callPlanToQuery with JsonArgs (fromJsonBodyF, LIMIT 1), as written
    out from PostgREST's QueryBuilder.hs and SqlFragment.hs."""
    body = json.dumps({"uid": U}).encode()
    p = _plan(caches["star"], "POST", "/rest/v1/rpc/get_account_bundle", body)
    call = ('SELECT pgrst_call.pgrst_scalar FROM (SELECT $1 AS json_data) pgrst_payload, LATERAL (SELECT "uid" FROM '
            'json_to_record(pgrst_payload.json_data) AS _("uid" uuid) LIMIT 1) pgrst_body , LATERAL (SELECT '
            '"public"."get_account_bundle"("uid" := pgrst_body."uid") pgrst_scalar) pgrst_call')
    assert p.statement.text.startswith(f"WITH pgrst_source AS ({call}) SELECT null::bigint AS total_result_set, "
                                       "1 AS page_total, coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null')")
    assert p.statement.params == (body.decode(), "1000", "0") and p.json_body


def test_columns_order_limit_offset_and_single(caches):
    """select=<columns>, order, limit/offset (the range min(limit, db-max-rows)), `.single()`.
    Whitespace aside: upstream's pgFmtOrderTerm leaves a space after each direction (`DESC , ... ASC  LIMIT`);
    the suite's statements (account_paged) have always been sent without it, and keep their text."""
    p = _plan(caches["star"], "GET", f"/rest/v1/auth_audit_log?select=id,action&user_id=eq.{U}"
              "&order=created_at.desc,id.asc&limit=5&offset=2", accept=postgrest_url.SINGULAR)
    node = ('SELECT "public"."auth_audit_log"."id", "public"."auth_audit_log"."action" FROM "public"."auth_audit_log" '
            'WHERE  "public"."auth_audit_log"."user_id" = $1  ORDER BY "public"."auth_audit_log"."created_at" DESC, '
            '"public"."auth_audit_log"."id" ASC LIMIT $2 OFFSET $3')
    assert p.statement.text.startswith(f"WITH pgrst_source AS ( {node} )") and p.singular
    assert "coalesce(json_agg(_postgrest_t)->0, 'null') AS body" in p.statement.text
    assert p.statement.params == (U, "5", "2")
    big = _plan(caches["star"], "GET", "/rest/v1/auth_audit_log?select=*&limit=5000")
    assert big.statement.params == ("1000", "0")  # db-max-rows caps the request's limit


def test_what_postgrest_refuses_is_refused_with_its_error(caches):
    with pytest.raises(postgrest_url.ApiError) as e:  # the star: the spokes reference auth.users only
        _plan(caches["star"], *postgrest_url.memo_request("account", "join_json", U)[:2])
    assert e.value.status == 400 and e.value.code == "PGRST200"
    assert e.value.message == "Could not find a relationship between 'profiles' and 'user_roles' in the schema cache"
    with pytest.raises(postgrest_url.ApiError) as e:
        _plan(caches["star"], "GET", "/rest/v1/nope?select=*")
    assert (e.value.status, e.value.code) == (404, "PGRST205")
    assert e.value.message == "Could not find the table 'public.nope' in the schema cache"
    with pytest.raises(postgrest_url.ApiError) as e:
        _plan(caches["star"], "POST", "/rest/v1/rpc/nope", b'{"uid": 1}')
    assert (e.value.status, e.value.code) == (404, "PGRST202")


@pytest.fixture(scope="module")
def star_tier(xs_star, caches):
    with tier.Process(pg.tcp_dsn(xs_star.dsn)) as t:
        yield t


def _get(port, method, target, body=b"", bearer=None, accept=None):
    client = tier.Client(("127.0.0.1", port))
    try:
        return client.exchange({0: tier.request_bytes(method, target, bearer, body, accept)})[0]
    except tier.TierError as exc:
        return exc
    finally:
        client.close()


def test_the_tier_answers_with_postgrests_error_bodies(xs_star, star_tier):
    uid = checks.sample_users(xs_star.dsn, 42, 1)[0]["id"]
    refused = _get(star_tier.port, *postgrest_url.memo_request("account", "join_json", uid)[:2])
    assert "HTTP 400" in str(refused) and '"code": "PGRST200"' in str(refused)
    unknown = _get(star_tier.port, "GET", f"/rest/v1/profiles?select=nope&id=eq.{uid}")
    assert "HTTP 400" in str(unknown) and '"42703"' in str(unknown) and "nope" in str(unknown)
    user = next(u for u in checks.sample_users(xs_star.dsn, 42, 1) if u["role_rows"] >= 2)
    bearer = postgrest.token(postgrest.claims({"id": user["id"]}))
    many = _get(star_tier.port, "GET", f"/rest/v1/user_roles?select=id&user_id=eq.{user['id']}&limit=2",
                bearer=bearer, accept=postgrest_url.SINGULAR)
    assert "HTTP 406" in str(many) and "PGRST116" in str(many) and "The result contains 2 rows" in str(many)
    anon = _get(star_tier.port, "GET", f"/rest/v1/profiles?select=id&id=eq.{uid}", accept=postgrest_url.SINGULAR)
    assert "The result contains 0 rows" in str(anon)  # no Authorization: the anon role, RLS shows it nothing
    uid = user["id"]
    one = _get(star_tier.port, "GET", f"/rest/v1/profiles?select=id&id=eq.{uid}", bearer=bearer,
               accept=postgrest_url.SINGULAR)
    assert json.loads(one.body) == {"id": str(uid)}  # one object, not an array


def test_the_embed_runs_on_the_relational_variant(xs_relational, caches):
    tcp = pg.tcp_dsn(xs_relational.dsn)
    users = checks.sample_users(xs_relational.dsn, 42, 1)[:4]
    b = bundles.load("chat")  # a to-one child (user_state) and a to-many one
    with pg.connect(tcp) as conn:
        types = bundles.column_types(conn)
    with tier.Process(tcp) as t, strategies.Source(tcp) as direct, \
            strategies.Source(tcp, rest="tier", tier=("127.0.0.1", t.port)) as src:
        for user in users:
            want = bundles.canonical(strategies.star_sequential(direct, b, user["id"]).answer, types)
            for fn in (strategies.join_json, strategies.rpc_bundle):
                assert bundles.canonical(fn(src, b, user["id"]).answer, types) == want, (fn.__name__, user)


def _verify_us(tcp, user, jwt_cache_s, n=200):
    """The tier's own time per request (x-tier-us less its statements and pool wait), median of n."""
    b = bundles.load("account")
    with tier.Process(tcp, jwt_cache_s=jwt_cache_s) as t, \
            strategies.Source(tcp, rest="tier", tier=("127.0.0.1", t.port)) as src:
        own = []
        for _ in range(n):
            f = strategies.star_sequential(src, b, user)
            own.append((f.tier_us - f.tier_db_us - f.tier_wait_us) / f.http_requests)
    return sorted(own)[n // 2]


def test_the_token_cache_skips_verification(xs_star, capsys):
    """With jwt_cache_s the same token is verified once; without it, every request: the tier's own
    cost per request with and without the cache (medians of 200 requests, printed)."""
    tcp = pg.tcp_dsn(xs_star.dsn)
    user = checks.sample_users(xs_star.dsn, 42, 1)[0]["id"]
    cached, uncached = _verify_us(tcp, user, 3600.0), _verify_us(tcp, user, 0.0)
    with capsys.disabled():
        print(f"\ntier's own cost per request, median of 200 x 3: cache {cached:.0f} us, no cache {uncached:.0f} us")
    from bench.measure.tier_server import JwtCache
    jc = JwtCache(3600.0)
    bearer = postgrest.token({"role": "authenticated", "sub": str(user)})
    jc.claims(bearer), jc.claims(bearer)
    off = JwtCache(0.0)
    off.claims(bearer), off.claims(bearer)
    assert (jc.hits, jc.misses, off.hits, off.misses) == (1, 1, 0, 2)


def test_the_childs_command_line_shows_no_dsn(xs_star):
    tcp = pg.tcp_dsn(xs_star.dsn)
    with tier.Process(tcp) as t:
        cmdline = " ".join(psutil.Process(t.pid).cmdline())
        deadline = time.monotonic() + 2
        while t.port == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert tcp not in cmdline and "passfile" not in cmdline and "dbname" not in cmdline, cmdline
