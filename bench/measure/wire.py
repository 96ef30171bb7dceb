"""A lean way to talk to PostgreSQL for the timed path: libpq calls through psycopg's `pq`
layer, named prepared statements, text results decoded by psycopg's own loaders.

psycopg's cursor machinery costs about 30 µs per statement on this machine; pgbench pays none
of it. Driving libpq directly (PQexecPrepared, pipeline mode) keeps the harness within reach of
pgbench, and the rows are still decoded by the same C loaders a cursor uses (`Transformer`), so
the client's decoding cost stays in the measurement, reported on its own.
"""
from __future__ import annotations

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


class Wire:
    """One connection, statements prepared once by name."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn
        self.pgconn = conn.pgconn
        self.tx = Transformer(conn)
        self.names: dict[str, bytes] = {}

    def _prepared(self, query: str) -> bytes:
        name = self.names.get(query)
        if name is None:
            name = f"bench_{len(self.names)}".encode()
            _check(self.pgconn.prepare(name, query.encode(), None))
            self.names[query] = name
        return name

    def execute(self, query: str, params: list[bytes]) -> pq.PGresult:
        """One statement, one round trip."""
        return _check(self.pgconn.exec_prepared(self._prepared(query), params))

    def batch(self, items: list[tuple[str, list[bytes]]]) -> list[pq.PGresult]:
        """Several statements in one round trip (pipeline mode, one sync at the end). An item
        with params None is sent unprepared (a one-off text such as SET TRANSACTION SNAPSHOT)."""
        names = [self._prepared(q) if p is not None else None for q, p in items]  # Parse once, outside
        pgc = self.pgconn
        pgc.enter_pipeline_mode()
        results, failure = [], None
        try:
            for name, (query, params) in zip(names, items):
                if name is None:
                    pgc.send_query_params(query.encode(), None)
                else:
                    pgc.send_query_prepared(name, params)
            pgc.pipeline_sync()
            for _ in items:
                res = pgc.get_result()
                if res.status not in OK and failure is None:
                    failure = res
                results.append(res)
                while pgc.get_result() is not None:  # the end of this statement's results
                    pass
            pgc.get_result()  # PGRES_PIPELINE_SYNC
        finally:
            pgc.exit_pipeline_mode()
        if failure is not None:
            _check(failure)
        return results

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
