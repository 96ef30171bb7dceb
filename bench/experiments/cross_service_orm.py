"""The ORM's view: the 'account' bundle for a page of users through SQLAlchemy's relationship
loaders (lazy = N+1, selectinload, joinedload, subqueryload) and through the raw strategies
(join_json per user after the page's ids; one join_json statement for the whole page), under the
same round-trip delays. Every loader's page must equal the raw page (canonical bundles) first.
"""
from __future__ import annotations

import ctypes
import os
import random
import tempfile
import time
from dataclasses import dataclass

from bench.measure import bundles, harness, netdelay, orm, strategies
from bench.experiments.common import progress
from bench.db import pg
from bench.sql import sql_text
from bench.measure.wire import Wire
from bench.experiments.common import AnswerMismatch

RAW = ("raw_loop_json", "raw_page_json")
CONDITION = "orm_page"


@dataclass(frozen=True)
class OrmMatrix:
    loaders: tuple[str, ...] = tuple(orm.LOADERS) + RAW
    rtts_ms: tuple[float, ...] = (0.0, 2.0, 10.0)
    page_size: int = 20
    pages: int = 5  # distinct pages (random cursors), cycled through in each block
    reps: int = 3
    block_budget_s: float = 0.4  # per loader x RTT x rep: pages = budget / latency, clamped
    min_requests: int = 3
    max_requests: int = 40
    warmup: int = 1


DEFAULT = OrmMatrix()
QUICK = OrmMatrix(rtts_ms=(0.0, 2.0), pages=2, block_budget_s=0.08, min_requests=2, max_requests=8)


def warm_up_us(fn, src, arg, users, warmup: int) -> float:
    """Untimed warm-up calls; their mean duration (µs), to size the timed block."""
    t0 = time.perf_counter()
    harness.time_block(fn, src, arg, users, 0, warmup)
    return (time.perf_counter() - t0) * 1e6 / max(1, warmup)


class Pager:
    """What one loader needs on one link: the ORM engine (with its statement counter) and a raw Source."""

    def __init__(self, dsn: str, size: int):
        self.size = size
        self.engine, self.counter = orm.engine(dsn)
        self.src = strategies.Source(dsn, pool_size=1)

    def close(self) -> None:
        self.engine.dispose()
        self.src.close()


def _page_params(size: int, after: str) -> list[bytes]:
    return [str(size).encode(), after.encode()]


def _raw_page_json(src: strategies.Source, size: int, after: str) -> tuple[dict, int]:
    res = src.wire.execute(sql_text("queries/cross/account_page.sql"), _page_params(size, after))
    _, rows = src.wire.rows(res)
    return {str(p["id"]): {"profiles": ((), [p]), "user_roles": ((), roles), "auth_audit_log": ((), audit)}
            for p, roles, audit in rows}, 1


def _raw_loop_json(src: strategies.Source, size: int, after: str) -> tuple[dict, int]:
    res = src.wire.execute(sql_text("queries/cross/page_ids.sql"), _page_params(size, after))
    ids = [row[0] for row in src.wire.rows(res)[1]]
    bundle = bundles.load("account")
    return {str(i): strategies.join_json(src, bundle, i).answer for i in ids}, 1 + len(ids)


def load(pager: Pager, loader: str, after: str) -> tuple[dict, int]:
    """One page by one loader: (bundle per user id, statements sent)."""
    if loader == "raw_page_json":
        return _raw_page_json(pager.src, pager.size, after)
    if loader == "raw_loop_json":
        return _raw_loop_json(pager.src, pager.size, after)
    before = pager.counter.statements
    page = orm.load_page(pager.engine, loader, pager.size, after)
    return page, pager.counter.statements - before


def round_trips(pager: Pager, loader: str, after: str) -> int:
    """Round trips one page takes, from libpq's protocol trace: one ReadyForQuery per wait (BEGIN
    and the ROLLBACK of the ORM's session included)."""
    if loader in RAW:
        conn = pager.src.wire.conn
    else:
        raw = pager.engine.raw_connection()  # the pool's one connection, which the next session uses
        conn = raw.driver_connection
        raw.close()
    with tempfile.NamedTemporaryFile("r") as trace:
        conn.pgconn.trace(os.dup(trace.fileno()))  # psycopg fdopen()s a copy and never closes it
        try:
            load(pager, loader, after)
        finally:
            conn.pgconn.untrace()
            ctypes.CDLL(None).fflush(None)  # the trace's stdio buffer (its stream leaks: once per loader)
        trace.seek(0)  # the copy shares the file offset
        return sum(1 for line in trace if "\tB\t" in line and "\tReadyForQuery" in line)


