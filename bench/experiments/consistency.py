"""Concurrency section 3: torn reads per read path and isolation, against the write rate.

For each bundle x write rate x (strategy, isolation): a writer changes a few dedicated users
(`consistency.Writer`), `readers` closed-loop reader threads fetch their bundles with the read
path under test and check the bundle's invariant on every answer. One row per cell
(record `consistency`): reads, torn reads, torn per 10,000 reads, the write rate achieved and
the read latency (percentiles of one HdrHistogram of the cell). The dataset is restored after.
"""
from __future__ import annotations

import threading

from bench.measure import bundles, consistency, loadgen, strategies
from bench.results import stats


def read_op(dsn: str, bundle, read, check, users: list[str], torn: list, sources: list):
    """Request i: `read` one user's bundle on this thread's own Source; a torn answer is noted."""
    local = threading.local()

    def op(i: int) -> int:
        src = getattr(local, "src", None)
        if src is None:
            src = local.src = strategies.Source(dsn)
            sources.append(src)
        if not check(read(src, bundle, users[i % len(users)]).answer):
            torn.append(i)
        return 0
    return op


def cell(dsn: str, bundle_name: str, strategy: str, isolation: str, users: list[str], write_rate: float,
         readers: int, duration_s: float) -> dict:
    bundle = bundles.load(bundle_name)
    torn, sources = [], []
    op = read_op(dsn, bundle, consistency.READERS[(strategy, isolation)], consistency.INVARIANTS[bundle_name],
                 users, torn, sources)
    try:
        with consistency.Writer(dsn, bundle_name, users, write_rate).running() as writer:
            samples = loadgen.closed_loop(op, readers, duration_s, warmup_s=0.1)
    finally:
        for src in sources:
            src.close()
    reads = len(samples.end)
    latency = stats.histogram(samples.arrays_us()["service_us"])
    return {"record": "consistency", "bundle": bundle_name, "strategy": strategy, "condition": isolation,
            "write_rate": write_rate, "write_rate_achieved": writer.achieved_per_s, "clients": readers,
            "reads": reads, "torn": len(torn), "errors": samples.errors,
            "torn_per_10k": 1e4 * len(torn) / reads if reads else None,
            "throughput_rps": reads / (samples.window_ns / 1e9),
            **{f"latency_{k}": v for k, v in stats.percentiles(latency).items()},
            "hist_latency": latency.encode().decode() if reads else ""}


def cells(dsn: str, seed: int, bundle_names, write_rates, readers: int, duration_s: float, progress) -> list[dict]:
    out = []
    with consistency.dedicated(dsn, seed) as users:
        for name in bundle_names:
            for rate in write_rates:
                for strategy, isolation in consistency.READERS:
                    out.append(cell(dsn, name, strategy, isolation, users, rate, readers, duration_s))
                progress(f"consistency {name}: write rate {rate:g}/s")
    return out
