"""Bundles: what one screen fetches for one user, and the canonical form every strategy must match.

A bundle's SQL lives in bench/sql/queries/<bundle>/: one file per part (the memo's literal
single-table queries), `join_flat.sql`, `join_json.sql` and `rpc.sql` (the bundle's function). An answer maps part -> (columns,
rows); `canonical()` turns any answer into order-independent text with normalised values, so a
strategy that decodes JSON and one that reads binary rows can be compared exactly.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from ipaddress import ip_address, ip_interface

from bench.sql import sql_text

PARTS = {  # bundle -> parts in the order the memo fetches them
    "account": ("profiles", "user_roles", "auth_audit_log"),
    "account_paged": ("profiles", "user_roles", "auth_audit_log"),
    "chat": ("chat_sessions", "user_state", "profiles"),
}
FLAT_PREFIX = {"profiles": "p_", "user_roles": "ur_", "auth_audit_log": "aal_", "user_state": "us_",
               "chat_sessions": "cs_"}
KEY = {"profiles": "id", "user_roles": "id", "auth_audit_log": "id", "user_state": "user_id", "chat_sessions": "id"}


@dataclass(frozen=True)
class Bundle:
    name: str
    parts: tuple[str, ...]
    single: dict[str, str]  # part -> the single-table statement
    join_flat: str
    join_json: str
    rpc: str = ""  # the bundle's SQL function called directly (schema/rpc.sql)


@cache
def load(name: str) -> Bundle:
    if name not in PARTS:
        raise KeyError(f"unknown bundle {name!r}: choose one of {', '.join(PARTS)}")
    text = lambda f: sql_text(f"queries/{name}/{f}.sql")  # noqa: E731
    return Bundle(name, PARTS[name], {p: text(p) for p in PARTS[name]}, text("join_flat"), text("join_json"),
                  text("rpc"))


Answer = dict[str, tuple[tuple[str, ...], list]]  # part -> (column names, rows as tuples or dicts)


def _norm(value, kind: str):
    if value is None:
        return None
    if kind.startswith("timestamp"):
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if kind == "inet":
        return str(ip_interface(value).ip) if "/" in str(value) else str(ip_address(str(value)))
    if kind in ("jsonb", "json"):
        return json.dumps(json.loads(value) if isinstance(value, str) else value, sort_keys=True)
    if kind in ("bigint", "integer", "smallint"):
        return int(value)
    return str(value)


def canonical(answer: Answer, column_types: dict[str, dict[str, str]]) -> str:
    """Order-independent, type-normalised JSON text of an answer."""
    out = {}
    for part, (columns, rows) in sorted(answer.items()):
        kinds = column_types[part]
        norm_rows = []
        for row in rows:
            items = row.items() if isinstance(row, dict) else zip(columns, row)
            norm_rows.append({c: _norm(v, kinds[c]) for c, v in items})
        out[part] = sorted(json.dumps(r, sort_keys=True) for r in norm_rows)
    return json.dumps(out, sort_keys=True)


def capped_parts(direct: str, capped: str, cap: int) -> list[str] | None:
    """The parts where `capped` (an answer through PostgREST, every node limited to `cap` rows
    with no order, so any `cap` of them) holds `cap` of the direct answer's rows; None when it
    is not the direct answer so limited (a part differs otherwise)."""
    ref, got = json.loads(direct), json.loads(capped)
    if set(ref) != set(got):
        return None
    cut = []
    for part, rows in ref.items():
        if got[part] == rows:
            continue
        if len(rows) > cap and len(got[part]) == cap and set(got[part]) <= set(rows):
            cut.append(part)
        else:
            return None
    return cut


def checksum(canonical_texts) -> str:
    h = hashlib.sha256()
    for text in canonical_texts:
        h.update(text.encode())
    return h.hexdigest()


def column_types(conn) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for table, column, kind in conn.execute(sql_text("queries/catalog/column_types.sql")):
        out.setdefault(table, {})[column] = kind
    return out
