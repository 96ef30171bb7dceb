"""Load cells through the PostgREST path, driven by supabase-js (clients/supabase/load.js): many
users' getUserData (Promise.all, three requests in flight each) or one request each, against the
tier (its pool of `tier_server.POOL_SIZE` beside the database), through the delay proxy on the
client's side of the link.

One node process per cell: `clients` virtual users in a closed loop, `reps` repetitions, each
after its own warm-up. The client side is node (its JavaScript runs on one thread, so near one
core is its ceiling, as the GIL is a Python sender's) and the delay proxy; the server side is
PostgreSQL and the tier (a single-threaded process in place of PostgREST's Haskell runtime, on
the server's core). A cell is client-bound by bench.measure.cpu's rule, with node's or the
proxy's share of one core as the single-thread ceiling; `tier_cpu_cores` and
`tier_cpu_us_per_http` say how much of the server side the tier took. Rows carry the columns of
`loadrun.summarise` (histograms encoded), client `supabase-js`, envelope `tier`.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass

import numpy as np

from bench import config
from bench.measure import bundles, tier_server
from bench.measure.clients import NODE_HTTP, SUPABASE, supabase
from bench.measure.cpu import ServerCPU, client_bound
from bench.measure.netdelay import cpu_seconds
from bench.results import stats

DRIVER = config.REPO / "clients" / "supabase" / "load.js"
REPLAY = NODE_HTTP  # the client id of supabase-js's requests replayed by node's http client
CLIENT = {"replay": REPLAY, "supabase-js": SUPABASE}
HTTP_REQUESTS = {"star_parallel": None, "star_sequential": None, "rpc_bundle": 1}  # None: one per part


@dataclass(frozen=True)
class Cell:
    strategy: str
    bundle: str
    users: tuple[str, ...]
    tokens: tuple[str, ...]
    clients: int = 1  # virtual users, each with its requests in flight
    budget: int = tier_server.POOL_SIZE  # the tier's pool
    duration_s: float = 0.5  # per repetition, after its warm-up
    warmup_s: float = 0.3
    reps: int = 3
    driver: str = "replay"  # supabase-js's requests replayed by node's http client; "supabase-js": the library itself


def http_per_request(strategy: str, bundle: bundles.Bundle) -> int:
    n = HTTP_REQUESTS.get(strategy, 1)
    return len(bundle.parts) if n is None else n


def run(cell: Cell, addr: tuple[str, int], server_dsn: str, tier_pid: int, proxy_pid: int | None = None) -> list[dict]:
    """One cell -> one row per repetition. `addr`: the tier as the client reaches it (the delay
    proxy's address at RTT > 0, whose process is `proxy_pid`)."""
    bundle = bundles.load(cell.bundle)
    job = {**supabase.base_job(addr, bundle, list(cell.users), list(cell.tokens)), "strategy": cell.strategy,
           "driver": cell.driver, "vus": cell.clients, "warmup_s": cell.warmup_s, "duration_s": cell.duration_s, "reps": cell.reps}
    proc = subprocess.Popen(["node", str(DRIVER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=config.REPO)
    proc.stdin.write(json.dumps(job))
    proc.stdin.close()
    server = ServerCPU(server_dsn)
    try:
        if json.loads(proc.stdout.readline() or "{}").get("phase") != "go":
            proc.wait(30)
            raise RuntimeError(f"the supabase-js load driver did not start: {proc.stderr.read().strip()[-500:]}")
        server.start()
        tier0, proxy0, t0 = cpu_seconds(tier_pid), cpu_seconds(proxy_pid) if proxy_pid else 0.0, time.perf_counter()
        if json.loads(proc.stdout.readline() or "{}").get("phase") != "end":
            raise RuntimeError("the supabase-js load driver stopped mid-cell")
        wall = time.perf_counter() - t0
        server_s = server.stop()
        tier_s = cpu_seconds(tier_pid) - tier0
        proxy_s = (cpu_seconds(proxy_pid) - proxy0) if proxy_pid else 0.0
        reps = [json.loads(line) for line in proc.stdout.read().splitlines() if line.strip()]
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode:
        raise RuntimeError(f"supabase-js load driver failed: {proc.stderr.read().strip()[-500:]}")
    http = http_per_request(cell.strategy, bundle)
    tier_cores, proxy_cores = tier_s / wall, proxy_s / wall
    server_cores = (server_s / wall if server_s is not None else 0.0) + tier_cores  # PostgreSQL and the tier
    out = []
    for r in reps:
        latency = np.asarray(r["latency_us"], dtype=float)
        n, window = len(latency), r["window_s"]
        node_cores = r["cpu_s"] / window
        side = node_cores + proxy_cores
        row = {"client": CLIENT[cell.driver], "envelope": "tier", "strategy": cell.strategy, "bundle": cell.bundle,
               "mode": "closed", "clients": cell.clients, "budget": cell.budget, "duration_s": cell.duration_s,
               "rep": r["rep"], "requests": n, "errors": r["errors"], "first_error": r.get("first_error"),
               "window_s": window, "throughput_rps": n / window, "http_per_request": http,
               "client_cpu_cores": node_cores, "client_cpu_max_worker": node_cores, "proxy_cpu_cores": proxy_cores,
               "client_side_cores": side, "server_cpu_cores": server_cores, "tier_cpu_cores": tier_cores,
               "tier_cpu_us_per_http": 1e6 * tier_s / max(1, sum(x["completed"] for x in reps) * http),
               "machine_cores": os.cpu_count(),
               "client_bound": client_bound(side, server_cores, os.cpu_count() or 1,
                                            gil_cores=max(node_cores, proxy_cores))}
        row.update(stats.hist_columns("latency", stats.histogram(latency), float(latency.mean()) if n else None))
        out.append(row)
    return out
