"""Timing loops: closed-loop single-client requests with warm-up, repetitions and histograms.

`time_block` runs one strategy for a list of users and returns one record per request: what
the user waits for (until the bundle is assembled) and its parts. Strategies are interleaved
block by block by the caller, so slow drift on a shared machine hits all of them alike.
Their statistics live in `bench.results.stats`.
"""
from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence


def time_block(fn: Callable, src, bundle, users: Sequence, requests: int, warmup: int,
               order: Sequence[int] | None = None) -> list[dict]:
    """`requests` timed calls of fn(src, bundle, user) after `warmup` untimed ones, taking users
    in `order` (indexes into `users`; default: as listed) and cycling. As timeit does, the cyclic
    garbage collector is paused inside the block, and each answer is freed outside its timing."""
    order = list(order if order is not None else range(len(users)))
    for i in range(warmup):
        fn(src, bundle, users[order[i % len(order)]])
    out = []
    clock = time.perf_counter_ns
    gc.disable()  # no collection first: a full collection of a large heap evicts the caches
    try:
        for i in range(requests):
            k = order[i % len(order)]
            t0 = clock()
            fetch = fn(src, bundle, users[k])
            elapsed = clock() - t0
            out.append({"user_idx": k, "latency_us": elapsed / 1_000, "decode_us": fetch.decode_ns / 1_000,
                        "assemble_us": fetch.assemble_ns / 1_000, "rows": fetch.rows})
            if getattr(fetch, "tier_us", None) is not None:  # through the PostgREST tier: its own parts, summed per fetch
                out[-1].update(tier_us=fetch.tier_us, tier_db_us=fetch.tier_db_us, tier_wait_us=fetch.tier_wait_us,
                               http_requests=fetch.http_requests)
            del fetch  # freeing a heavy user's rows is not part of the next request
    finally:
        gc.enable()
    return out


def requests_for(latency_us: float, budget_s: float, lo: int, hi: int) -> int:
    """How many requests fit a time budget, within [lo, hi]."""
    if latency_us <= 0:
        return hi
    return int(min(hi, max(lo, budget_s * 1e6 / latency_us)))
