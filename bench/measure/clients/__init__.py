"""Independent clients for the read paths: the same statements, users, order and records as the
suite's harness (client `psycopg`), timed by other programs.

- `pgbench`: C, libpq, `-M prepared`; every strategy a script can express (no parallel).
- `node-postgres`: the memo's own JavaScript (`Promise.all` over a pg.Pool of three); no
  pipeline mode in node-postgres, so no star_pipelined.
- `supabase-js`: the memo's own code (`getUserData`'s `Promise.all` over three `.from()` calls,
  the same calls in turn, `.rpc()`) over HTTP to the PostgREST tier (envelope `tier`).
- `node-http` (load cells only): the requests supabase-js makes, recorded once and replayed by
  node's own http client with many in flight, through the tier (supabase_load).

Each client's `block(...)` runs one strategy for a fixed number of requests over the users in a
given order (cycling) after a warm-up, and returns one record per request:
{"user_idx", "latency_us"}. Each client's `answers(...)` returns what it fetched for the users,
checked by the caller against the canonical checksum before its timings count.
"""
from __future__ import annotations

from bench.names import TIER_LOAD_CLIENT

PSYCOPG = "psycopg"
PGBENCH = "pgbench"
NODE = "node-postgres"
SUPABASE = "supabase-js"
NODE_HTTP = TIER_LOAD_CLIENT


def script_statement(text: str, variable: str) -> str:
    """A .sql file's statement on one line, comments dropped, $1 as a pgbench variable."""
    body = " ".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return " ".join(body.replace("$1", f":{variable}").split())
