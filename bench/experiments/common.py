"""What every experiment shares: the contract with the runner (`Context`, `Step`, `progress`) and
the untimed parts of a read comparison: the user sample, the same-answer check, bytes on the
wire, server time from pg_stat_statements, and the pgbench fidelity check."""
from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psycopg

from bench.measure import bundles, harness, strategies
from bench.db import pg
from bench.seeding import seed
from bench.sql import sql_text

PGBENCH_STRATEGIES = ("star_sequential", "join_flat", "join_json")


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
    cold: bool = False  # read paths: add cold-cache cells (restarts the embedded server)
    external: bool = False  # a server given by DSN: never restarted


EVERY, LARGEST = "every", "largest"


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
            answers = {name: bundles.canonical(strategies.STRATEGIES[name](src, bundle, user).answer, types)
                       for name in names}
            reference = answers[names[0]]
            wrong = [name for name, text in answers.items() if text != reference]
            if wrong:
                raise AnswerMismatch(f"bundle {bundle.name}, user {user}: {', '.join(wrong)} differ from {names[0]}")
            texts.append(reference)
    return bundles.checksum(texts)


def wire_bytes(dsn: str, bundle: bundles.Bundle, sample: list[dict], names) -> list[dict]:
    out = []
    with strategies.Source(dsn, count_bytes=True) as src:
        for user in sample:
            for name in names:
                fetch = strategies.STRATEGIES[name](src, bundle, user["id"])
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


def _pgbench_script(statements: list[str]) -> str:
    """The statements as a pgbench script; :uid is bound as a parameter (-D uid=...)."""
    lines = []
    for text in statements:
        body = " ".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
        lines.append(" ".join(body.replace("$1", ":uid").split()) + ";")
    return "\n".join(lines) + "\n"


def _pgbench(tcp_dsn: str, script: str, user_id, seconds: float) -> float:
    """Mean latency (µs) of one pass over the script's statements for one user, from pgbench -r."""
    params = psycopg.conninfo.conninfo_to_dict(tcp_dsn)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bundle.sql"
        path.write_text(script)
        done = subprocess.run([pg.tool("pgbench"), "-n", "-M", "prepared", "-r", "-c", "1", "-j", "1",
                               "-T", str(max(1, round(seconds))), "-D", f"uid={user_id}", "-f", str(path),
                               "-h", params.get("host", "127.0.0.1"), "-p", str(params.get("port", 5432)),
                               "-U", params.get("user", "postgres"), params["dbname"]],
                              capture_output=True, text=True, timeout=120, env=pg.client_env(tcp_dsn))
    if done.returncode:
        raise RuntimeError(f"pgbench failed: {done.stderr.strip()[-500:]}")
    tail = done.stdout.split("statement latencies", 1)[1].splitlines()[1:]
    return sum(float(m.group(1)) for line in tail if (m := re.match(r"\s+([\d.]+)\s", line))) * 1_000


def fidelity_users(sample: list[dict]) -> list[dict]:
    picked = []
    for decile in FIDELITY_DECILES:
        same = [u for u in sample if u["decile"] == decile and u["kind"] == "decile"]
        if same:
            picked.append(same[len(same) // 2])
    return picked or sample[:1]


def pgbench_fidelity(tcp_dsn: str, sample: list[dict], mx, base: dict) -> list[dict]:
    """The harness and pgbench -M prepared on the same statements for the same user, back to
    back, at RTT 0; one light, one middle and one heavy user, `mx.pgbench_s` seconds each side.
    Means over the users (pgbench reports means)."""
    users = fidelity_users(sample)
    seconds = max(1.0, mx.pgbench_s / 2)
    out = []
    with strategies.Source(tcp_dsn) as src:
        for name in mx.bundles:
            bundle = bundles.load(name)
            for strategy in PGBENCH_STRATEGIES:
                fn = strategies.STRATEGIES[strategy]
                statements = list(bundle.single.values()) if strategy.startswith("star") else [getattr(bundle, strategy)]
                script = _pgbench_script(statements)
                harness_us, client_us, pgbench_us, requests = [], [], [], 0
                for user in users:
                    t0 = time.perf_counter()
                    harness.time_block(fn, src, bundle, [user["id"]], 0, mx.warmup)
                    per_request_s = (time.perf_counter() - t0) / max(1, mx.warmup)
                    n = max(20, int(seconds / per_request_s))  # one block, as long as pgbench's run
                    records = harness.time_block(fn, src, bundle, [user["id"]], n, 0)
                    harness_us.append(sum(r["latency_us"] for r in records) / len(records))
                    client_us.append(sum(r["decode_us"] + r["assemble_us"] for r in records) / len(records))
                    pgbench_us.append(_pgbench(tcp_dsn, script, user["id"], seconds))
                    requests += len(records)
                h, c, p = (sum(x) / len(x) for x in (harness_us, client_us, pgbench_us))
                out.append({**base, "record": "pgbench", "bundle": name, "strategy": strategy, "rtt_ms": 0.0,
                            "requests": requests, "users": len(users), "pgbench_us": p, "harness_mean_us": h,
                            "client_decode_us": c, "ratio": h / p, "wire_ratio": (h - c) / p})
    return out
