"""supabase-js (the memo's own code) as a read-path client of the PostgREST tier:
clients/supabase/readpaths.js, run with the repository's pinned `@supabase/supabase-js` (and `ws`,
which its realtime client needs on Node 20), installed by `make setup` with `npm ci`.

One node process per round-trip cell runs every block it is given, in the given order, over
HTTP to the tier's address (the delay proxy's in front of it at RTT > 0), and prints
per-request records; with `verify`, first each strategy's answer for every user, which the
caller checks against the canonical checksum before any of its timings count. Each user's
client sends the access token Supabase Auth would have issued that user (postgrest.claims),
built here, untimed.
"""
from __future__ import annotations

import json
import shutil
import subprocess

from bench import config
from bench.measure import postgrest, postgrest_shapes
from bench.measure.bundles import Bundle

STRATEGIES = ("star_sequential", "star_parallel", "rpc_bundle")  # what PostgREST allows on the star
EMBED = "join_json"  # `.from('profiles').select('*,<spoke>(*),...')`: the relational variant only (PGRST200 on the star)
DRIVER = config.REPO / "clients" / "supabase" / "readpaths.js"
PACKAGES = ("@supabase/supabase-js", "@supabase/postgrest-js", "ws")


def missing() -> str | None:
    """Why the supabase-js client cannot run here, or None."""
    if shutil.which("node") is None:
        return "node (Node.js) is not on PATH"
    for pkg in PACKAGES:
        if not (config.REPO / "node_modules" / pkg).is_dir():
            return f"node_modules/{pkg} is missing: run `make setup` (npm ci)"
    return None


def version() -> dict:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    out = {"node": node}
    for pkg in PACKAGES:
        out[pkg.rsplit("/", 1)[-1]] = json.loads((config.REPO / "node_modules" / pkg / "package.json").read_text())["version"]
    return out


def bearers(dsn: str, users: list, role: str = "authenticated") -> list[str]:
    """Each user's access token, as Supabase Auth issues it (claims from auth.users, HS256)."""
    tokens = postgrest.Tokens(dsn, role)
    try:
        return [postgrest.token(postgrest.claims(tokens.user(str(u)), role)) for u in users]
    finally:
        tokens.close()


def parts(bundle: Bundle) -> list[dict]:
    """Each part as supabase-js calls it: the filter column, and .order()/.limit() where the bundle
    pages (postgrest_shapes, the same as postgrest_url.memo_request)."""
    return [{"table": p, "column": postgrest_shapes.FILTER.get(p, "user_id"),
             "order": [list(x) for x in postgrest_shapes.ORDER.get((bundle.name, p), ())],
             "limit": postgrest_shapes.LIMIT.get((bundle.name, p))} for p in bundle.parts]


def base_job(addr: tuple[str, int], bundle: Bundle, users: list, tokens: list[str]) -> dict:
    """What every supabase-js driver reads: the tier as a project URL, the bundle's calls, the
    users and their access tokens."""
    return {"url": f"http://{addr[0]}:{addr[1]}", "anon_key": postgrest.ANON_KEY, "bundle": bundle.name,
            "parts": parts(bundle), "root": postgrest_shapes.ROOT, "rpc": postgrest_shapes.RPC[bundle.name],
            "users": [str(u) for u in users], "bearers": list(tokens)}


def run(dsn: str, addr: tuple[str, int], bundle: Bundle, users: list, blocks: list[dict], verify: bool,
        strategies: tuple[str, ...] = STRATEGIES, tokens: list[str] | None = None) -> tuple[list[dict], list[dict]]:
    """Blocks: [{rep, strategy, order, requests, warmup}] against the tier at `addr`; `dsn` reads
    the users' auth.users rows for their tokens (unless `tokens` are given). Returns (answers,
    records); answers for `strategies`."""
    job = {**base_job(addr, bundle, users, tokens if tokens is not None else bearers(dsn, users)),
           "verify": verify, "strategies": list(strategies), "blocks": blocks}
    done = subprocess.run(["node", str(DRIVER)], input=json.dumps(job), capture_output=True, text=True,
                          timeout=900, cwd=config.REPO)
    if done.returncode:
        raise RuntimeError(f"supabase-js client failed: {done.stderr.strip()[-500:]}")
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return [x for x in lines if "verify" in x], [x for x in lines if "verify" not in x]
