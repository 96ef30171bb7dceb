"""The load through the PostgREST tier, cross-checked with a tool the suite did not write.

`python -m bench.measure.tier_crosscheck [--scale m] [--rounds 3] [--clients 48]` prints, per
round and strategy (the memo's Promise.all and the RPC, 'account' bundle, RTT 0), the tier's
saturation throughput as the suite's load cells measure it (the requests supabase-js makes,
replayed by node's http client: bench.measure.clients.supabase_load) and as autocannon measures
it (the same recorded requests, as many connections as virtual users; Promise.all's three GETs as
a flat mix, so bundles/s is HTTP requests/s over three), then the ratio Promise.all / RPC by each
tool. Client and server are pinned apart as in a run (BENCH_PIN=0 turns it off), on the concurrency
experiment's users. Needs node and `make setup`'s npm packages.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess

from bench import config
from bench.db import intent, pg
from bench.experiments import concurrency
from bench.measure import bundles, tier, topology
from bench.measure.clients import supabase, supabase_load
from bench.seeding import seed

DRIVER = config.REPO / "clients" / "supabase" / "crosscheck.js"
STRATEGIES = ("star_parallel", "rpc_bundle")


def autocannon(addr, users, tokens, strategy: str, connections: int, duration_s: float, warmup_s: float) -> dict:
    job = {**supabase.base_job(addr, bundles.load("account"), list(users), list(tokens)), "strategy": strategy,
           "connections": connections, "duration_s": duration_s, "warmup_s": warmup_s}
    done = subprocess.run(["node", str(DRIVER)], input=json.dumps(job), capture_output=True, text=True, timeout=300,
                          cwd=config.REPO)
    if done.returncode:
        raise RuntimeError(f"autocannon failed: {done.stderr.strip()[-400:]}")
    return json.loads(done.stdout)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.measure.tier_crosscheck", description=__doc__.split("\n")[0])
    ap.add_argument("--scale", default="m")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--clients", type=int, default=48, help="virtual users / autocannon connections")
    args = ap.parse_args(argv)
    why = supabase.missing() or (None if (config.REPO / "node_modules" / "autocannon").is_dir()
                                 else "node_modules/autocannon is missing: run `make setup` (npm ci)")
    if why:
        raise SystemExit(f"error: {why}")
    server = pg.server_dsn()
    ds = seed.seed(server, seed.Request(scale=args.scale), progress=False)
    tcp = pg.tcp_dsn(ds.dsn)
    mx = concurrency.DEFAULT
    users = concurrency.load_users(tcp, seed.Request(scale=args.scale).seed, mx.users)
    tokens = tuple(supabase.bearers(tcp, list(users)))
    got: dict[tuple[str, str], list[float]] = {}
    with intent.indexed(ds.dsn, "tier_crosscheck", seed.Request(scale=args.scale).indexes), \
            topology.awake(topology.awake_wanted()), topology.pinned(server, topology.wanted()), \
            tier.Process(tcp, pool_size=mx.budget) as the_tier:
        topology.to_server(the_tier.pid)
        addr = ("127.0.0.1", the_tier.port)
        print(f"scale {args.scale}, {len(users)} users, {args.clients} virtual users / connections, RTT 0; "
              f"{topology.describe()}", flush=True)
        for rnd in range(args.rounds):
            for strategy in STRATEGIES:
                ac = autocannon(addr, users, tokens, strategy, args.clients, 3.0, 1.0)
                rows = supabase_load.run(supabase_load.Cell(strategy, "account", users, tokens, clients=args.clients,
                                                            budget=mx.budget, duration_s=1.0, warmup_s=0.5, reps=3),
                                         addr, tcp, the_tier.pid)
                mine = statistics.median(r["throughput_rps"] for r in rows)
                got.setdefault(("autocannon", strategy), []).append(ac["bundles_rps"])
                got.setdefault((supabase_load.REPLAY, strategy), []).append(mine)
                print(f"round {rnd} {strategy:14s} autocannon {ac['bundles_rps']:7.0f} bundles/s "
                      f"({ac['http_rps']:.0f} HTTP/s, p99 {ac['p99_ms']:.0f} ms, errors {ac['errors']}, non-2xx "
                      f"{ac['non2xx']}); node-http {mine:7.0f} bundles/s (median of 3 x 1 s, errors "
                      f"{sum(r['errors'] for r in rows)})", flush=True)
    for tool in ("autocannon", supabase_load.REPLAY):
        par, rpc = (statistics.median(got[tool, s]) for s in STRATEGIES)
        print(f"{tool}: Promise.all {par:.0f} / RPC {rpc:.0f} bundles/s = {par / rpc:.2f}x (median of {args.rounds} rounds)")


if __name__ == "__main__":
    main()
