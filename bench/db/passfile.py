"""libpq's passfile, read as libpq reads it, for a DSN whose host or port is about to change.

A delay proxy or a pooler sits at another port than the server, so a passfile line naming the
server's host:port no longer matches what libpq connects to. `pin_password` resolves the
password for the original address, and the rewritten DSN (kept in memory, redacted wherever it
is printed) carries it."""
from __future__ import annotations

import os
from pathlib import Path

import psycopg


def _fields(line: str) -> list[str]:
    out, cur, escaped = [], "", False
    for ch in line:
        if escaped:
            cur += ch
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ":" and len(out) < 4:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return out + [cur]


def lookup(params: dict) -> str | None:
    """The password libpq would take from the passfile for these connection parameters."""
    path = params.get("passfile") or os.environ.get("PGPASSFILE") or Path.home() / ".pgpass"
    try:
        text = Path(path).read_text()
    except OSError:
        return None
    host = params.get("host") or "localhost"
    if host.startswith("/"):
        host = "localhost"
    want = (host, str(params.get("port") or 5432), params.get("dbname") or params.get("user") or "",
            params.get("user") or os.environ.get("USER", ""))
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = _fields(line)
        if len(fields) == 5 and all(f in ("*", w) for f, w in zip(fields[:4], want)):
            return fields[4]
    return None


def pin_password(dsn: str) -> dict:
    """The DSN's parameters with the password its passfile gives for the original address."""
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    if not params.get("password"):
        password = lookup(params)
        if password is not None:
            params["password"] = password
    return params
