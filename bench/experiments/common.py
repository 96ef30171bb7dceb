"""What every experiment shares: the contract with the runner (`Context`, `Step`, `progress`) and
the untimed parts of a read comparison: the user sample, the same-answer check, bytes on the
wire, server time from pg_stat_statements."""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import psycopg

from bench.db import pg
from bench.measure import bundles, strategies
from bench.seeding import seed
from bench.sql import sql_text


def progress(message: str) -> None:
    """One line per finished step on stderr, so a long run shows where it is."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Context:
    """One seeded dataset, handed to a step by the runner."""

    server: str  # maintenance DSN of the server
    dsn: str  # the seeded dataset's database
    req: seed.Request  # its scale, seed, locale, variant, index option
    manifest: dict
    quick: bool
    external: bool = False  # a server given by DSN: never restarted


EVERY, LARGEST = "every", "largest"


@dataclass(frozen=True)
class LoadSettings:
    """How every closed-loop load cell runs (concurrency, locks, pooler): the bundle it reads,
    the users it cycles (drawn uniformly from the population), the measured seconds per
    repetition after a warm-up, and from how many senders the load runs in two processes."""

    bundle: str = "account"
    users: int = 40
    rep_s: float = 0.5
    warmup_s: float = 0.3
    workers_from: int = 16


QUICK_LOAD = {"users": 10, "rep_s": 0.3, "warmup_s": 0.1, "workers_from": 1000}  # every --quick matrix's LoadSettings; a 0.15 s window once caught a 0.15 s client stall (0 requests) in CI


@dataclass(frozen=True)
class Step:
    """Part of an experiment and the scales it runs at: `every` scale of the run, once at the
    run's `largest`, or named scales it needs besides the run's (seeded by the runner, skipped
    when the run includes them; their rows carry their dataset's fingerprint). The runner owns
    the loop; no experiment looks at which scales the run has."""

    run: Callable[[Context], list[dict] | pd.DataFrame]
    at: str | tuple[str, ...] = EVERY
    quick: bool = True  # also in --quick runs


class AnswerMismatch(RuntimeError):
    """Strategies disagree on a user's bundle: the run fails rather than time wrong answers."""


def sample_users(dsn: str, seed: int, per_decile: int) -> list[dict]:
    with pg.connect(dsn) as conn:
        cur = conn.execute(sql_text("queries/read_paths/sample_users.sql"), {"seed": str(seed), "per_decile": per_decile})
        cols = [d.name for d in cur.description]
        return [dict(zip(cols, row)) for row in cur.fetchall()]


def same_answer(dsn: str, bundle: bundles.Bundle, users: list, names) -> str:
    """Every strategy returns the identical canonical bundle for every sampled user; the checksum."""
    with pg.connect(dsn) as conn:
        types = bundles.column_types(conn)
    texts = []
    with strategies.Source(dsn) as src:
        for user in users:
            answers = {name: bundles.canonical(strategy_fn(name)(src, bundle, user).answer, types)
                       for name in names}
            reference = answers[names[0]]
            wrong = [name for name, text in answers.items() if text != reference]
            if wrong:
                raise AnswerMismatch(f"bundle {bundle.name}, user {user}: {', '.join(wrong)} differ from {names[0]}")
            texts.append(reference)
    return bundles.checksum(texts)


def rest_answers(dsn: str, bundle: bundles.Bundle, users: list, names, cap: int, envelope: str = "rest",
                 **source) -> list[dict]:
    """Through PostgREST every node is capped at db-max-rows (`cap`) with no ORDER BY: each
    strategy's answer must be the direct answer of names[0] with at most `cap` rows per part, any
    of them. One `equivalence` row per user x strategy says whether the cap cut a part (which).
    `source`: how the requests go (default PostgREST's statements; rest="tier", tier=addr: HTTP
    to the tier)."""
    with pg.connect(dsn) as conn:
        types = bundles.column_types(conn)
    out = []
    with strategies.Source(dsn) as direct, strategies.Source(dsn, **(source or {"rest": True})) as rest:
        for user in users:
            reference = bundles.canonical(strategy_fn(names[0])(direct, bundle, user).answer, types)
            for name in names:
                text = bundles.canonical(strategy_fn(name)(rest, bundle, user).answer, types)
                cut = bundles.capped_parts(reference, text, cap)
                if cut is None:
                    raise AnswerMismatch(f"bundle {bundle.name}, user {user}: {name} through PostgREST is not "
                                         f"the direct {names[0]} answer capped at {cap} rows per node")
                out.append({"record": "equivalence", "envelope": envelope, "bundle": bundle.name, "strategy": name,
                            "user_id": str(user), "capped": bool(cut), "capped_parts": ",".join(cut)})
    return out


# The sham: a twin of one strategy (the same statements, the same connection) under another
# label, interleaved with the others in every timed block. Nothing differs between the two, so
# every call between them is a false one: the run measures its own false-call rate. Its rows
# carry record "sham" and the twin's strategy id, so nothing that reads requests sees them.
SHAM = "sham:"
SHAM_TWINS = ("join_json", "rpc_bundle")  # the one-request form of the lineup (PostgREST on the star: the RPC)


def sham_of(lineup) -> list[str]:
    """The sham to add to a lineup: a twin of its one-request form ([] when it has none)."""
    twin = next((s for s in SHAM_TWINS if s in lineup), None)
    return [SHAM + twin] if twin else []


def strategy_fn(name: str):
    """A strategy by id: the default ones, the alternatives, and a sham (its twin's function)."""
    name = name.removeprefix(SHAM)
    return strategies.STRATEGIES.get(name) or strategies.ALTERNATIVES[name]


def label(strategy: str) -> dict:
    """The record and strategy columns of a timed row: a sham is its twin under record "sham"."""
    if strategy.startswith(SHAM):
        return {"record": "sham", "strategy": strategy.removeprefix(SHAM)}
    return {"record": "request", "strategy": strategy}


def wire_bytes(dsn: str, bundle: bundles.Bundle, sample: list[dict], names) -> list[dict]:
    out = []
    with strategies.Source(dsn, count_bytes=True) as src:
        for user in sample:
            for name in names:
                fetch = strategy_fn(name)(src, bundle, user["id"])
                out.append({"record": "bytes", "bundle": bundle.name, "strategy": name, "user_id": str(user["id"]),
                            "rows": fetch.rows, "bytes": fetch.wire_bytes})
    return out


def reset_statements(dsn: str) -> bool:
    try:
        with pg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql_text("queries/read_paths/reset_statements.sql"))
        return True
    except psycopg.Error:
        return False


