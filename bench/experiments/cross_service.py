"""Cross-service queries: the memo's "admin users with incomplete profiles" and two more business
questions that cross spokes, each as one SQL join on the star and on the relational dataset and
the microservices way (each service reads its own table, pandas joins); then the 'account'
bundle for a page of users through SQLAlchemy's loaders against the raw strategies, across
round-trip delays (`cross_service_orm`). Same answer first, then interleaved timed blocks.

Rows of the table (column `record`):
- `request`: one timed cross-spoke query (condition = query), per approach x rep;
- `bytes`: rows and bytes one execution moves (DataRow bytes received, id lists sent), statements;
- `memory`: the client's Python-heap peak (tracemalloc) over one execution, fetch to answer;
- `equivalence`: the answer every approach matched (count and checksum), per query or ORM page set;
- `page`: one timed page of the 'account' bundle (condition = orm_page), per loader x RTT x rep;
- `rtt`: the delay the proxy actually added.
"""
from __future__ import annotations

import contextlib
import hashlib
import random
import tracemalloc
from dataclasses import dataclass, replace

import pandas as pd

from bench.db import intent, pg
from bench.experiments import cross_service_orm as orm_part
from bench.experiments.common import AnswerMismatch, Step, progress
from bench.measure import cross, harness, strategies
from bench.seeding import seed

NAME = "cross_service"


@dataclass(frozen=True)
class Matrix:
    queries: tuple[str, ...] = tuple(cross.QUERIES)
    approaches: tuple[str, ...] = tuple(cross.APPROACHES)
    reps: int = 3
    block_budget_s: float = 0.3  # per approach x query x rep: requests = budget / latency, clamped
    min_requests: int = 2  # the slowest cell (seconds per query at m) still gets 3 x 2 samples
    max_requests: int = 30
    warmup: int = 1
    orm: orm_part.OrmMatrix = orm_part.DEFAULT


DEFAULT = Matrix()
QUICK = Matrix(block_budget_s=0.04, min_requests=2, max_requests=10, orm=orm_part.QUICK)


def run(ctx) -> pd.DataFrame:
    mx = QUICK if ctx.quick else DEFAULT
    base = {"experiment": NAME, "scale": ctx.req.scale}
    relational = seed.seed(ctx.server, replace(ctx.req, variant="relational"), progress=False)
    dsns = {"star": pg.tcp_dsn(ctx.dsn), "relational": pg.tcp_dsn(relational.dsn)}
    out: list[dict] = []
    with _indexed(ctx, relational):
        with pg.connect(dsns["star"]) as conn:
            now = cross.reference_time(conn)
        out += untimed(mx, dsns, now, base)
        out += timed(mx, dsns, now, random.Random(ctx.req.seed), {**base, "indexes": "indexed", "cache": "warm",
                                                                    "rtt_ms": 0.0})
        progress(f"cross_service {ctx.req.scale}: cross-spoke queries")
        out += orm_part.run(mx.orm, dsns["star"], random.Random(ctx.req.seed), {**base, "indexes": "indexed",
                                                                                "cache": "warm"})
    return pd.DataFrame(out)


@contextlib.contextmanager
def _indexed(ctx, relational: seed.Result):
    """Both datasets with the user_id indexes for the run (per-user lookups and the ORM's loaders
    need them), then as they were seeded."""
    # recorded in each dataset first: a killed run is restored by the next seed or run of either
    with intent.indexed(ctx.dsn, NAME, ctx.req.indexes), intent.indexed(relational.dsn, NAME, ctx.req.indexes):
        yield


def _source_for(approach: str) -> str:
    return "relational" if approach == "join_relational" else "star"


@contextlib.contextmanager
def _sources(dsns: dict[str, str], count_bytes: bool = False):
    with strategies.Source(dsns["star"], count_bytes=count_bytes) as star, \
            strategies.Source(dsns["relational"], count_bytes=count_bytes) as rel:
        yield {"star": star, "relational": rel}


def same_answer(q: cross.CrossQuery, outcomes: dict[str, cross.Outcome]) -> str:
    """Every approach returned the same sorted user ids; their checksum."""
    names = list(outcomes)
    reference = outcomes[names[0]].answer
    wrong = [n for n in names if outcomes[n].answer != reference]
    if wrong:
        raise AnswerMismatch(f"query {q.name}: {', '.join(wrong)} differ from {names[0]} "
                             f"({len(reference)} users)")
    return hashlib.sha256("\n".join(reference).encode()).hexdigest()


def untimed(mx: Matrix, dsns: dict[str, str], now: str, base: dict) -> list[dict]:
    """One pass counting bytes (and checking every approach's answer), one measuring memory."""
    out = []
    with _sources(dsns, count_bytes=True) as srcs:
        for name in mx.queries:
            q = cross.QUERIES[name]
            outcomes = {a: cross.APPROACHES[a](srcs[_source_for(a)], q, now) for a in mx.approaches}
            checksum = same_answer(q, outcomes)
            out.append({**base, "record": "equivalence", "strategy": "all", "condition": name,
                        "answer_rows": len(outcomes[mx.approaches[0]].answer), "checksum": checksum})
            out += [{**base, "record": "bytes", "strategy": a, "condition": name, "rows": o.rows,
                     "bytes": o.wire_bytes, "sent_bytes": o.sent_bytes, "statements": o.statements}
                    for a, o in outcomes.items()]
    with _sources(dsns) as srcs:
        for name in mx.queries:
            for a in mx.approaches:
                out.append({**base, "record": "memory", "strategy": a, "condition": name,
                            "peak_bytes": _peak(cross.APPROACHES[a], srcs[_source_for(a)], cross.QUERIES[name], now)})
    return out


def _peak(fn, src, q, now) -> int:
    """Python-heap peak over one execution, after a warm one (prepared statements, pools)."""
    fn(src, q, now)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        outcome = fn(src, q, now)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del outcome
    return peak


def timed(mx: Matrix, dsns: dict[str, str], now: str, rng: random.Random, cond: dict) -> list[dict]:
    """Every approach x query, `reps` times; the order of queries and approaches shuffled per rep."""
    out = []
    with _sources(dsns) as srcs:
        for rep in range(mx.reps):
            queries = list(mx.queries)
            rng.shuffle(queries)
            for name in queries:
                lineup = list(mx.approaches)
                rng.shuffle(lineup)
                for a in lineup:
                    out += _block(mx, srcs[_source_for(a)], a, cross.QUERIES[name], now,
                                  {**cond, "condition": name, "strategy": a, "variant": _source_for(a), "rep": rep})
    return out


def _block(mx: Matrix, src, approach: str, q, now: str, cond: dict) -> list[dict]:
    fn = cross.APPROACHES[approach]
    per_request_us = orm_part.warm_up_us(fn, src, q, [now], mx.warmup)
    n = harness.requests_for(per_request_us, mx.block_budget_s, mx.min_requests, mx.max_requests)
    records = harness.time_block(fn, src, q, [now], n, 0)
    return [{**cond, "record": "request", **{k: v for k, v in r.items() if k != "user_idx"}} for r in records]


STEPS = (Step(run),)
