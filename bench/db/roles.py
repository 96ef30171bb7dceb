"""The cluster-wide roles the suite creates (schema/auth.sql): anon, authenticated, service_role,
authenticator. Roles are shared by every database of a cluster, so on a server the suite did not
start it uses a role of that name only when its attributes are the ones the suite would give it;
otherwise it refuses, before it changes anything, in one line."""
from __future__ import annotations

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
