"""What a server offers the instruments, probed once as a run starts: pg_stat_statements
(preloaded, for server time), superuser rights, pg_buffercache with relation eviction (the cold
cells). A managed server may lack any of them; the run then says in one line what is missing and
which cells it skips, and run.json records the same, so a missing value is never taken for a
measured one."""
from __future__ import annotations

import psycopg

from bench.db.pg import connect

SKIPS = {  # what each missing capability costs: the cells recorded as skipped (NaN, never invented)
    "pg_stat_statements": "server time (read_paths server_us, rls exec_us, caching blocks): recorded as missing",
    "superuser": "cold-cache cells (caching, eviction) and anything needing CHECKPOINT or pg_read_server_files",
    "pg_buffercache": "cold-cache cells of caching (evicting relations from shared buffers): one 'skipped' row",
}


def probe(dsn: str) -> dict:
    with connect(dsn, autocommit=True) as conn:
        superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]
        try:
            preload = conn.execute("SELECT current_setting('shared_preload_libraries')").fetchone()[0]
            statements = "pg_stat_statements" in preload
        except psycopg.Error:  # not readable without pg_read_all_settings: ask the extension itself
            statements = _answers(conn, "SELECT 1 FROM pg_stat_statements LIMIT 0")
        buffercache = conn.execute("SELECT 1 FROM pg_available_extension_versions WHERE name = 'pg_buffercache' "
                                   "AND version >= '1.6'").fetchone() is not None
        version = conn.execute("SHOW server_version").fetchone()[0]
    return {"server_version": version, "pg_stat_statements": statements, "superuser": bool(superuser),
            "pg_buffercache": buffercache}


def _answers(conn, query: str) -> bool:
    try:
        conn.execute(query)
        return True
    except psycopg.Error:
        return False


def missing(caps: dict) -> list[str]:
    return [name for name in SKIPS if not caps.get(name)]


def skipped_cells(caps: dict) -> dict[str, str]:
    return {name: SKIPS[name] for name in missing(caps)}


def one_line(caps: dict) -> str | None:
    """'server 15.20 lacks pg_stat_statements, superuser: skipping ...' or None when nothing is missing."""
    lacks = missing(caps)
    if not lacks:
        return None
    return (f"server {caps['server_version']} lacks {', '.join(lacks)}: skipping "
            + "; ".join(SKIPS[name] for name in lacks))


REQUEST_ROLES = ("anon", "authenticated", "service_role")  # what the PostgREST envelope and RLS cells SET ROLE to


def require_request_roles(dsn: str) -> None:
    """Refuse, in one line, a login that cannot SET ROLE to the request roles (a non-superuser
    not granted them): every envelope and RLS cell needs it, so no partial run is started."""
    from bench.config import UsageError

    with connect(dsn, autocommit=True) as conn:
        user, lacking = conn.execute(
            "SELECT current_user, array_agg(r) FILTER (WHERE NOT pg_has_role(current_user, r, 'MEMBER')) "
            "FROM unnest(%s::text[]) AS r WHERE EXISTS (SELECT FROM pg_roles WHERE rolname = r)",
            (list(REQUEST_ROLES),)).fetchone()
    if lacking:
        raise UsageError(f"role {user!r} cannot SET ROLE to {', '.join(lacking)} (the PostgREST envelope and RLS "
                         f"cells need it): GRANT {', '.join(lacking)} TO {user}, or connect as a superuser")
