"""The read paths timed by independent clients beside the suite's harness (client `psycopg`):
pgbench (C) and node-postgres (the memo's JavaScript), through the same link (direct, or the
delay proxy) as the harness's cells, and supabase-js (the memo's own code) over HTTP to the
PostgREST tier through the delayed link to it (envelope `tier`), for the same sampled users in
each repetition's order, with a fixed number of requests per block (the same for every client
and strategy of an envelope: the harness's count for that bundle and envelope).

Same answer first: pgbench's statements as its script sends them, run once per sampled user
through the harness, and node's and supabase-js's own answers for every user, must give the
bundle's canonical checksum (through the tier, every `.from()` node capped at db-max-rows as
PostgREST caps it: the direct answer so cut passes too); a client that disagrees fails the run.
Where Node.js or a package is missing, its cells are absent and run.json says why (`clients` in
the experiment's meta).

Each client's lineup in a repetition, in an order shuffled per bundle and repetition, holds a
sham (common.sham_of): a twin of its one-request form (join_json on the direct connection,
rpc_bundle through the tier) whose rows carry record "sham" and the twin's strategy id.

On the relational variant (spokes reference profiles, so PostgREST accepts the embed it refuses
on the star with PGRST200), supabase-js runs Promise.all, the three in turn and the embed
(RELATIONAL) with a sham of the embed, through a second tier on that dataset, in the same blocks
(users, order, requests): rows with `variant` "relational" and envelope `tier_relational`."""
from __future__ import annotations

import random

import pandas as pd
import psycopg

from bench.db import pg
from bench.experiments import common as checks
from bench.measure import bundles, postgrest_shapes, strategies, tier_server
from bench.measure.clients import NODE, PGBENCH, PSYCOPG, SUPABASE, node, pgbench, supabase


def meta() -> dict:
    """For run.json: each client's versions, or why it did not run; for supabase-js also the
    tier's verified-token cache (PostgREST's jwt-cache-max-lifetime/-entries) it ran against."""
    why, why_js = node.missing(), supabase.missing()
    cache = {"jwt_cache_s": tier_server.JWT_CACHE_S, "jwt_cache_entries": tier_server.JWT_CACHE_ENTRIES}
    return {PSYCOPG: {"psycopg": psycopg.__version__, "libpq": psycopg.pq.version()},
            PGBENCH: {"program": pg.tool("pgbench").rsplit("/", 1)[-1], "mode": "-M prepared", "server_bundled": True,
                      "session": pgbench.SESSION},
            NODE: node.version() if why is None else {"absent": why},
            SUPABASE: {**(supabase.version() if why_js is None else {"absent": why_js}), "envelope": "tier",
                       "tier_token_cache": cache, "relational_variant": {"envelope": RELATIONAL_ENVELOPE,
                                                                         "strategies": list(RELATIONAL)}}}


def check_answers(tcp: str, bundle: bundles.Bundle, users: list, expected: str) -> None:
    """pgbench's statements, as its scripts send them, for every sampled user."""
    for strategy in pgbench.STRATEGIES:
        got = checks.same_answer(tcp, pgbench.as_bundle(bundle, strategy), users, (strategy,))
        if got != expected:
            raise checks.AnswerMismatch(f"bundle {bundle.name}: pgbench's {strategy} statements differ from the checksum")


def _texts(tcp: str, answers: list[dict], strategy: str) -> list[str]:
    with pg.connect(tcp) as conn:
        types = bundles.column_types(conn)
    mine = sorted((a for a in answers if a["verify"] == strategy), key=lambda a: a["user_idx"])
    return [bundles.canonical({p: ((), rows) for p, rows in a["answer"].items()}, types) for a in mine]


def _check_node(tcp: str, bundle: bundles.Bundle, answers: list[dict], users: list, expected: str) -> None:
    for strategy in node.STRATEGIES:
        texts = _texts(tcp, answers, strategy)
        if len(texts) != len(users) or bundles.checksum(texts) != expected:
            raise checks.AnswerMismatch(f"bundle {bundle.name}: node-postgres {strategy} differs from the checksum")