def server_time(dsn: str) -> tuple[float, int] | None:
    """Server execution (µs) and statement calls in this database since the last reset. Only the
    block being measured runs here between the reset and this read; the statistics queries
    themselves are left out. None when pg_stat_statements is not available."""
    try:
        with pg.connect(dsn, autocommit=True) as conn:
            rows = conn.execute(sql_text("queries/read_paths/statements.sql")).fetchall()
    except psycopg.Error:
        return None
    ours = [(calls, ms) for query, calls, ms, _rows in rows if "pg_stat_statements" not in query]
    return sum(ms for _, ms in ours) * 1_000, sum(calls for calls, _ in ours)


def with_fanout(df: pd.DataFrame, users: list, sample: dict) -> pd.DataFrame:
    """Attach each request's user fan-out (rows per spoke) by its index in the sample."""
    if "user_idx" in df:
        idx = df["user_idx"]
        ok = idx.notna()
        keys = [str(users[int(i)]) for i in idx[ok]]
        for col in ("audit_rows", "role_rows", "session_rows"):
            df.loc[ok, col] = [sample[k][col] for k in keys]
    return df


FIDELITY_DECILES = (2, 6, 10)  # one user from each: light, middle and heavy fan-out


def fidelity_users(sample: list[dict]) -> list[dict]:
    picked = []
    for decile in FIDELITY_DECILES:
        same = [u for u in sample if u["decile"] == decile and u["kind"] == "decile"]
        if same:
            picked.append(same[len(same) // 2])
    return picked or sample[:1]
