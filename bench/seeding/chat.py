"""The chat domain (scales xs-m): messages, shares and analytics per chat session, streamed.

Chat sessions come from the plan's time windows; each window's sessions draw their messages
(geometric count, ~45 s apart), whether they are shared (and with whom, when) and their token
totals from one random stream per window. Messages and shares are put in time order across
windows with a carry: a row later than the window's end waits for the next window, since every
later session starts after it.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from bench.seeding import columns as col
from bench.seeding.columns import Spec
from bench.seeding.plan import Plan
from bench.seeding.pools import Pools

EMPTY = np.zeros(0, np.int64)
SLICE = 65_536  # sessions whose messages are put in order at once


def _draws(plan: Plan, w: int, k: int) -> dict[str, np.ndarray]:
    s = plan.shapes
    r = col.rng(plan.seed, 30, w)
    per = r.geometric(1 / s.messages_mean, k)
    return {"per": per, "gaps": r.exponential(45e6, int(per.sum())).astype(np.int64),
            "shared": r.random(k) < s.share_fraction, "share_with": r.integers(plan.n, size=k),
            "share_dt": r.exponential(3_600e6, k).astype(np.int64),
            "tokens": (per * r.normal(180, 40, k).clip(20)).astype(np.int64)}


def _windows(plan: Plan) -> Iterator[tuple[int, int, np.ndarray, dict]]:
    """(first session number, window end, session times, draws) per session window."""
    j0 = 0
    for w, ((_, t), bound) in enumerate(zip(plan.sessions.windows(), plan.sessions.edges[1:])):
        yield j0, bound, t, _draws(plan, w, len(t))
        j0 += len(t)


def _messages(plan: Plan) -> Iterator[tuple]:
    """Per slice of SLICE sessions: its messages, bounded by the next slice's first session."""
    for j0, bound, t, d in _windows(plan):
        per = d["per"]
        ends = np.cumsum(per)
        for lo in range(0, len(t), SLICE):
            hi = min(lo + SLICE, len(t))
            p = per[lo:hi]
            first = int(ends[lo] - per[lo])
            gaps = d["gaps"][first: int(ends[hi - 1])]
            m_session = np.repeat(np.arange(lo, hi), p)
            starts = np.cumsum(p) - p
            csum = np.cumsum(gaps)
            m_t = t[m_session] + csum - np.repeat(csum[starts] - gaps[starts], p)
            m_rank = np.arange(len(m_session)) - np.repeat(starts, p)
            yield (t[hi] if hi < len(t) else bound), m_t, j0 + m_session, m_rank


def _shares(plan: Plan) -> Iterator[tuple]:
    for j0, bound, t, d in _windows(plan):
        idx = np.flatnonzero(d["shared"])
        yield bound, t[idx] + d["share_dt"][idx], j0 + idx, d["share_with"][idx]


def _analytics(plan: Plan) -> Iterator[tuple]:
    for j0, _, t, d in _windows(plan):
        starts = np.cumsum(d["per"]) - d["per"]
        last = t + np.add.reduceat(d["gaps"], starts) if len(t) else t
        yield np.arange(j0, j0 + len(t)), d["per"], d["tokens"], last


def time_ordered(parts: Iterator[tuple], keys: int) -> Iterator[tuple]:
    """Rows of (bound, col0, col1, ...) parts in order of their first `keys` columns, given that
    every row of a later part sorts after its part's bound: rows past it wait for the next."""
    carry: list[np.ndarray] | None = None
    for bound, *arrays in parts:
        if carry is not None:
            arrays = [np.concatenate([c, a]) for c, a in zip(carry, arrays)]
        done = arrays[0] < bound
        now = [a[done] for a in arrays]
        order = np.lexsort(tuple(reversed(now[:keys])))
        yield tuple(a[order] for a in now)
        carry = [a[~done] for a in arrays]
    if carry is not None:
        order = np.lexsort(tuple(reversed(carry[:keys])))
        yield tuple(a[order] for a in carry)


def specs(plan: Plan, pools: Pools, people) -> list[Spec]:
    ep = plan.epoch_us
    speaker = pa.array(["user", "assistant"], pa.string())
    perms = pa.array(["read", "write"], pa.string())

    def messages_batch(lo, m_t, j, rank):
        rr = col.rng(plan.seed, 3_000_000 + lo)
        return pa.table({
            "session_id": plan.session_ids(j), "role": speaker.take(rank % 2),
            "content": pools.messages.take(rr.integers(len(pools.messages), size=len(j))),
            "created_at": col.ts(ep, m_t),
        })

    def shares_batch(lo, share_t, j, with_user):
        return pa.table({
            "session_id": plan.session_ids(j), "shared_with_email": people.email(with_user),
            "permission": perms.take((with_user % 5 == 0).astype(np.int64)),
            "created_at": col.ts(ep, share_t),
        })

    def analytics_batch(lo, j, per, tokens, last):
        return pa.table({
            "session_id": plan.session_ids(j), "message_count": pa.array(per, pa.int32()),
            "total_tokens": pa.array(tokens, pa.int32()), "last_message_at": col.ts(ep, last),
        })

    # row counts from the per-window draws alone (no session rows generated)
    n_messages = n_shares = 0
    for w, (f, p) in enumerate(plan.sessions.counts):
        d = _draws(plan, w, f + p)
        n_messages, n_shares = n_messages + int(d["per"].sum()), n_shares + int(d["shared"].sum())
    cols = lambda t: tuple(t.column_names)  # noqa: E731
    return [
        Spec("public.message_cache", cols(messages_batch(0, EMPTY, EMPTY, EMPTY)), n_messages,
             lambda: col.in_batches(time_ordered(_messages(plan), 3), messages_batch)),
        Spec("public.session_shares", cols(shares_batch(0, EMPTY, EMPTY, EMPTY)), n_shares,
             lambda: col.in_batches(time_ordered(_shares(plan), 2), shares_batch)),
        Spec("public.session_analytics", cols(analytics_batch(0, EMPTY, EMPTY, EMPTY, EMPTY)), plan.sessions.rows,
             lambda: col.in_batches(_analytics(plan), analytics_batch)),
    ]