def _as_fetch(pager: Pager, loader: str, after: str) -> strategies.Fetch:
    page, statements = load(pager, loader, after)
    return strategies.Fetch(page, statements, 0, 0)  # `rows` carries the statements of the page


def same_pages(pager: Pager, loaders, cursors: list[str], types: dict) -> str:
    """Every loader returns the raw page's bundles, user by user; the checksum of the pages."""
    texts = []
    for after in cursors:
        pages = {name: load(pager, name, after)[0] for name in loaders}
        canon = {name: {u: bundles.canonical(a, types) for u, a in page.items()} for name, page in pages.items()}
        reference = canon["raw_page_json"]
        wrong = [name for name, c in canon.items() if c != reference]
        if wrong or len(reference) != pager.size:
            raise AnswerMismatch(f"ORM page after {after}: {', '.join(wrong) or 'short page'} "
                                 "differ from raw_page_json")
        texts += [reference[u] for u in sorted(reference)]
    return bundles.checksum(texts)


def page_cursors(conn, rng: random.Random, n: int, size: int) -> list[str]:
    """`n` random page cursors (profile ids), each followed by at least `size` profiles."""
    wire = Wire(conn)
    res = wire.execute(sql_text("queries/cross/page_cursors.sql"), [str(rng.random()).encode(), str(n).encode(),
                                                                      str(size).encode()])
    return [row[0] for row in wire.rows(res)[1]]


def run(mx: OrmMatrix, tcp: str, rng: random.Random, base: dict) -> list[dict]:
    with pg.connect(tcp) as conn:
        types = bundles.column_types(conn)
        cursors = page_cursors(conn, rng, mx.pages, mx.page_size)
    out = []
    pager = Pager(tcp, mx.page_size)
    try:
        checksum = same_pages(pager, mx.loaders, cursors, types)
        for loader in mx.loaders:  # what one page sends, counted once (untimed)
            page, statements = load(pager, loader, cursors[0])
            out.append({**base, "record": "shape", "strategy": loader, "condition": CONDITION, "bundle": "account",
                        "statements": statements, "round_trips": round_trips(pager, loader, cursors[0]),
                        "users": mx.page_size})
    finally:
        pager.close()
    out.append({**base, "record": "equivalence", "strategy": "all", "condition": CONDITION, "bundle": "account",
                "answer_rows": mx.page_size * len(cursors), "checksum": checksum})
    overhead = netdelay.calibrate(tcp) if any(mx.rtts_ms) else 0.0
    for rtt in mx.rtts_ms:
        with netdelay.link(tcp, rtt, overhead) as (dsn, added):
            if added:
                out.append({**base, "record": "rtt", "strategy": "proxy", "condition": CONDITION, "rtt_ms": rtt,
                            **added})
            pager = Pager(dsn, mx.page_size)
            try:
                out += _cells(mx, pager, cursors, rng, {**base, "rtt_ms": rtt, "condition": CONDITION,
                                                        "bundle": "account"})
            finally:
                pager.close()
        progress(f"cross_service {base['scale']}: ORM loaders at RTT {rtt:g} ms")
    return out


def _cells(mx: OrmMatrix, pager: Pager, cursors: list[str], rng: random.Random, cond: dict) -> list[dict]:
    out = []
    for rep in range(mx.reps):
        order = list(range(len(cursors)))
        rng.shuffle(order)
        lineup = list(mx.loaders)
        rng.shuffle(lineup)
        for loader in lineup:
            per_page_us = warm_up_us(_as_fetch, pager, loader, cursors, mx.warmup)
            n = harness.requests_for(per_page_us, mx.block_budget_s, mx.min_requests, mx.max_requests)
            for r in harness.time_block(_as_fetch, pager, loader, cursors, n, 0, order):
                out.append({**cond, "record": "page", "strategy": loader, "rep": rep, "latency_us": r["latency_us"],
                            "statements": r["rows"], "users": mx.page_size, "after": cursors[r["user_idx"]]})
    return out
