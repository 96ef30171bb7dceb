"""node-postgres (the memo's JavaScript) as a read-path client: clients/node/readpaths.js, run
with the repository's pinned `pg` (package.json, installed by `make setup` with `npm ci`).

One node process per round-trip cell runs every block it is given, in the given order, and
prints per-request records; with `verify`, first each strategy's answer for every user, which
the caller checks against the canonical checksum before any of its timings count.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import psycopg

from bench import config
from bench.measure.bundles import Bundle

STRATEGIES = ("star_sequential", "star_parallel", "join_flat", "join_json")  # pg has no pipeline mode
DRIVER = config.REPO / "clients" / "node" / "readpaths.js"


def missing() -> str | None:
    """Why the node client cannot run here, or None."""
    if shutil.which("node") is None:
        return "node (Node.js) is not on PATH"
    if not (config.REPO / "node_modules" / "pg").is_dir():
        return "node_modules/pg is missing: run `make setup` (npm ci)"
    return None


def version() -> dict:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    pkg = json.loads((config.REPO / "node_modules" / "pg" / "package.json").read_text())
    return {"node": node, "pg": pkg["version"]}


def _conn(dsn: str) -> dict:
    p = psycopg.conninfo.conninfo_to_dict(dsn)
    conn = {"host": p.get("host", "127.0.0.1"), "port": int(p.get("port", 5432)), "user": p.get("user", "postgres"),
            "database": p["dbname"]}
    if p.get("password"):
        conn["password"] = p["password"]
    elif p.get("passfile"):  # the locked-down embedded server: the owner's passfile (mode 0600)
        for line in Path(p["passfile"]).read_text().splitlines():
            fields = line.split(":")
            if len(fields) == 5 and fields[3] in ("*", p.get("user", "")):
                conn["password"] = fields[4]
                break
    return conn


def run(dsn: str, bundle: Bundle, users: list, blocks: list[dict], verify: bool) -> tuple[list[dict], list[dict]]:
    """Blocks: [{rep, strategy, order, requests, warmup}]. Returns (answers, records)."""
    job = {"conn": _conn(dsn), "sql_dir": str(resources.files("bench").joinpath("sql")), "bundle": bundle.name,
           "parts": list(bundle.parts), "users": [str(u) for u in users], "verify": verify,
           "strategies": list(STRATEGIES), "blocks": blocks}
    done = subprocess.run(["node", str(DRIVER)], input=json.dumps(job), capture_output=True, text=True,
                          timeout=900, cwd=config.REPO)
    if done.returncode:
        raise RuntimeError(f"node client failed: {done.stderr.strip()[-500:]}")
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return [x for x in lines if "verify" in x], [x for x in lines if "verify" not in x]
