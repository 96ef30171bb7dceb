"""A lean way to talk to PostgreSQL for the timed path: libpq calls through psycopg's `pq`
layer, named prepared statements, text results decoded by psycopg's own loaders.

psycopg's cursor machinery costs about 30 µs per statement on this machine; pgbench pays none
of it. Driving libpq directly (PQexecPrepared, pipeline mode) keeps the harness within reach of
pgbench, and the rows are still decoded by the same C loaders a cursor uses (`Transformer`), so
the client's decoding cost stays in the measurement, reported on its own.
"""
from __future__ import annotations

import select

import psycopg
from psycopg import pq
from psycopg.adapt import Transformer
from psycopg.types.string import TextLoader

OK = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK)
AS_TEXT = ("uuid", "inet", "timestamptz", "timestamp")


def lean(conn: psycopg.Connection) -> None:
    """Minimal conversion: uuid, inet and timestamps stay the strings a JSON client (supabase-js)
    receives; jsonb is parsed, numbers are numbers. Building UUID, IPv4Address and datetime
    objects costs more than the whole round trip for a heavy user, and no client of the memo's
    API gets them."""
    for name in AS_TEXT:
        conn.adapters.register_loader(name, TextLoader)


def _check(res: pq.PGresult) -> pq.PGresult:
    if res.status not in OK:
        message = (res.error_message or b"").decode(errors="replace").strip()
        raise psycopg.DatabaseError(f"{pq.ExecStatus(res.status).name}: {message}")
    return res


class Pending:
    """One pipelined batch in flight on one connection. libpq's `get_result` does not release
    the GIL while it blocks, so results are taken only when `is_busy()` says they are complete;
    the waiting is done in `select`, which releases it (and lets one thread drive several
    connections, as a JavaScript runtime does)."""

    def __init__(self, pgconn: pq.PGconn, names: list[bytes | None], items: list[tuple[str, list[bytes]]]):
        self.pgconn = pgconn
        self.expected = len(items)
        self._results: list[pq.PGresult] = []
        self._synced = False
        pgconn.enter_pipeline_mode()
        try:
            for name, (query, params) in zip(names, items):
                if name is None:  # unprepared: a one-off text (params None) or an unnamed statement
                    pgconn.send_query_params(query.encode(), params)
                else:
                    pgconn.send_query_prepared(name, params)
            pgconn.pipeline_sync()
            while pgconn.flush():  # blocking mode: returns 0 once all is sent
                pass
        except BaseException:
            pgconn.exit_pipeline_mode()
            raise

    def fileno(self) -> int:
        return self.pgconn.socket

    def done(self) -> bool:
        """Take every result that has fully arrived; True once the batch's sync has."""
        pgc = self.pgconn
        pgc.consume_input()
        while not self._synced and not pgc.is_busy():
            res = pgc.get_result()  # does not block: is_busy() is False
            if res is None:  # the end of one statement's results
                continue
            if res.status == pq.ExecStatus.PIPELINE_SYNC:
                self._synced = True
            else:
                self._results.append(res)
        return self._synced

    def results(self) -> list[pq.PGresult]:
        """The batch's results, one per statement; raises on the first failed one."""
        self.pgconn.exit_pipeline_mode()
        failure = next((r for r in self._results if r.status not in OK), None)
        if failure is not None:
            _check(failure)
        if len(self._results) != self.expected:
            raise psycopg.DatabaseError(f"{len(self._results)} results for {self.expected} statements")
        return self._results


def readable(pending: list[Pending], timeout: float | None = None) -> list[Pending]:
    """Wait (GIL released) until at least one batch's socket has data."""
    return select.select(pending, [], [], timeout)[0]


class Wire:
    """One connection, statements prepared once by name; on a connection made with
    `prepare_threshold=None` (through PgBouncer 1.18, which loses named statements across
    transactions: bench.db.pgbouncer) every statement goes unnamed instead, Parse/Bind/Execute
    in one round trip, planned at every execution."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn
        self.pgconn = conn.pgconn
        self.tx = Transformer(conn)
        self.names: dict[str, bytes] = {}
        self.prepared = conn.prepare_threshold is not None

    def _prepared(self, query: str) -> bytes:
        name = self.names.get(query)
        if name is None:
            name = f"bench_{len(self.names)}".encode()
            _check(self.pgconn.prepare(name, query.encode(), None))
            self.names[query] = name
        return name

    def execute(self, query: str, params: list[bytes]) -> pq.PGresult:
        """One statement, one round trip."""
        if not self.prepared:
            return _check(self.pgconn.exec_params(query.encode(), params))
        return _check(self.pgconn.exec_prepared(self._prepared(query), params))

    def batch(self, items: list[tuple[str, list[bytes]]]) -> list[pq.PGresult]:
        """Several statements in one round trip (pipeline mode, one sync at the end). An item
        with params None is sent unprepared (a one-off text such as SET TRANSACTION SNAPSHOT).
        The wait is on the socket (`select`), so other threads of the process run meanwhile."""
        pending = self.send(items)
        while not pending.done():
            readable([pending])
        return pending.results()

    def send(self, items: list[tuple[str, list[bytes]]]) -> Pending:
        """Send a batch and return at once; `Pending.done()` takes what has arrived."""
        names = [self._prepared(q) if p is not None and self.prepared else None for q, p in items]  # Parse once, outside
        return Pending(self.pgconn, names, items)

    def rows(self, res: pq.PGresult) -> tuple[tuple[str, ...], list[tuple]]:
        """Column names and rows, decoded by psycopg's loaders."""
        self.tx.set_pgresult(res)
        names = tuple(res.fname(i).decode() for i in range(res.nfields))
        return names, self.tx.load_rows(0, res.ntuples, tuple)


def datarow_bytes(res: pq.PGresult) -> int:
    """Bytes of the DataRow messages of a result: per row 7 bytes of header, per field 4 + data."""
    fields = res.nfields
    data = 0
    for r in range(res.ntuples):
        for f in range(fields):
            value = res.get_value(r, f)  # None for NULL (sent as length -1, no data)
            data += len(value) if value is not None else 0
    return res.ntuples * (7 + 4 * fields) + data
