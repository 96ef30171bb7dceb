"""Does the tier's own handling time grow with the client's round trip, and why?

`python -m bench.measure.tier_gap [--scale s] [--reps 7] [--requests 15]` prints, per strategy
(star_sequential and rpc_bundle on the account bundle, through the tier) and condition, the
tier's handling and statement time per HTTP request (`x-tier-us`): the median over repetitions
of each repetition's median, with the smallest and largest repetition median. Conditions:

- `sleep G`: a direct connection to the tier, the client sleeping G ms before each HTTP request
  (the server side idles as long as behind a link of RTT G, and no proxy runs);
- `proxy G`: through the delay proxy at RTT G (as read_paths does it), with the proxy's CPU per
  HTTP request and the cores its threads ran on.

Every repetition takes every condition and strategy once, in a shuffled order, on the same users;
`paired` is the median over repetitions of each one's ratio to its own `sleep 0`. If the time
grows with `sleep` alone, the proxy is not the cause: the server side idling is. Last, the same
pauses before four ping-pongs between two bare processes on the server's core (a Unix socket, no
PostgreSQL, no tier, no proxy): if those grow too, the cause is below the suite (kernel, VM, host).
BENCH_PIN=0 / BENCH_AWAKE=0 turn pinning / the PM QoS request off, as for a run; `--spin` keeps
the server's core busy with an idle-priority spinner (`spinning`) for comparison.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.db import intent, pg
from bench.experiments import common as checks
from bench.measure import bundles, harness, netdelay, strategies, tier, topology
from bench.seeding import seed

STRATEGIES = ("star_sequential", "rpc_bundle")
BUNDLE = "account"


class SleepyClient(tier.Client):
    """A direct connection to the tier whose every exchange starts after `gap_ms` of sleep."""

    def __init__(self, addr, gap_ms: float):
        super().__init__(addr)
        self.gap_s = gap_ms / 1000

    def exchange(self, jobs, take=None):
        if self.gap_s:
            time.sleep(self.gap_s)
        return super().exchange(jobs, take)


@contextlib.contextmanager
def spinning(cores):
    """A busy loop at idle priority (SCHED_IDLE) on each of `cores` for the block: the cores never
    go idle, yet any other task preempts the spinner at once."""
    procs = []
    try:
        for core in cores or ():
            proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            os.sched_setaffinity(proc.pid, {core})
            os.sched_setscheduler(proc.pid, os.SCHED_IDLE, os.sched_param(0))
            procs.append(proc)
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def pingpong(gaps, core: int, reps: int = 40) -> dict:
    """{gap_ms: median µs of 4 round trips between two processes on `core`, after pausing gap_ms}."""
    a, b = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # the echo: wakes only when a byte arrives
        a.close()
        os.sched_setaffinity(0, {core})
        while data := b.recv(16):
            b.send(data)
        os._exit(0)
    b.close()
    mine = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    out: dict = {g: [] for g in gaps}
    order, rng = list(gaps), random.Random(1)
    try:
        for _ in range(reps):
            rng.shuffle(order)
            for gap in order:
                time.sleep(gap / 1000)
                t0 = time.perf_counter_ns()
                for _ in range(4):
                    a.send(b"x")
                    a.recv(16)
                out[gap].append((time.perf_counter_ns() - t0) / 1000)
    finally:
        os.sched_setaffinity(0, mine)
        a.close()
        os.waitpid(pid, 0)
    return {g: statistics.median(v) for g, v in out.items()}


def cores_of(pid: int) -> set[int]:
    """The cores the threads of `pid` last ran on (/proc/<pid>/task/*/stat, field 39)."""
    out = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            stat = task.joinpath("stat").read_text()
            out.add(int(stat[stat.rindex(")") + 2:].split()[36]))
    return out


def cell(src, strategy: str, users, order, n: int) -> list[dict]:
    """n timed fetches after one warm-up; per fetch the tier's times per HTTP request."""
    rows = harness.time_block(checks.strategy_fn(strategy), src, bundles.load(BUNDLE), users, n, 1, order)
    return [{"tier_us": r["tier_us"] / r["http_requests"], "db_us": r["tier_db_us"] / r["http_requests"]}
            for r in rows]


def measure(tcp: str, stats_dsn: str, tier_port: int, users: list, gaps, modes, reps: int, n: int,
            proxy_core: int | None = None, seed_: int = 42) -> tuple[dict, dict]:
    """{(strategy, mode, gap): [per-repetition (median tier_us, median db_us)]}, and per proxy RTT
    its CPU µs per HTTP request and the cores its threads were seen on."""
    rng = random.Random(seed_)
    conds = [("sleep", 0.0)] + [(m, g) for m in modes for g in gaps if g]
    per: dict = {}
    proxy: dict = {}
    for rep in range(reps):
        order = rng.sample(range(len(users)), len(users))
        plan = [(c, s) for c in conds for s in STRATEGIES]
        rng.shuffle(plan)
        for (mode, gap), strategy in plan:
            with contextlib.ExitStack() as stack:
                if mode == "proxy":
                    px = stack.enter_context(netdelay.DelayProxy("127.0.0.1", tier_port, gap))
                    if proxy_core is not None:  # misplaced on purpose (the client's cores otherwise)
                        os.sched_setaffinity(px._proc.pid, {proxy_core})
                    addr, client = ("127.0.0.1", px.port), None
                else:
                    px, addr = None, ("127.0.0.1", tier_port)
                    client = SleepyClient(addr, gap)
                src = stack.enter_context(strategies.Source(stats_dsn, rest="tier", tier=addr))
                if client is not None:
                    src.http.close()
                    src.http = client
                cpu0 = px.cpu_s() if px else 0.0
                got = cell(src, strategy, users, order, n)
                if px:
                    http = n * (3 if strategy == "star_sequential" else 1)
                    p = proxy.setdefault(gap, {"cpu_us": [], "cores": set(), "affinity": None})
                    p["cpu_us"].append((px.cpu_s() - cpu0) * 1e6 / http)
                    p["cores"] |= cores_of(px._proc.pid)
                    p["affinity"] = sorted(os.sched_getaffinity(px._proc.pid))
            per.setdefault((strategy, mode, gap), []).append(
                (statistics.median(r["tier_us"] for r in got), statistics.median(r["db_us"] for r in got)))
        print(f"  repetition {rep + 1}/{reps} done", flush=True)
    return per, proxy


def report(per: dict, proxy: dict) -> None:
    print(f"\n{'strategy':16} {'mode':6} {'gap_ms':>6}  {'tier_us/req (min-max)':>24}  {'db_us/req (min-max)':>22}"
          f"  {'x gap0':>6} {'paired':>6}")
    for strategy in STRATEGIES:
        base = statistics.median(t for t, _ in per[(strategy, "sleep", 0.0)])
        for (s, mode, gap), reps in sorted(per.items(), key=lambda kv: (kv[0][1] != "sleep" or kv[0][2] > 0,
                                                                      kv[0][1], kv[0][2])):
            if s != strategy:
                continue
            t = [x for x, _ in reps]
            d = [y for _, y in reps]
            paired = statistics.median(x / b for (x, _), (b, _) in zip(reps, per[(strategy, "sleep", 0.0)]))
            print(f"{s:16} {mode:6} {gap:6g}  {statistics.median(t):8.0f} ({min(t):5.0f}-{max(t):5.0f})      "
                  f"{statistics.median(d):8.0f} ({min(d):5.0f}-{max(d):5.0f})    {statistics.median(t) / base:6.2f} {paired:6.2f}")
    if proxy:
        print("\nproxy RTT_ms  CPU_us/HTTP request (median of reps)  affinity  cores seen")
        for gap, p in sorted(proxy.items()):
            print(f"{gap:12g}  {statistics.median(p['cpu_us']):35.0f}  {str(p['affinity']):8}  {sorted(p['cores'])}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.measure.tier_gap", description=__doc__.split("\n")[0])
    ap.add_argument("--scale", default="s")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--requests", type=int, default=15, help="timed fetches per cell")
    ap.add_argument("--gaps", default="0,0.5,2,10,40", help="ms, comma-separated")
    ap.add_argument("--modes", default="sleep,proxy")
    ap.add_argument("--proxy-core", type=int, help="put the delay proxy on this core (e.g. the server's: 0)")
    ap.add_argument("--spin", action="store_true", help="keep the server's core busy (idle-priority spinner)")
    args = ap.parse_args(argv)
    gaps = [float(g) for g in args.gaps.split(",")]
    server = pg.server_dsn()
    ds = seed.seed(server, seed.Request(scale=args.scale), progress=False)
    users = [u["id"] for u in checks.sample_users(ds.dsn, 42, 2)]
    tcp = pg.tcp_dsn(ds.dsn)
    with intent.indexed(ds.dsn, "tier_gap", seed.Request(scale=args.scale).indexes), \
            topology.awake(topology.awake_wanted()), topology.pinned(server, topology.wanted()) as placed, \
            tier.Process(tcp) as the_tier:
        topology.to_server(the_tier.pid)
        spin = spinning(placed.get("server_cores")) if args.spin else contextlib.nullcontext()
        with spin:
            print(f"scale {args.scale}, {len(users)} users, {args.reps} reps x {args.requests} fetches per cell; "
                  f"{topology.describe()}; spinner: {args.spin}; proxy core: {args.proxy_core}", flush=True)
            per, proxy = measure(tcp, ds.dsn, the_tier.port, users, gaps, args.modes.split(","), args.reps,
                                 args.requests, args.proxy_core)
            core = min(placed.get("server_cores") or [0])
            bare = pingpong(gaps, core)
    report(per, proxy)
    print(f"\nbare ping-pong on core {core}, 4 round trips after a pause (median of 40)")
    for gap, us in bare.items():
        print(f"  pause {gap:5g} ms: {us:6.0f} us  x{us / bare[gaps[0]]:.2f}")


if __name__ == "__main__":
    main()
