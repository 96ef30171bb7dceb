"""The cluster-wide roles the suite creates (schema/auth.sql): anon, authenticated, service_role,
authenticator. Roles are shared by every database of a cluster, so on a server the suite did not
start it uses a role of that name only when its attributes are the ones the suite would give it;
otherwise it refuses, before it changes anything, in one line."""
from __future__ import annotations

import psycopg
from psycopg import sql

from bench.config import UsageError
from bench.db.pg import connect

ATTRIBUTES = ("rolsuper", "rolinherit", "rolcanlogin", "rolbypassrls")
EXPECTED = {  # as schema/auth.sql creates them (Supabase's attributes: the API roles INHERIT since 2023)
    "anon": {"rolsuper": False, "rolinherit": True, "rolcanlogin": False, "rolbypassrls": False},
    "authenticated": {"rolsuper": False, "rolinherit": True, "rolcanlogin": False, "rolbypassrls": False},
    "service_role": {"rolsuper": False, "rolinherit": True, "rolcanlogin": False, "rolbypassrls": True},
    "authenticator": {"rolsuper": False, "rolinherit": False, "rolcanlogin": True, "rolbypassrls": False},
}
ROLES = tuple(EXPECTED)


def _word(attr: str, value: bool) -> str:
    word = {"rolsuper": "SUPERUSER", "rolinherit": "INHERIT", "rolcanlogin": "LOGIN", "rolbypassrls": "BYPASSRLS"}[attr]
    return word if value else "NO" + word


def mismatches(server: str) -> dict[str, list[str]]:
    """Per existing suite role whose attributes differ: the attributes it should have."""
    with connect(server, autocommit=True) as conn:
        rows = conn.execute("SELECT rolname, rolsuper, rolinherit, rolcanlogin, rolbypassrls FROM pg_roles "
                            "WHERE rolname = ANY(%s)", (list(ROLES),)).fetchall()
    found = {}
    for name, *values in rows:
        have = dict(zip(ATTRIBUTES, values))
        wrong = [_word(a, v) for a, v in EXPECTED[name].items() if have[a] != v]
        if wrong:
            found[name] = wrong
    return found


def require_compatible(server: str) -> None:
    bad = mismatches(server)
    if bad:
        name, wrong = next(iter(bad.items()))
        raise UsageError(f"role {name!r} already exists on this server with other attributes (the suite needs "
                         f"{' '.join(wrong)}); refusing to use or change it: use a server without it")


def set_password(conn, role: str, password: str) -> None:
    """Give `role` the password as a SCRAM verifier computed on this side (libpq's
    PQencryptPasswordConn): the plaintext never reaches the server, so neither pg_stat_statements
    nor the server log can keep it; then forget any tracked statement that did carry one."""
    verifier = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()
    conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(verifier)))
    forget_password_statements(conn)


PLAINTEXT = r"PASSWORD\s+'(?!SCRAM-SHA-256\$)"  # a password literal that is not a SCRAM verifier


def forget_password_statements(conn) -> None:
    """Drop pg_stat_statements entries whose text sets a plaintext password (older versions of the suite)."""
    try:
        with conn.transaction():
            if conn.execute("SELECT to_regclass('pg_stat_statements')").fetchone()[0] is None:
                return
            conn.execute("SELECT pg_stat_statements_reset(0, 0, queryid) FROM pg_stat_statements WHERE query ~* %s",
                         (PLAINTEXT,))
    except psycopg.Error:
        pass  # not allowed to reset (not a superuser): nothing this login can forget
