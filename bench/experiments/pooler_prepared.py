"""What named prepared statements do through PgBouncer 1.18 in transaction mode (rows
`record="prepared_check"`), and the fall-back the pooler experiment uses.

Two recorded checks, each through the pooler:
- `psycopg_prepare`: one client prepares a statement by name (psycopg `prepare=True`) in one
  transaction; a second client then holds that server connection in an open transaction, so the
  first client's next transaction lands on another server connection and executes the name
  again. Any error is recorded with its SQLSTATE and text.
- `wire_named` / `wire_unnamed`: the timed path's own `Wire` (libpq PQprepare/PQexecPrepared by
  name, or unnamed Parse/Bind/Execute) over `clients` connections taking turns for `attempts`
  statements each: errors counted. The unnamed form is the fall-back: it never fails.
- `pgbench_prepared` / `pgbench_extended`: pgbench -M prepared and -M extended through the
  pooler, four clients; the first error line pgbench prints (an error aborts the run). For
  this reason the pooler's pgbench load cells run -M extended and -M simple.
"""
from __future__ import annotations

import psycopg

from bench.measure import strategies
from bench.measure.wire import Wire

QUERY = "SELECT $1::int + 1"
UNNAMED = ("wire_unnamed", "pgbench_extended")
FALLBACK = ("unnamed statements: connections through the pooler use prepare_threshold=None, so "
            "bench.measure.wire.Wire sends Parse/Bind/Execute unnamed (planned at every execution); "
            "pgbench -M extended or simple, never -M prepared")


def _error(exc: BaseException | None) -> dict:
    if exc is None:
        return {"outcome": "ok", "error_class": "", "sqlstate": "", "error": ""}
    return {"outcome": "error", "error_class": type(exc).__name__, "sqlstate": getattr(exc, "sqlstate", "") or "",
            "error": str(exc).strip().splitlines()[0][:300]}


def psycopg_prepare(dsn: str) -> dict:
    """A named statement prepared in one transaction, executed in the next on another server
    connection (a second client holds the first one meanwhile)."""
    first = psycopg.connect(dsn, autocommit=True)
    holder = psycopg.connect(dsn, autocommit=True)
    exc = None
    try:
        first.execute("SELECT %s::int + 1", (1,), prepare=True)  # transaction 1: Parse "_pg3_0" on server A
        holder.execute("BEGIN")
        holder.execute("SELECT 1")  # the holder now has a server connection (A, the most recently freed)
        try:
            first.execute("SELECT %s::int + 1", (2,), prepare=True)  # transaction 2: Bind "_pg3_0" elsewhere
        except psycopg.Error as e:
            exc = e
        holder.execute("COMMIT")
    finally:
        first.close()
        holder.close()
    return {"check": "psycopg_prepare", "attempts": 1, "errors": int(exc is not None), **_error(exc)}


def wire_turns(dsn: str, prepared: bool, clients: int = 4, attempts: int = 50) -> dict:
    """The timed path's Wire on `clients` connections taking turns, `attempts` statements each."""
    conns = [psycopg.connect(dsn, **strategies.connect_kwargs(prepared)) for _ in range(clients)]
    errors, first = 0, None
    try:
        wires = [Wire(c) for c in conns]
        for i in range(attempts):
            for w in wires:
                try:
                    res = w.execute(QUERY, [str(i).encode()])
                    assert int(res.get_value(0, 0)) == i + 1
                except psycopg.Error as e:
                    errors += 1
                    first = first or e
                    w.names.clear()  # a failed Parse leaves the name unknown here: try again next turn
    finally:
        for c in conns:
            c.close()
    return {"check": "wire_named" if prepared else "wire_unnamed", "attempts": clients * attempts,
            "errors": errors, **_error(first), "outcome": "error" if errors else "ok"}


def pgbench_protocol(dsn: str, protocol: str, clients: int = 4, transactions: int = 50) -> dict:
    """pgbench -M `protocol` through the pooler: `clients` connections, `transactions` each."""
    from bench.measure.clients import pgbench

    exc = None
    try:
        pgbench.run(dsn, "\\set x random(1, 100)\nSELECT :x::int + 1;\n", [],
                    ["-c", str(clients), "-j", "1", "-t", str(transactions)], timeout_s=60, protocol=protocol,
                    session=False)
    except RuntimeError as e:
        exc = e
    row = {"check": f"pgbench_{protocol}", "attempts": clients * transactions, "errors": int(exc is not None), **_error(exc)}
    if exc is not None:  # pgbench's own message: the server's error is on the line with ERROR
        lines = [ln for ln in str(exc).splitlines() if "ERROR" in ln] or [str(exc)]
        row["error"] = lines[0].strip()[:300]
    return row


def cells(pooled_dsn: str) -> list[dict]:
    rows = [psycopg_prepare(pooled_dsn), wire_turns(pooled_dsn, True), wire_turns(pooled_dsn, False),
            pgbench_protocol(pooled_dsn, "prepared"), pgbench_protocol(pooled_dsn, "extended")]
    return [{"record": "prepared_check", "path": "pgbouncer", "prepared": "unnamed" if r["check"] in UNNAMED
             else "named", "fallback": FALLBACK, **r} for r in rows]
