"""The read paths. One contract: `strategy(source, bundle, user_id) -> Fetch`.

Every strategy returns the same logical answer (checked by `bundles.canonical`) and the parts
of its own cost: nanoseconds spent decoding rows on the client and assembling the bundle.
The timed path is kept lean: prepared statements, text results with the conversions a JSON
client gets (see `lean`), no per-row Python beyond what a client must do to use the data.

With `Source(rest=True)` every request runs as PostgREST runs it: its own transaction with
`set_config('role', ...)` and `set_config('request.jwt.claims', ...)`. The envelope is sent in
one pipelined batch, so a request costs one client round trip, as one HTTP call to PostgREST
does; the extra statements still run on the server, which is the envelope's cost.
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

import psycopg
from psycopg.types.string import TextLoader
from psycopg_pool import ConnectionPool

from .bundles import FLAT_PREFIX, KEY, Answer, Bundle

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


LEAN_AS_TEXT = ("uuid", "inet", "timestamptz", "timestamp")


def lean(conn: psycopg.Connection) -> None:
    """Minimal conversion: uuid, inet and timestamps stay the strings a JSON client (supabase-js)
    receives; jsonb is parsed, numbers are numbers. Building UUID, IPv4Address and datetime
    objects would cost more than the whole round trip for a heavy user, and no client of the
    memo's API gets them."""
    for name in LEAN_AS_TEXT:
        conn.adapters.register_loader(name, TextLoader)


def _connect(dsn: str) -> psycopg.Connection:
    conn = psycopg.connect(dsn, autocommit=True, cursor_factory=psycopg.RawCursor)
    lean(conn)
    return conn


class Source:
    """Connections for one strategy under test: one dedicated connection and, for parallel
    fetches, a pool of `pool_size` with a thread per connection (the memo's Promise.all)."""

    def __init__(self, dsn: str, pool_size: int = 3, rest: bool = False, role: str = "authenticated",
                 count_bytes: bool = False):
        self.conn = _connect(dsn)
        self.pool = ConnectionPool(dsn, min_size=pool_size, max_size=pool_size, open=True, configure=lean,
                                   kwargs={"autocommit": True, "cursor_factory": psycopg.RawCursor})
        self.pool.wait()
        self.executor = ThreadPoolExecutor(pool_size)
        self.rest = rest
        self.role = role
        self.count_bytes = count_bytes  # an untimed pass: walks every field of every result

    def close(self) -> None:
        self.executor.shutdown()
        self.pool.close()
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def claims(self, user_id) -> str:
        return json.dumps({"sub": str(user_id), "role": self.role})


def _send(src: Source, conn: psycopg.Connection, query: str, user_id) -> psycopg.Cursor:
    """Send one request; with the rest envelope, as its own transaction in one round trip."""
    cur = conn.cursor()
    if not src.rest:
        return cur.execute(query, (user_id,), prepare=True)
    with conn.pipeline():
        conn.execute("BEGIN")
        conn.execute(SET_CLAIMS, (src.role, src.claims(user_id)), prepare=True)
        cur.execute(query, (user_id,), prepare=True)
        conn.execute("COMMIT")
    return cur


def wire_bytes(cur: psycopg.Cursor) -> int:
    """Bytes of the DataRow messages of a result: per row 7 bytes of header, per field 4 + data."""
    res = cur.pgresult
    fields = res.nfields
    data = 0
    for r in range(res.ntuples):
        for f in range(fields):
            value = res.get_value(r, f)  # None for NULL (sent as length -1, no data)
            data += len(value) if value is not None else 0
    return res.ntuples * (7 + 4 * fields) + data


def _decode(src: Source, cur: psycopg.Cursor) -> tuple[tuple[str, ...], list, int, int]:
    nbytes = wire_bytes(cur) if src.count_bytes else 0
    t = time.perf_counter_ns()
    rows = cur.fetchall()
    return tuple(d.name for d in cur.description), rows, time.perf_counter_ns() - t, nbytes


def _gather(results: dict) -> Fetch:
    """Parts fetched separately -> one Fetch."""
    fetch = Fetch({}, 0, 0, 0)
    for part, (cols, rows, ns, nbytes) in results.items():
        fetch.answer[part] = (cols, rows)
        fetch.rows += len(rows)
        fetch.decode_ns += ns
        fetch.wire_bytes += nbytes
    return fetch


def star_sequential(src: Source, bundle: Bundle, user_id) -> Fetch:
    return _gather({part: _decode(src, _send(src, src.conn, q, user_id)) for part, q in bundle.single.items()})


def _one_part(src: Source, query: str, user_id):
    with src.pool.connection() as conn:
        return _decode(src, _send(src, conn, query, user_id))


def star_parallel(src: Source, bundle: Bundle, user_id) -> Fetch:
    futures = {part: src.executor.submit(_one_part, src, q, user_id) for part, q in bundle.single.items()}
    wait(futures.values())
    return _gather({part: fut.result() for part, fut in futures.items()})


def star_pipelined(src: Source, bundle: Bundle, user_id) -> Fetch:
    with src.conn.pipeline():
        cursors = {part: _send(src, src.conn, q, user_id) for part, q in bundle.single.items()}
    return _gather({part: _decode(src, cur) for part, cur in cursors.items()})


def join_flat(src: Source, bundle: Bundle, user_id) -> Fetch:
    cols, rows, dec, nbytes = _decode(src, _send(src, src.conn, bundle.join_flat, user_id))
    t = time.perf_counter_ns()
    answer = {}
    for part in bundle.parts:  # fold the multiplied rows back: one entry per key, first seen wins
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
    return Fetch(answer, len(rows), dec, time.perf_counter_ns() - t, nbytes)


def join_json(src: Source, bundle: Bundle, user_id) -> Fetch:
    cols, rows, dec, nbytes = _decode(src, _send(src, src.conn, bundle.join_json, user_id))
    t = time.perf_counter_ns()
    answer = {}
    if rows:
        for name, value in zip(cols, rows[0]):
            items = value if isinstance(value, list) else [value]
            answer[name] = ((), items)
    else:
        answer = {part: ((), []) for part in bundle.parts}
    return Fetch(answer, len(rows), dec, time.perf_counter_ns() - t, nbytes)


STRATEGIES = {f.__name__: f for f in (star_sequential, star_parallel, star_pipelined, join_flat, join_json)}


def shape(strategy: str, bundle: Bundle) -> Shape:
    n = len(bundle.parts)
    return {
        "star_sequential": Shape(n, n, 1),
        "star_parallel": Shape(n, 1, n),
        "star_pipelined": Shape(n, 1, 1),
        "join_flat": Shape(1, 1, 1),
        "join_json": Shape(1, 1, 1),
    }[strategy]