def _check_supabase(tcp: str, bundle: bundles.Bundle, answers: list[dict], users: list, expected: str,
                    names=supabase.STRATEGIES) -> list[str]:
    """supabase-js's answers give the checksum, or (PostgREST caps every node at db-max-rows with
    no order) each user's is the direct answer so capped. Returns the strategies the cap cut."""
    capped = []
    direct = None
    for strategy in names:
        texts = _texts(tcp, answers, strategy)
        if len(texts) == len(users) and bundles.checksum(texts) == expected:
            continue
        if len(texts) == len(users):
            if direct is None:
                with pg.connect(tcp) as conn:
                    types = bundles.column_types(conn)
                with strategies.Source(tcp) as src:
                    direct = [bundles.canonical(strategies.star_sequential(src, bundle, u).answer, types) for u in users]
                if bundles.checksum(direct) != expected:
                    raise checks.AnswerMismatch(f"bundle {bundle.name}: the direct answers differ from the checksum")
            cuts = [bundles.capped_parts(ref, text, postgrest_shapes.MAX_ROWS) for ref, text in zip(direct, texts)]
            if all(c is not None for c in cuts):
                capped.append(strategy)
                continue
        raise checks.AnswerMismatch(f"bundle {bundle.name}: supabase-js {strategy} differs from the checksum")
    return capped


RELATIONAL = ("star_sequential", "star_parallel", supabase.EMBED)  # what PostgREST allows on the relational variant
RELATIONAL_ENVELOPE = "tier_relational"  # apart from `tier` (the star's): nothing reading the star's rows sees them
RELATIONAL_VARIANT = "relational"


def check_relational(rel_tcp: str, names, users: list, expected: dict[str, str]) -> list[dict]:
    """Each bundle's direct answer on the relational dataset, for the star's sampled users, must
    be the star's checksum (the same seed: the same users and rows). One `equivalence` row each."""
    out = []
    for name in names:
        got = checks.same_answer(rel_tcp, bundles.load(name), users, RELATIONAL)
        if got != expected[name]:
            raise checks.AnswerMismatch(f"bundle {name}: the relational dataset's answer for the sampled users "
                                        f"differs from the star's checksum")
        out.append({"record": "equivalence", "bundle": name, "envelope": RELATIONAL_ENVELOPE,
                    "variant": RELATIONAL_VARIANT, "strategy": ",".join(RELATIONAL), "checksum": got})
    return out


def relational_cells(mx, rel_tcp: str, users: list, orders: list[list[int]], counts: dict, cond: dict,
                     expected: dict[str, str], tier_addr: tuple[str, int]) -> list[dict]:
    """supabase-js on the relational variant through its tier at `tier_addr` (the delay proxy in
    front of it at RTT > 0): RELATIONAL and a sham of the embed, per bundle in mx.client_bundles,
    one block per repetition (orders[rep]), counts[bundle, "tier"] requests as the star's cells;
    every strategy's answer checked against the checksum first (db-max-rows cut allowed)."""
    out = []
    sham = bool(getattr(mx, "sham", False))
    warmup = mx.warmup + len(users)
    rtt = cond.get("rtt_ms")
    for name in (b for b in mx.client_bundles if (b, "tier") in counts or (b, "plain") in counts):
        bundle = bundles.load(name)
        requests = counts.get((name, "tier"), counts.get((name, "plain")))
        blocks = [{"rep": rep, "strategy": s, "order": order, "requests": requests, "warmup": warmup}
                  for rep, order in enumerate(orders)
                  for s in _lineup(RELATIONAL, sham, f"supabase relational {name} {rtt} {rep}")]
        answers, records = supabase.run(rel_tcp, tier_addr, bundle, users, blocks, verify=True, strategies=RELATIONAL)
        capped = _check_supabase(rel_tcp, bundle, answers, users, expected[name], names=RELATIONAL)
        row = {**cond, "bundle": name, "envelope": RELATIONAL_ENVELOPE, "client": SUPABASE,
               "variant": RELATIONAL_VARIANT}
        out.append({**row, "record": "equivalence", "strategy": ",".join(RELATIONAL), "checksum": expected[name],
                    "capped": bool(capped), "capped_parts": ",".join(capped)})
        out += _relabel(records, row, bundle)
    return out


