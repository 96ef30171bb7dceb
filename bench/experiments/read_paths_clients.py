"""The read paths timed by independent clients beside the suite's harness (client `psycopg`):
pgbench (C) and node-postgres (the memo's JavaScript), through the same link (direct, or the
delay proxy) as the harness's cells, for the same sampled users in each repetition's order,
with a fixed number of requests per block (the same for every client and strategy).

Same answer first: pgbench's statements as its script sends them, run once per sampled user
through the harness, and node's own answers for every user, must give the bundle's canonical
checksum; a client that disagrees fails the run. Where Node.js is missing, its cells are absent
and run.json says why (`clients` in the experiment's meta)."""
from __future__ import annotations

import pandas as pd
import psycopg

from bench.db import pg
from bench.experiments import common as checks
from bench.measure import bundles, strategies
from bench.measure.clients import NODE, PGBENCH, PSYCOPG, node, pgbench


def meta() -> dict:
    """For run.json: each client's versions, or why it did not run."""
    why = node.missing()
    return {PSYCOPG: {"psycopg": psycopg.__version__, "libpq": psycopg.pq.version()},
            PGBENCH: {"program": pg.tool("pgbench").rsplit("/", 1)[-1], "mode": "-M prepared", "server_bundled": True,
                      "session": pgbench.SESSION},
            NODE: node.version() if why is None else {"absent": why}}


def check_answers(tcp: str, bundle: bundles.Bundle, users: list, expected: str) -> None:
    """pgbench's statements, as its scripts send them, for every sampled user."""
    for strategy in pgbench.STRATEGIES:
        got = checks.same_answer(tcp, pgbench.as_bundle(bundle, strategy), users, (strategy,))
        if got != expected:
            raise checks.AnswerMismatch(f"bundle {bundle.name}: pgbench's {strategy} statements differ from the checksum")


def _check_node(tcp: str, bundle: bundles.Bundle, answers: list[dict], users: list, expected: str) -> None:
    with pg.connect(tcp) as conn:
        types = bundles.column_types(conn)
    for strategy in node.STRATEGIES:
        mine = sorted((a for a in answers if a["verify"] == strategy), key=lambda a: a["user_idx"])
        texts = [bundles.canonical({p: ((), rows) for p, rows in a["answer"].items()}, types) for a in mine]
        if len(texts) != len(users) or bundles.checksum(texts) != expected:
            raise checks.AnswerMismatch(f"bundle {bundle.name}: node-postgres {strategy} differs from the checksum")


def cells(mx, dsn: str, tcp: str, users: list, orders: list[list[int]], counts: dict, cond: dict,
          expected: dict[str, str]) -> list[dict]:
    """Every client x strategy it expresses x bundle in mx.client_bundles, one block per
    repetition (orders[rep]), as many timed requests as the harness's blocks of that bundle
    (counts[bundle, "plain"]), after mx.warmup + one cycle of users."""
    out = []
    warmup = mx.warmup + len(users)  # every per-user statement of a pgbench script prepared before timing
    for name in (b for b in mx.client_bundles if (b, "plain") in counts):  # bundles the harness timed here
        bundle = bundles.load(name)
        requests = counts[name, "plain"]
        row = {**cond, "bundle": name, "envelope": "plain", "record": "request"}
        for rep, order in enumerate(orders):
            for strategy in pgbench.STRATEGIES:
                out += [{**row, **_shape(strategy, bundle), "client": PGBENCH, "rep": rep, **r}
                        for r in pgbench.block(dsn, bundle, strategy, users, order, requests, warmup)]
        if node.missing() is None:
            blocks = [{"rep": rep, "strategy": s, "order": order, "requests": requests, "warmup": warmup}
                      for rep, order in enumerate(orders) for s in node.STRATEGIES]
            answers, records = node.run(dsn, bundle, users, blocks, verify=True)
            _check_node(tcp, bundle, answers, users, expected[name])
            out += [{**row, **_shape(r["strategy"], bundle), "client": NODE, **r} for r in records]
    return out


def _shape(strategy: str, bundle: bundles.Bundle) -> dict:
    s = strategies.shape(strategy, bundle)
    return {"strategy": strategy, "statements": s.statements, "round_trips": s.round_trips, "connections": s.connections}


def fidelity(rows: list[dict], base: dict) -> list[dict]:
    """The harness against pgbench on the same statements, users and order at RTT 0 (record
    `pgbench`, one row per bundle x strategy both ran): means, as pgbench -r reports them, and
    the harness's time on the wire (its latency less its decode and assembly)."""
    t = pd.DataFrame([r for r in rows if r.get("record") == "request" and r.get("rtt_ms") == 0.0
                      and r.get("envelope") == "plain" and r.get("indexes") == "indexed"])
    out = []
    if t.empty or not (t.client == PGBENCH).any():
        return out
    for (name, strategy), g in t.groupby(["bundle", "strategy"]):
        h, p = g[g.client == PSYCOPG], g[g.client == PGBENCH]
        if h.empty or p.empty:
            continue
        client = (h.decode_us + h.assemble_us).mean()
        out.append({**base, "record": "pgbench", "bundle": name, "strategy": strategy, "rtt_ms": 0.0,
                    "requests": len(h), "users": int(p.user_idx.nunique()), "pgbench_us": p.latency_us.mean(),
                    "harness_mean_us": h.latency_us.mean(), "client_decode_us": client,
                    "ratio": h.latency_us.mean() / p.latency_us.mean(),
                    "wire_ratio": (h.latency_us.mean() - client) / p.latency_us.mean()})
    return out
