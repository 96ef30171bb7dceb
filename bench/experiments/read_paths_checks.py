"""The untimed parts of the read-paths experiment: the user sample, same-answer check, bytes on
the wire, server time from pg_stat_statements, and the pgbench fidelity check."""
from __future__ import annotations

import random
import re
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd
import psycopg

from .. import bundles, harness, pg, strategies
from ..schema import sql_text

PGBENCH_STRATEGIES = ("star_sequential", "join_flat", "join_json")


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


def _pgbench_script(statements: list[str], n_users: int) -> str:
    lines = [f"\\set n random(1, {n_users})", "SELECT id AS uid FROM bench_meta.read_sample WHERE n = :n \\gset"]
    for text in statements:
        body = " ".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
        lines.append(" ".join(body.replace("$1", ":uid").split()) + ";")
    return "\n".join(lines) + "\n"


def _pgbench(tcp_dsn: str, script: str, seconds: int) -> float:
    """Mean latency (µs) of the script's statements after the sample lookup, from pgbench -r."""
    params = psycopg.conninfo.conninfo_to_dict(tcp_dsn)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bundle.sql"
        path.write_text(script)
        done = subprocess.run([pg.tool("pgbench"), "-n", "-M", "prepared", "-r", "-c", "1", "-j", "1",
                               "-T", str(seconds), "-f", str(path), "-h", params.get("host", "127.0.0.1"),
                               "-p", str(params.get("port", 5432)), "-U", params.get("user", "postgres"),
                               params["dbname"]], capture_output=True, text=True, timeout=120)
    if done.returncode:
        raise RuntimeError(f"pgbench failed: {done.stderr.strip()[-500:]}")
    tail = done.stdout.split("statement latencies", 1)[1].splitlines()[1:]
    latencies = [float(m.group(1)) for line in tail if (m := re.match(r"\s+([\d.]+)\s", line))]
    return sum(latencies[2:]) * 1_000  # skip \set and the sample lookup


def pgbench_fidelity(dsn: str, tcp_dsn: str, sample: list[dict], mx, base: dict) -> list[dict]:
    """The harness and pgbench -M prepared on the same statements, back to back, at RTT 0:
    each runs the strategy alone for `mx.pgbench_s` seconds over random sampled users."""
    with pg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql_text("queries/read_paths/sample_table.sql"))
        with conn.cursor().copy("COPY bench_meta.read_sample (n, id) FROM STDIN") as copy:
            for i, user in enumerate(sample, 1):
                copy.write_row((i, user["id"]))
    users = [u["id"] for u in sample]
    rng = random.Random(len(users))
    out = []
    with strategies.Source(tcp_dsn) as src:
        for name in mx.bundles:
            bundle = bundles.load(name)
            for strategy in PGBENCH_STRATEGIES:
                fn = strategies.STRATEGIES[strategy]
                harness.time_block(fn, src, bundle, users, 0, mx.warmup)
                order = [rng.randrange(len(users)) for _ in range(200_000)]
                records, deadline = [], time.perf_counter() + mx.pgbench_s
                while time.perf_counter() < deadline:
                    records += harness.time_block(fn, src, bundle, users, 20, 0, order[len(records):])
                statements = list(bundle.single.values()) if strategy.startswith("star") else [getattr(bundle, strategy)]
                pgbench_us = _pgbench(tcp_dsn, _pgbench_script(statements, len(sample)), mx.pgbench_s)
                harness_us = sum(r["latency_us"] for r in records) / len(records)
                client_us = sum(r["decode_us"] + r["assemble_us"] for r in records) / len(records)
                out.append({**base, "record": "pgbench", "bundle": name, "strategy": strategy, "rtt_ms": 0.0,
                            "requests": len(records), "pgbench_us": pgbench_us, "harness_mean_us": harness_us,
                            "client_decode_us": client_us, "ratio": harness_us / pgbench_us,
                            "wire_ratio": (harness_us - client_us) / pgbench_us})
    return out