def _lineup(names, sham: bool, seed: str) -> list[str]:
    """A client's strategies and (with `sham`) its sham twin, in an order fixed by `seed`."""
    out = [*names, *(checks.sham_of(names) if sham else [])]
    random.Random(seed).shuffle(out)
    return out


def cells(mx, dsn: str, tcp: str, users: list, orders: list[list[int]], counts: dict, cond: dict,
          expected: dict[str, str], tier_addr: tuple[str, int] | None = None) -> list[dict]:
    """Every client x strategy it expresses x bundle in mx.client_bundles, one block per
    repetition (orders[rep]), as many timed requests as the harness's blocks of that bundle
    (counts[bundle, "plain"]; supabase-js: counts[bundle, "tier"]), after mx.warmup + one cycle
    of users. `tier_addr`: the tier as the client reaches it at this RTT (the delay proxy in
    front of it, or the tier itself at RTT 0); None: no supabase-js cells."""
    out = []
    sham = bool(getattr(mx, "sham", False))
    warmup = mx.warmup + len(users)  # every per-user statement of a pgbench script prepared before timing
    for name in (b for b in mx.client_bundles if (b, "plain") in counts):  # bundles the harness timed here
        bundle = bundles.load(name)
        requests = counts[name, "plain"]
        row = {**cond, "bundle": name, "envelope": "plain"}
        rtt = cond.get("rtt_ms")
        for rep, order in enumerate(orders):
            for strategy in _lineup(pgbench.STRATEGIES, sham, f"pgbench {name} {rtt} {rep}"):
                kind = checks.label(strategy)
                out += [{**row, **_shape(kind["strategy"], bundle), "record": kind["record"], "client": PGBENCH,
                         "rep": rep, **r}
                        for r in pgbench.block(dsn, bundle, kind["strategy"], users, order, requests, warmup)]
        if node.missing() is None:
            blocks = [{"rep": rep, "strategy": s, "order": order, "requests": requests, "warmup": warmup}
                      for rep, order in enumerate(orders)
                      for s in _lineup(node.STRATEGIES, sham, f"node {name} {rtt} {rep}")]
            answers, records = node.run(dsn, bundle, users, blocks, verify=True)
            _check_node(tcp, bundle, answers, users, expected[name])
            out += _relabel(records, {**row, "client": NODE}, bundle)
        if tier_addr is not None and supabase.missing() is None:
            requests = counts.get((name, "tier"), requests)
            blocks = [{"rep": rep, "strategy": s, "order": order, "requests": requests, "warmup": warmup}
                      for rep, order in enumerate(orders)
                      for s in _lineup(supabase.STRATEGIES, sham, f"supabase {name} {rtt} {rep}")]
            answers, records = supabase.run(tcp, tier_addr, bundle, users, blocks, verify=True)
            _check_supabase(tcp, bundle, answers, users, expected[name])
            out += _relabel(records, {**row, "envelope": "tier", "client": SUPABASE}, bundle)
    return out


def _relabel(records: list[dict], row: dict, bundle: bundles.Bundle) -> list[dict]:
    """A driver's records as rows: a sham's under record "sham" and its twin's strategy id."""
    out = []
    for r in records:
        kind = checks.label(r["strategy"])
        out.append({**row, **r, **_shape(kind["strategy"], bundle), "record": kind["record"]})
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
