"""Parallel requests as a JavaScript runtime makes them (`Promise.all`): one thread sends each
request on its own pooled connection, then waits on all their sockets at once and takes each
answer as it completes. No thread per request, no executor hand-off.

Connections come from the source's pool (`src.pool.connection(timeout=...)`) as pg.Pool hands
them out: the first is waited for, the others only if free at once (within AT_ONCE_S), so a request never
holds some connections while blocking for more (no hold-and-wait under a shared budget); a
request without a connection of its own runs on the first one this call frees.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable

from psycopg_pool import PoolTimeout

from bench.measure.wire import Pending, Wire, readable

AT_ONCE_S = 1e-4  # psycopg_pool has no try-acquire (a timeout of 0 always fails): wait at most this

Batch = list[tuple[str, list[bytes] | None]]  # statements sent together, awaited together
Job = list[Batch]  # one request: its batches in turn on one connection (PostgREST awaits each statement)


def _checkout(src, stack: contextlib.ExitStack, wanted: int) -> list[Wire]:
    wires = [src.pooled(stack.enter_context(src.pool.connection()))]
    for _ in range(wanted - 1):
        try:
            wires.append(src.pooled(stack.enter_context(src.pool.connection(timeout=AT_ONCE_S))))
        except PoolTimeout:
            break
    return wires


def fan_out(src, jobs: dict[Hashable, Job], take: Callable) -> dict:
    """Send every job on its own connection from one thread, each next batch of a job as soon as
    its previous one completes; `take(key, wire, results)` runs with all of a job's results once
    its last batch completes (decoding, as JavaScript parses each reply when it lands).
    Returns {key: take(...)} in the jobs' order."""
    taken: dict = {}
    with contextlib.ExitStack() as stack:
        free = _checkout(src, stack, len(jobs))
        queue = list(jobs.items())
        inflight: dict[Pending, tuple[Hashable, Wire, list, list]] = {}
        while queue or inflight:
            while queue and free:
                key, batches = queue.pop(0)
                wire = free.pop()
                inflight[wire.send(batches[0])] = (key, wire, batches[1:], [])
            for pending in readable(list(inflight)):
                if pending.done():
                    key, wire, rest, results = inflight.pop(pending)
                    results.extend(pending.results())
                    if rest:
                        inflight[wire.send(rest[0])] = (key, wire, rest[1:], results)
                        continue
                    taken[key] = take(key, wire, results)
                    free.append(wire)
    return {key: taken[key] for key in jobs}
