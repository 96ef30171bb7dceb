"""pgbench (C, from the PostgreSQL wheel) as a read-path client.

One run per strategy x block: a script generated from the bundle's .sql files in which the
per-client counter `i` walks the block's user order (pgbench keeps variables across a client's
transactions) and `\\if` picks the branch for that user; each branch sends the strategy's
statements with the user id bound as a parameter (`:uK`, set by -D), `-M prepared`, inside
`\\startpipeline`/`\\endpipeline` for the pipelined form. The per-transaction log (-l) gives
every request's latency; the first `warmup` transactions are dropped.

Plans: the harness and node-postgres send one prepared statement per query for every user, which
PostgreSQL plans generically from its sixth execution on (checked: pg_prepared_statements shows
generic_plans for every statement after a block). pgbench's script has one statement per user
branch, each executed only a few times per block, so it would stay on custom plans (planned at
every execution). Its session therefore runs with plan_cache_mode=force_generic_plan
(PGOPTIONS, this client's session only), the plans the other clients reach after warm-up.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import psycopg

from bench.db import pg
from bench.measure.bundles import Bundle
from bench.measure.clients import script_statement

STRATEGIES = ("star_sequential", "star_pipelined", "join_flat", "join_json")
SESSION = "-c plan_cache_mode=force_generic_plan"  # the plans the harness reaches after five executions


def statements(bundle: Bundle, strategy: str) -> list[str]:
    if strategy.startswith("star"):
        return list(bundle.single.values())
    return [getattr(bundle, strategy)]


def script(bundle: Bundle, strategy: str, order: list[int]) -> str:
    """A pgbench script walking `order` (indexes into the users, bound as :u<index>)."""
    n = len(order)
    lines = [f"\\set j :i % {n}", "\\set i :i + 1"]
    for pos, k in enumerate(order):
        lines.append(f"\\if :j = {pos}" if pos == 0 else f"\\elif :j = {pos}")
        body = [script_statement(text, f"u{k}") + ";" for text in statements(bundle, strategy)]
        if strategy == "star_pipelined":
            body = ["\\startpipeline", *body, "\\endpipeline"]
        lines += body
    lines.append("\\endif")
    return "\n".join(lines) + "\n"


def _connection_args(dsn: str) -> list[str]:
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    return ["-h", str(params.get("host", "127.0.0.1")), "-p", str(params.get("port", 5432)),
            "-U", str(params.get("user", "postgres")), str(params["dbname"])]


def run(dsn: str, script_text: str, variables: list[str], args: list[str], timeout_s: float = 300,
        protocol: str = "prepared", session: bool = True) -> list[list[str]]:
    """pgbench over one script with -D `variables` and extra `args`; the per-transaction log's
    lines, split (client, transaction, latency_us, script, epoch_s, epoch_us[, lag_us]).
    `protocol` is pgbench's -M; `session=False` leaves out SESSION (PgBouncer drops the startup
    `options` parameter, so a pooled session cannot have it: compare without it on both sides)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "script.sql"
        path.write_text(script_text)
        cmd = [pg.tool("pgbench"), "-n", "-M", protocol, *args, "-l", "--log-prefix", str(Path(tmp) / "log"),
               "-f", str(path)]
        for v in variables:
            cmd += ["-D", v]
        env = {**pg.client_env(dsn), "PGOPTIONS": f"{os.environ.get('PGOPTIONS', '')} {SESSION if session else ''}".strip()}
        done = subprocess.run(cmd + _connection_args(dsn), capture_output=True, text=True, timeout=timeout_s,
                              cwd=tmp, env=env)
        if done.returncode:
            raise RuntimeError(f"pgbench failed: {done.stderr.strip()[-500:]}")
        return [line.split() for log in sorted(Path(tmp).glob("log*")) for line in log.read_text().splitlines()]


def user_variables(users: list, order: list[int]) -> list[str]:
    return [f"u{k}={users[k]}" for k in sorted(set(order))]


def block(dsn: str, bundle: Bundle, strategy: str, users: list, order: list[int], requests: int,
          warmup: int) -> list[dict]:
    """`requests` timed transactions after `warmup`, users taken in `order` and cycling."""
    if strategy not in STRATEGIES:
        raise ValueError(f"pgbench cannot express {strategy}")
    n = len(order)
    start = (n - warmup % n) % n  # so that the first timed transaction is order[0]
    rows = run(dsn, script(bundle, strategy, order), user_variables(users, order) + [f"i={start}"],
               ["-c", "1", "-j", "1", "-t", str(warmup + requests)])
    rows.sort(key=lambda r: int(r[1]))  # transaction number
    timed = rows[warmup:]
    if len(timed) != requests:
        raise RuntimeError(f"pgbench logged {len(rows)} transactions, expected {warmup + requests}")
    return [{"user_idx": order[t % n], "latency_us": float(r[2])} for t, r in enumerate(timed)]


def as_bundle(bundle: Bundle, strategy: str) -> Bundle:
    """The statements exactly as the script sends them (the variable put back as $1), as a
    Bundle the harness can run once per user to check pgbench's answer."""
    back = [script_statement(text, "bench_uid").replace(":bench_uid", "$1") for text in statements(bundle, strategy)]
    if strategy.startswith("star"):
        return Bundle(bundle.name, bundle.parts, dict(zip(bundle.single, back)), bundle.join_flat, bundle.join_json)
    return Bundle(bundle.name, bundle.parts, bundle.single, *(back * 2))
