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

Job = list[tuple[str, list[bytes] | None]]  # the statements of one request, sent as one batch


def _checkout(src, stack: contextlib.ExitStack, wanted: int) -> list[Wire]:
    wires = [src.pooled(stack.enter_context(src.pool.connection()))]
    for _ in range(wanted - 1):
        try:
            wires.append(src.pooled(stack.enter_context(src.pool.connection(timeout=AT_ONCE_S))))
        except PoolTimeout:
            break
    return wires


def fan_out(src, jobs: dict[Hashable, Job], take: Callable) -> dict:
    """Send every job on its own connection from one thread; `take(key, wire, results)` runs as
    each job's results complete (decoding, as JavaScript parses each reply when it lands).
    Returns {key: take(...)} in the jobs' order."""
    taken: dict = {}
    with contextlib.ExitStack() as stack:
        free = _checkout(src, stack, len(jobs))
        queue = list(jobs.items())
        inflight: dict[Pending, tuple[Hashable, Wire]] = {}
        while queue or inflight:
            while queue and free:
                key, items = queue.pop(0)
                wire = free.pop()
                inflight[wire.send(items)] = (key, wire)
            for pending in readable(list(inflight)):
                if pending.done():
                    key, wire = inflight.pop(pending)
                    taken[key] = take(key, wire, pending.results())
                    free.append(wire)
    return {key: taken[key] for key in jobs}
