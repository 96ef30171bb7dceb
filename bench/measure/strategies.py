"""The read paths. One contract: `strategy(source, bundle, user_id) -> Fetch`.

Every strategy returns the same logical answer (checked by `bundles.canonical`) and the parts
of its own cost: nanoseconds spent decoding rows on the client and assembling the bundle.
The timed path is kept lean (`wire`): libpq-level prepared statements, text results with the
conversions a JSON client gets, no per-row Python beyond what a client must do to use the data.

With `Source(rest=True)` every request runs as PostgREST runs it (`postgrest`): BEGIN READ ONLY,
PostgREST's set_config select with Supabase Auth's claims, the query wrapped in PostgREST's read
shape returning one JSON body the client parses, COMMIT, each statement awaited in turn. With
`rest="envelope"` the suite's older emulation runs instead, labelled as such: BEGIN,
set_config(role, claims), the bare query and COMMIT pipelined in one round trip.

Through PostgREST each of the memo's queries is the statement PostgREST builds for it
(`postgrest_shapes`): qualified names, `LIMIT 1000 OFFSET 0` (db-max-rows) on every node, so a
part with more rows returns 1000 of them; `join_json` is PostgREST's embed; `rpc_bundle` (an
alternative: it needs schema/rpc.sql) calls the bundle's SQL function as GET /rpc/<fn>.

With `Source(dsn, rest="tier", tier=(host, port))` the client sends HTTP requests, as supabase-js
does, to the tier that plays PostgREST's part (`tier`, `tier_server`: PostgREST's statements on
its own pool beside the database); `dsn` is then used only to build each user's bearer token
(untimed, cached). The client parses each JSON body (timed as decode); the tier's own timings
come back with each response (Fetch.tier_*). `star_pipelined` has no PostgREST counterpart and
does not run there (TIER_STRATEGIES).
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

import psycopg
from psycopg import pq
from psycopg_pool import ConnectionPool

from bench.measure import parallel, postgrest, postgrest_shapes, postgrest_url, tier
from bench.measure.bundles import FLAT_PREFIX, KEY, Answer, Bundle
from bench.measure.wire import Wire, datarow_bytes, lean

SET_CLAIMS = "SELECT set_config('role', $1, true), set_config('request.jwt.claims', $2, true)"


@dataclass(frozen=True)
class Shape:
    """What a strategy spends per request, by construction."""

    statements: int
    round_trips: int  # sequential waits on the critical path
    connections: int


@dataclass
class Fetch:
    answer: Answer
    rows: int  # rows received from the server
    decode_ns: int
    assemble_ns: int
    wire_bytes: int = 0  # DataRow bytes received; counted only when Source(count_bytes=True)
    # through the tier, summed over the fetch's HTTP requests (None on a direct connection):
    tier_us: int | None = None  # the tier's handling, request parsed -> response written
    tier_db_us: int | None = None  # of which its statements' round trips to PostgreSQL
    tier_wait_us: int | None = None  # of which waiting for a pooled connection
    http_requests: int | None = None


def connect_kwargs(prepared: bool = True) -> dict:
    """Connection options: `prepared=False` makes every Wire on the connection send unnamed
    statements (psycopg's prepare_threshold None, the convention `wire.Wire` reads)."""
    return {"autocommit": True, **({} if prepared else {"prepare_threshold": None})}


def _connect(dsn: str, prepared: bool = True) -> psycopg.Connection:
    conn = psycopg.connect(dsn, **connect_kwargs(prepared))
    lean(conn)
    return conn


class Source:
    """Connections for one strategy under test: one dedicated connection and, for parallel
    fetches, a pool of `pool_size` with a thread per connection (the memo's Promise.all)."""

    def __init__(self, dsn: str, pool_size: int = 3, rest: bool | str = False, role: str = "authenticated",
                 count_bytes: bool = False, claims: str | None = None, prepared: bool = True,
                 tier: tuple[str, int] | None = None):
        self.rest = rest
        self.role = role
        self.claims = claims
        self.count_bytes = count_bytes
        if rest == "tier":  # no database connection of the client's own: HTTP to the tier only
            if tier is None or claims is not None:
                raise ValueError("rest='tier' needs tier=(host, port) and takes no claims override")
            self.http, self.tokens, self.bearers = tier_client(tier), postgrest.Tokens(dsn, role), {}
            self.wire = self.pool = self.executor = None
            return
        self.http = None
        self.wire = Wire(_connect(dsn, prepared))
        self.pool = ConnectionPool(dsn, min_size=pool_size, max_size=pool_size, open=True, configure=lean,
                                   kwargs=connect_kwargs(prepared))
        self.pool.wait()
        self.wires: dict[int, Wire] = {}  # one per pooled connection, made on first use
        self.executor = ThreadPoolExecutor(pool_size)
        # claims: JSON text sent for every request; None: the requested user's own claims
        # count_bytes: an untimed pass that walks every field of every result
        self.tokens = postgrest.Tokens(dsn, role, claims) if rest is True else None

    def close(self) -> None:
        if self.tokens is not None:
            self.tokens.close()
        if self.http is not None:
            return self.http.close()
        self.executor.shutdown()
        self.pool.close()
        self.wire.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def pooled(self, conn: psycopg.Connection) -> Wire:
        wire = self.wires.get(id(conn))
        if wire is None or wire.conn is not conn:
            wire = self.wires[id(conn)] = Wire(conn)
        return wire

    def requests(self, query: str, user_id, path: str = "/profiles") -> list[list[tuple[str, list[bytes]]]]:
        """The statements one request sends, as steps each awaited before the next: the query
        alone, PostgREST's four, or the old envelope's four in one pipelined step."""
        uid = [str(user_id).encode()]
        if not self.rest:
            return [[(query, uid)]]
        if self.rest is True:
            return postgrest.request(self.tokens, query, user_id, path)
        claims = (self.claims if self.claims is not None
                  else json.dumps({"sub": str(user_id), "role": self.role})).encode()
        return [[("BEGIN", []), (SET_CLAIMS, [self.role.encode(), claims]), (query, uid), ("COMMIT", [])]]


def tier_client(addr: tuple[str, int]) -> tier.Client:
    return tier.Client(addr)


def _bearer(src: Source, user_id) -> str:
    """The user's access token, as Supabase Auth issued it (built once, untimed in the blocks'
    warm-up)."""
    uid = str(user_id)
    if uid not in src.bearers:
        src.bearers[uid] = postgrest.token(postgrest.claims(src.tokens.user(uid), src.role))
    return src.bearers[uid]


def _tier_fetch(src: Source, bundle: Bundle, user_id, rounds: list[list[str]]) -> dict:
    """Through the tier: each round's requests in flight together (one connection each), the
    rounds in turn; every body parsed as it lands (decode). Keys: parts, `join_json` (the embed
    on /profiles) or `rpc` (POST /rpc/<fn>): the URLs supabase-js sends (postgrest_url.memo_request)."""
    bearer = _bearer(src, user_id)
    out = {}

    def take(key, resp):
        t = time.perf_counter_ns()
        cols, rows = tier.body_rows(resp.body)
        return cols, rows, time.perf_counter_ns() - t, len(resp.body) if src.count_bytes else 0, resp

    for keys in rounds:
        jobs = {}
        for k in keys:
            method, target, body = postgrest_url.memo_request(bundle.name, k, user_id)
            jobs[k] = tier.request_bytes(method, target, bearer, body)
        out.update(src.http.exchange(jobs, take))
    return out


def _direct_only(src: Source, name: str) -> None:
    if src.http is not None:
        raise ValueError(f"{name} has no PostgREST counterpart: it runs on a direct connection only")


def _at(src: Source) -> int:
    """The query's result among a request's results."""
    return postgrest.MAIN_AT if src.rest else 0


def _send(src: Source, wire: Wire, query: str, user_id, path: str = "/profiles") -> pq.PGresult:
    """One request: each step sent and awaited in turn on the non-blocking pipeline."""
    results = [res for step in src.requests(query, user_id, path) for res in wire.batch(step)]
    return results[_at(src)]


def _decode(src: Source, wire: Wire, res: pq.PGresult) -> tuple[tuple[str, ...], list, int, int]:
    """Rows as the client uses them; through PostgREST, its one JSON body parsed (timed)."""
    nbytes = datarow_bytes(res) if src.count_bytes else 0
    t = time.perf_counter_ns()
    names, rows = wire.rows(res)
    if src.rest is True:
        names, rows = postgrest.body_rows(names, rows)
    return names, rows, time.perf_counter_ns() - t, nbytes


def _with_tier(fetch: Fetch, responses: list) -> Fetch:
    """The tier's timings of the fetch's responses, summed (a direct fetch has none)."""
    if responses:
        fetch.tier_us = sum(r.tier_us for r in responses)
        fetch.tier_db_us = sum(r.db_us for r in responses)
        fetch.tier_wait_us = sum(r.wait_us for r in responses)
        fetch.http_requests = len(responses)
    return fetch


def _gather(results: dict) -> Fetch:
    """Parts fetched separately -> one Fetch."""
    fetch = Fetch({}, 0, 0, 0)
    responses = []
    for part, (cols, rows, ns, nbytes, *resp) in results.items():
        fetch.answer[part] = (cols, rows)
        fetch.rows += len(rows)
        fetch.decode_ns += ns
        fetch.wire_bytes += nbytes
        responses += resp
    return _with_tier(fetch, responses)


def star_sequential(src: Source, bundle: Bundle, user_id) -> Fetch:
    if src.http is not None:  # three requests in turn on one keep-alive connection
        return _gather(_tier_fetch(src, bundle, user_id, [[p] for p in bundle.single]))
    w = src.wire
    return _gather({part: _decode(src, w, _send(src, w, q, user_id, f"/{part}")) for part, q in bundle.single.items()})


def _one_part(src: Source, part: str, query: str, user_id):
    with src.pool.connection() as conn:
        wire = src.pooled(conn)
        return _decode(src, wire, _send(src, wire, query, user_id, f"/{part}"))


def star_parallel(src: Source, bundle: Bundle, user_id) -> Fetch:
    """The memo's Promise.all: one thread, the three requests in flight on three pooled connections."""
    if src.http is not None:  # three requests in flight on three keep-alive connections
        return _gather(_tier_fetch(src, bundle, user_id, [list(bundle.single)]))
    at = _at(src)
    jobs = {part: src.requests(q, user_id, f"/{part}") for part, q in bundle.single.items()}
    return _gather(parallel.fan_out(src, jobs, lambda part, wire, results: _decode(src, wire, results[at])))


def star_parallel_threads(src: Source, bundle: Bundle, user_id) -> Fetch:
    """The same three requests, each on a worker thread with its own pool checkout (the suite's
    form before issue 14; kept to show what the thread hand-off costs)."""
    _direct_only(src, "star_parallel_threads")
    futures = {part: src.executor.submit(_one_part, src, part, q, user_id) for part, q in bundle.single.items()}
    wait(futures.values())
    return _gather({part: fut.result() for part, fut in futures.items()})


def star_pipelined(src: Source, bundle: Bundle, user_id) -> Fetch:
    """The three requests' statements in one pipelined batch: a direct connection only, no
    PostgREST request is ever sent this way."""
    _direct_only(src, "star_pipelined")
    w = src.wire
    per_part = [[item for step in src.requests(q, user_id, f"/{p}") for item in step] for p, q in bundle.single.items()]
    results = w.batch([item for items in per_part for item in items])
    step = len(per_part[0])
    query_at = _at(src)
    return _gather({part: _decode(src, w, results[k * step + query_at]) for k, part in enumerate(bundle.single)})


def _join(src: Source, bundle: Bundle, user_id, key: str):
    """The JOIN's one request: (cols, rows, decode ns, bytes, [tier response])."""
    if src.http is not None:
        if key == "join_flat":
            _direct_only(src, key)  # no URL makes PostgREST send a flat JOIN
        *row, resp = _tier_fetch(src, bundle, user_id, [[key]])[key]
        return (*row, [resp])
    return (*_decode(src, src.wire, _send(src, src.wire, getattr(bundle, key), user_id)), [])


def join_flat(src: Source, bundle: Bundle, user_id) -> Fetch:
    cols, rows, dec, nbytes, resp = _join(src, bundle, user_id, "join_flat")
    t = time.perf_counter_ns()
    answer = {part: ((), []) for part in bundle.parts}  # an empty JSON body names no columns
    for part in bundle.parts if rows else ():  # fold the multiplied rows back: one entry per key, first seen wins
        prefix = FLAT_PREFIX[part]
        idx = [i for i, c in enumerate(cols) if c.startswith(prefix)]
        names = tuple(cols[i][len(prefix):] for i in idx)
        key = idx[names.index(KEY[part])]
        seen = {}
        for row in rows:
            k = row[key]
            if k is not None and k not in seen:
                seen[k] = tuple(row[i] for i in idx)
        answer[part] = (names, list(seen.values()))
    return _with_tier(Fetch(answer, len(rows), dec, time.perf_counter_ns() - t, nbytes), resp)


def join_json(src: Source, bundle: Bundle, user_id) -> Fetch:
    """One statement: the memo's JOIN as json_agg per spoke; through PostgREST (its statements or
    the tier), its embed (`profiles?select=*,<spoke>(*),...`, postgrest_shapes), the spokes inside
    the profile."""
    cols, rows, dec, nbytes, resp = _join(src, bundle, user_id, "join_json")
    t = time.perf_counter_ns()
    answer = {}
    if src.rest in (True, "tier"):
        answer = postgrest_shapes.embed_answer(bundle, cols, rows)
    elif rows:
        for name, value in zip(cols, rows[0]):
            items = value if isinstance(value, list) else [value]
            answer[name] = ((), items)
    else:
        answer = {part: ((), []) for part in bundle.parts}
    return _with_tier(Fetch(answer, len(rows), dec, time.perf_counter_ns() - t, nbytes), resp)


def rpc_bundle(src: Source, bundle: Bundle, user_id) -> Fetch:
    """One SQL function returning the bundle (schema/rpc.sql): through PostgREST's statements GET
    /rpc/<fn>?uid=... (mainCall); through the tier supabase-js's `.rpc(fn, {uid})`, a POST with a
    JSON body; on a direct connection the same function called bare."""
    responses = []
    if src.http is not None:
        cols, rows, dec, nbytes, resp = _tier_fetch(src, bundle, user_id, [["rpc"]])["rpc"]
        responses.append(resp)
    else:
        path = postgrest_shapes.path(bundle.name)
        cols, rows, dec, nbytes = _decode(src, src.wire, _send(src, src.wire, bundle.rpc, user_id, path))
    t = time.perf_counter_ns()
    answer = postgrest_shapes.rpc_answer(bundle, cols, rows)
    return _with_tier(Fetch(answer, len(rows), dec, time.perf_counter_ns() - t, nbytes), responses)


STRATEGIES = {f.__name__: f for f in (star_sequential, star_parallel, star_pipelined, join_flat, join_json)}
# not in the default matrices; rpc_bundle needs schema/rpc.sql (read_paths applies it and names it)
ALTERNATIVES = {f.__name__: f for f in (star_parallel_threads, rpc_bundle)}
# the requests a Supabase user can make on the star (PostgREST refuses the embed there, PGRST200,
# and generates no flat JOIN); on the relational variant join_json (the embed) runs through it too
TIER_STRATEGIES = ("star_sequential", "star_parallel", "rpc_bundle")


def shape(strategy: str, bundle: Bundle) -> Shape:
    n = len(bundle.parts)
    return {
        "star_sequential": Shape(n, n, 1),
        "star_parallel": Shape(n, 1, n),
        "star_parallel_threads": Shape(n, 1, n),
        "star_pipelined": Shape(n, 1, 1),
        "join_flat": Shape(1, 1, 1),
        "join_json": Shape(1, 1, 1),
        "rpc_bundle": Shape(1, 1, 1),
    }[strategy]
