"""Cross-spoke business queries, each answered three ways: one SQL statement joining the spokes
(run on the star and on the relational dataset), and the microservices way, where each service
reads only its own table and the application joins the pieces in pandas, either with every
service applying its own filter at once (`services_parallel`) or with the second service asked
about the first one's users (`services_chained`, a batch lookup by ids).

One contract, as in `strategies`: `approach(src, query, now) -> Outcome`; the answer is the
sorted list of user ids (duplicates kept, so a wrong join that repeats users is caught).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import wait
from dataclasses import dataclass

import pandas as pd

from bench.names import CROSS_QUERIES
from bench.sql import sql_text
from bench.measure.strategies import Source
from bench.measure.wire import Wire, datarow_bytes


@dataclass
class Outcome:
    answer: list[str]  # sorted user ids
    rows: int  # rows received
    decode_ns: int
    assemble_ns: int  # building frames and merging them (the application's join)
    statements: int
    wire_bytes: int = 0  # DataRow bytes received (counted with Source(count_bytes=True))
    sent_bytes: int = 0  # parameter bytes sent (the id lists a chained service is given)


Merge = Callable[[list[pd.DataFrame], str], pd.Series]  # (frames, now) -> user ids


@dataclass(frozen=True)
class CrossQuery:
    name: str
    title: str
    join: str  # one statement over the spokes
    parallel: tuple[str, ...]  # service statements, each with its own filter, run at once
    merge_parallel: Merge  # their frames -> the user ids
    chained: tuple[str, str]  # first service, then the second asked about the first's users
    merge_chained: Merge


def _sql(name: str) -> str:
    return sql_text(f"queries/cross/{name}.sql")


def _svc(name: str) -> str:
    return _sql(f"services/{name}")


def _inner(key_left: str, key_right: str) -> Merge:
    return lambda f, _now: f[0].merge(f[1], left_on=key_left, right_on=key_right)[key_left]


def _anti(frames: list[pd.DataFrame], _now: str) -> pd.Series:
    """Users of the first frame that the second does not list."""
    first, second = frames
    return first.user_id[~first.user_id.isin(second.user_id)]


def _admins_incomplete_by_ids(f: list[pd.DataFrame], _now: str) -> pd.Series:
    admins, profiles = f
    incomplete = profiles[profiles.full_name.isna() | profiles.avatar_url.isna()]
    return admins.merge(incomplete, left_on="user_id", right_on="id").user_id


def _active_without_staff_role(f: list[pd.DataFrame], _now: str) -> pd.Series:
    active, roles = f
    staff = roles.user_id[roles.role != "user"]
    return active.user_id[~active.user_id.isin(staff)]


def _admins_quiet(f: list[pd.DataFrame], now: str) -> pd.Series:
    admins, last = f
    cutoff = _timestamps(pd.Series([now]))[0] - pd.Timedelta(days=90)
    joined = admins.merge(last.assign(last_at=_timestamps(last.last_at)), on="user_id", how="left")
    return joined.user_id[joined.last_at.isna() | (joined.last_at <= cutoff)]


def _timestamps(text: pd.Series) -> pd.Series:
    """timestamptz as the server prints it ('2025-12-30 10:11:12.5+00') -> UTC timestamps."""
    return pd.to_datetime(text, utc=True, format="ISO8601")


QUERIES = {q.name: q for q in (
    CrossQuery("admin_incomplete", CROSS_QUERIES["admin_incomplete"], _sql("admin_incomplete"),
               (_svc("roles_admins"), _svc("profiles_incomplete")), _inner("user_id", "id"),
               (_svc("roles_admins"), _svc("profiles_by_ids")), _admins_incomplete_by_ids),
    CrossQuery("chat_active_no_staff", CROSS_QUERIES["chat_active_no_staff"], _sql("chat_active_no_staff"),
               (_svc("chat_active"), _svc("roles_staff")), _anti,
               (_svc("chat_active"), _svc("roles_by_users")), _active_without_staff_role),
    CrossQuery("admins_quiet_audit", CROSS_QUERIES["admins_quiet_audit"], _sql("admins_quiet_audit"),
               (_svc("roles_admins"), _svc("audit_active")), _anti,
               (_svc("roles_admins"), _svc("audit_last_by_users")), _admins_quiet),
)}


def reference_time(conn) -> str:
    """The data's "now" (latest activity) as the server prints a timestamptz."""
    return conn.execute(_sql("reference_time")).fetchone()[0]


def _params(sql: str, now: str, ids: list[str] | None = None) -> list[bytes]:
    """A lookup by ids binds them as $1 (uuid[]); any other statement that mentions $1 takes
    the reference time."""
    if ids is not None:
        return [("{" + ",".join(ids) + "}").encode()]
    return [now.encode()] if "$1" in sql else []


def _fetch(src: Source, wire: Wire, sql: str, params: list[bytes]) -> tuple[pd.DataFrame, int, int]:
    """One statement -> (frame, decode ns, wire bytes)."""
    res = wire.execute(sql, params)
    nbytes = datarow_bytes(res) if src.count_bytes else 0
    t = time.perf_counter_ns()
    names, rows = wire.rows(res)
    decode = time.perf_counter_ns() - t
    return pd.DataFrame(rows, columns=list(names)), decode, nbytes


def _ids(series: pd.Series) -> list[str]:
    return sorted(str(v) for v in series)


def join(src: Source, q: CrossQuery, now: str) -> Outcome:
    frame, decode, nbytes = _fetch(src, src.wire, q.join, _params(q.join, now))
    t = time.perf_counter_ns()
    ids = _ids(frame.iloc[:, 0])
    return Outcome(ids, len(frame), decode, time.perf_counter_ns() - t, 1, nbytes)


def _pooled(src: Source, sql: str, params: list[bytes]):
    with src.pool.connection() as conn:
        return _fetch(src, src.pooled(conn), sql, params)


def services_parallel(src: Source, q: CrossQuery, now: str) -> Outcome:
    futures = [src.executor.submit(_pooled, src, sql, _params(sql, now)) for sql in q.parallel]
    wait(futures)
    parts = [f.result() for f in futures]
    t = time.perf_counter_ns()
    ids = _ids(q.merge_parallel([frame for frame, _, _ in parts], now))
    return Outcome(ids, sum(len(f) for f, _, _ in parts), sum(d for _, d, _ in parts), time.perf_counter_ns() - t,
                   len(parts), sum(b for _, _, b in parts))


def services_chained(src: Source, q: CrossQuery, now: str) -> Outcome:
    first_sql, second_sql = q.chained
    first, d1, b1 = _fetch(src, src.wire, first_sql, _params(first_sql, now))
    users = first.iloc[:, 0].astype(str).unique().tolist()
    params = _params(second_sql, now, users)
    second, d2, b2 = _fetch(src, src.wire, second_sql, params)
    t = time.perf_counter_ns()
    ids = _ids(q.merge_chained([first, second], now))
    return Outcome(ids, len(first) + len(second), d1 + d2, time.perf_counter_ns() - t, 2, b1 + b2,
                   sum(len(p) for p in params))


APPROACHES = {"join_star": join, "join_relational": join, "services_parallel": services_parallel,
              "services_chained": services_chained}
