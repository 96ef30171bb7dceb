"""Deterministic synthetic data, planned so that it streams: memory does not grow with the rows.

Every per-user value (signup time, how many audit rows the user makes on average, its roles,
whether it is an injected orphan) is a keyed stream (`columns.uniform` and friends): computed from
(seed, stream, user) wherever it is needed, never stored for all users. Users are numbered in
signup order: `signup(u)` is increasing in u, so the users signed up before a time form a prefix.

Spoke rows are generated in time order, one time window at a time, so that one user's rows end
up scattered over the heap as in a live application. Audit rows and chat sessions are, per user,
a Poisson process of constant rate from signup to the end of the history, whose mean count is
the user's own draw (lognormal for audit rows; exponential for sessions, which makes the count
geometric); a window's rows are drawn at once (owners by their rates, times uniform), sorted, and
handed on. Memory: one cumulative-rate array of 8 bytes per user while a spoke is generated,
plus one window of rows (about WINDOW_ROWS). Row counts come from the same per-window draws
without generating the rows, so `tables.row_counts` stays cheap at every scale.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import datetime

import numpy as np

from bench import config
from bench.seeding import columns as col
from bench.seeding import pools as fakepools

DAY_US = 86_400 * 1_000_000
ORPHAN_CLASSES = ("profile_missing", "user_missing")
WINDOW_ROWS = 500_000  # rows drawn per time window (the unit of memory while streaming a spoke)
GRID = 4_096  # time steps the windows are cut from
BLOCK = 1 << 18  # users per step when a pass over all users is needed

# keyed stream ids (one per drawn quantity; never reuse one for another quantity)
S_SIGNUP, S_ORPHAN, S_ROLE_SIZE, S_ROLE_COMBO, S_ROLE_TIME = 1, 2, 3, 4, 5  # S_ROLE_TIME + rank
S_AUDIT_MEAN, S_SESSION_MEAN = 10, 12  # normal() uses the id and the next
S_SESSION_ID = 22  # ids use the id and the next; tables.py uses 20-39


class Plan:
    """One dataset's shape: scale, seed, locale, orphans; spokes as streams (`Events`, `Roles`)."""

    def __init__(self, scale: str, seed: int = config.DEFAULT_SEED, locale: str = config.DEFAULT_LOCALE,
                 orphans: float = 0.0, orphan_classes: tuple[str, ...] = ORPHAN_CLASSES,
                 shapes: config.Shapes = config.SHAPES):
        sc = config.scale(scale)
        if not 0.0 <= orphans < 0.5:
            raise config.UsageError(f"--orphans must be a fraction in [0, 0.5), got {orphans}")
        self.scale, self.seed, self.locale, self.shapes = sc.name, seed, locale, shapes
        self.orphans = orphans
        self.orphan_classes = tuple(orphan_classes) if orphans else ()
        self.chat_domain = sc.chat_domain
        self.n = n = sc.users
        self.epoch_us = int(datetime.fromisoformat(shapes.epoch).timestamp() * 1_000_000)
        self.end_us = shapes.history_days * DAY_US
        # orphan classes on disjoint sets of users: a keyed permutation u -> (a u + b) mod n,
        # class k takes the users it sends into [k per_class, (k + 1) per_class)
        self.per_class = int(n * orphans)
        a = int(n * 0.6180339887) | 1
        while math.gcd(a, n) != 1:
            a += 2
        self._perm = (a, col.integers(seed, S_ORPHAN, np.zeros(1, np.int64), n)[0])
        self.user_rows = n - (self.per_class if "user_missing" in self.orphan_classes else 0)
        self.profile_rows = n - self.per_class * len(self.orphan_classes)
        self.roles = Roles(self)
        s = shapes
        self.audit = Events(self, S_AUDIT_MEAN, lambda u: np.minimum(
            s.audit_median * np.exp(s.audit_sigma * col.normal(seed, S_AUDIT_MEAN, u)), s.audit_cap))
        self.sessions = Events(self, S_SESSION_MEAN, lambda u: -s.sessions_mean * np.log1p(
            -col.uniform(seed, S_SESSION_MEAN, u)))

    # -- users ----------------------------------------------------------------------------
    def signup(self, u: np.ndarray) -> np.ndarray:
        """Signup time (us from the epoch), increasing in u: more users sign up later (t = T sqrt(p))."""
        return (self.end_us * np.sqrt((u + col.uniform(self.seed, S_SIGNUP, u)) / self.n)).astype(np.int64)

    def users_before(self, t) -> np.ndarray:
        """How many users signed up before time(s) t (a prefix of the user numbers)."""
        t = np.atleast_1d(np.asarray(t, np.int64))
        guess = np.floor(self.n * (np.clip(t, 0, self.end_us) / self.end_us) ** 2).astype(np.int64)
        base = np.clip(guess - 4, 0, self.n)
        cand = base[:, None] + np.arange(9)
        ok = cand < self.n
        below = ok & (self.signup(np.minimum(cand, self.n - 1)) < t[:, None])
        return base + below.sum(axis=1)

    def _orphan_class(self, u: np.ndarray) -> np.ndarray:
        """-1, or the index into orphan_classes of each user's class."""
        if not self.per_class:
            return np.full(len(u), -1)
        a, b = self._perm
        k = ((a * u + b) % self.n) // self.per_class
        return np.where(k < len(self.orphan_classes), k, -1)

    def has_user_of(self, u: np.ndarray) -> np.ndarray:
        if "user_missing" not in self.orphan_classes:
            return np.ones(len(u), bool)
        return self._orphan_class(u) != self.orphan_classes.index("user_missing")

    def has_profile_of(self, u: np.ndarray) -> np.ndarray:
        return self._orphan_class(u) < 0

    @property
    def has_user(self) -> np.ndarray:
        """Per user, for all users (small scales: the census and the tests)."""
        return self.has_user_of(np.arange(self.n))

    @property
    def has_profile(self) -> np.ndarray:
        return self.has_profile_of(np.arange(self.n))

    def session_ids(self, j: np.ndarray):
        """The id of the chat session numbered j (in time order), as hex text."""
        return col.keyed_hex_ids(self.seed, S_SESSION_ID, j)

    def fan_out(self) -> dict[str, np.ndarray]:
        """Rows per user for each spoke (generates every row: for charts and tests at small scales)."""
        return {
            "user_roles": np.bincount(self.roles.all()[0], minlength=self.n),
            "auth_audit_log": np.bincount(self.audit.all()[0], minlength=self.n),
            "chat_sessions": np.bincount(self.sessions.all()[0], minlength=self.n),
        }


def _blocks(n: int) -> Iterator[np.ndarray]:
    for lo in range(0, n, BLOCK):
        yield np.arange(lo, min(lo + BLOCK, n))


class Events:
    """A spoke whose rows are, per user, a Poisson process from signup to the end of the history."""

    def __init__(self, plan: Plan, stream: int, means: Callable[[np.ndarray], np.ndarray]):
        self.plan, self.stream, self.means = plan, stream, means
        grid = np.linspace(0, plan.end_us, GRID + 1).astype(np.int64)
        grid[-1] = plan.end_us
        cum, expected = self._cum(grid)
        # windows: runs of grid steps holding about WINDOW_ROWS expected rows each
        edges, acc = [0], 0.0
        for g in range(1, GRID + 1):
            acc += expected[g] - expected[g - 1]
            if acc >= WINDOW_ROWS or g == GRID:
                edges.append(int(grid[g]))
                acc = 0.0
        self.edges = edges
        self.counts = [self._count(w, cum) for w in range(len(edges) - 1)]
        self.rows = int(sum(f + p for f, p in self.counts))

    def rates(self, u: np.ndarray) -> np.ndarray:
        """Rows per microsecond of each user: its mean count over its time from signup to the end."""
        return self.means(u) / (self.plan.end_us - self.plan.signup(u)).astype(np.float64)

    def _cum(self, grid: np.ndarray | None = None):
        """Cumulative rates over users (n + 1 floats), and optionally the expected rows by each
        grid time: E(t) = sum over users signed up before t of rate * (t - signup)."""
        plan = self.plan
        cum = np.zeros(plan.n + 1)
        if grid is None:
            for u in _blocks(plan.n):
                cum[u[0] + 1: u[-1] + 2] = cum[u[0]] + np.cumsum(self.rates(u))
            return cum
        at = plan.users_before(grid)
        weighted = np.zeros(len(grid))  # sum of rate * signup over the users before each grid time
        total = 0.0
        for u in _blocks(plan.n):
            lam = self.rates(u)
            cum[u[0] + 1: u[-1] + 2] = cum[u[0]] + np.cumsum(lam)
            cs = total + np.cumsum(lam * plan.signup(u))
            inside = (at > u[0]) & (at <= u[-1] + 1)
            weighted[inside] = cs[at[inside] - u[0] - 1]
            weighted[at > u[-1] + 1] = cs[-1]
            total = cs[-1]
        return cum, grid * cum[at] - weighted

    def _window(self, w: int):
        a, b = self.edges[w], self.edges[w + 1]
        ua, ub = (int(x) for x in self.plan.users_before([a, b]))
        return a, b, ua, ub

    def _count(self, w: int, cum: np.ndarray) -> tuple[int, int]:
        """Rows of window w: from users signed up before it (rate * width) and during it."""
        a, b, ua, ub = self._window(w)
        joining = np.arange(ua, ub)
        part_mass = float(np.sum(self.rates(joining) * (b - self.plan.signup(joining))))
        r = col.rng(self.plan.seed, self.stream, 1, w)
        return int(r.poisson(cum[ua] * (b - a))), int(r.poisson(part_mass))

    def windows(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(owner, time) of every row, one time window at a time, in time order."""
        cum = self._cum()
        for w, (n_full, n_part) in enumerate(self.counts):
            a, b, ua, ub = self._window(w)
            r = col.rng(self.plan.seed, self.stream, 2, w)
            # owners by rate: sorted draws make the search cache-friendly; times are drawn
            # independently of them, so the pairing stays random
            owner_full = np.searchsorted(cum[: ua + 1], np.sort(r.random(n_full)) * cum[ua], side="right") - 1
            t_full = a + (r.random(n_full) * (b - a)).astype(np.int64)
            joining = np.arange(ua, ub)
            s = self.plan.signup(joining)
            cw = np.cumsum(self.rates(joining) * (b - s))
            pick = np.minimum(np.searchsorted(cw, r.random(n_part) * (cw[-1] if len(cw) else 0.0), side="right"),
                              max(len(cw) - 1, 0))
            owner_part = joining[pick] if len(cw) else np.zeros(0, np.int64)
            t_part = s[pick] + (r.random(n_part) * (b - s[pick])).astype(np.int64) if len(cw) else owner_part
            owner = np.concatenate([np.clip(owner_full, 0, None), owner_part]).astype(np.int64)
            t = np.concatenate([t_full, t_part]).astype(np.int64)
            order = np.argsort(t, kind="stable")
            yield owner[order], t[order]

    def all(self) -> tuple[np.ndarray, np.ndarray]:
        parts = list(self.windows())
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


class Roles:
    """One to three roles per user (fixed combinations): the base role a second after signup,
    the others at uniform times afterwards; streamed in time order by windows."""

    def __init__(self, plan: Plan):
        self.plan = plan
        s = plan.shapes
        self.names = tuple(sorted({r for roles, _ in fakepools.ROLE_SETS for r in roles}))
        self.combo_roles = np.array([[self.names.index(r) for r in roles] + [-1] * (3 - len(roles))
                                     for roles, _ in fakepools.ROLE_SETS])
        self.size_cdf = np.cumsum(s.roles_p) / np.sum(s.roles_p)
        self.rows = int(sum(self.sizes(u).sum() for u in _blocks(plan.n)))
        steps = max(1, math.ceil(self.rows / WINDOW_ROWS))
        self.edges = [int(x) for x in np.linspace(0, plan.end_us + 1_000_001, steps + 1)]

    def sizes(self, u: np.ndarray) -> np.ndarray:
        x = col.uniform(self.plan.seed, S_ROLE_SIZE, u)
        return np.minimum(np.searchsorted(self.size_cdf, x, side="right"), len(self.size_cdf) - 1) + 1

    def combos(self, u: np.ndarray) -> np.ndarray:
        sizes = self.sizes(u)
        x = col.uniform(self.plan.seed, S_ROLE_COMBO, u)
        combo = np.empty(len(u), np.int64)
        for size in range(1, len(self.size_cdf) + 1):
            ids = np.array([i for i, (roles, _) in enumerate(fakepools.ROLE_SETS) if len(roles) == size])
            w = np.cumsum([fakepools.ROLE_SETS[i][1] for i in ids]).astype(float)
            mask = sizes == size
            combo[mask] = ids[np.minimum(np.searchsorted(w / w[-1], x[mask], side="right"), len(ids) - 1)]
        return combo

    def _times(self, u: np.ndarray, rank: int) -> np.ndarray:
        s = self.plan.signup(u)
        if rank == 0:
            return s + 1_000_000
        later = col.uniform(self.plan.seed, S_ROLE_TIME + rank, u) * (self.plan.end_us - s)
        return s + later.astype(np.int64)

    def windows(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(owner, time, role name index) per row, in time order."""
        plan = self.plan
        for a, b in zip(self.edges, self.edges[1:]):
            lo, hi = (int(x) for x in plan.users_before([a - 1_000_000, b - 1_000_000]))
            parts = [(np.arange(lo, hi), 0)]  # base roles of the users who signed up in the window
            for u in _blocks(int(plan.users_before(b)[0])):
                sizes = self.sizes(u)
                for rank in (1, 2):
                    uu = u[sizes > rank]
                    t = self._times(uu, rank)
                    parts.append((uu[(t >= a) & (t < b)], rank))
            owner = np.concatenate([p for p, _ in parts]).astype(np.int64)
            rank = np.concatenate([np.full(len(p), k) for p, k in parts]).astype(np.int64)
            t = np.zeros(len(owner), np.int64)
            for k in (0, 1, 2):
                t[rank == k] = self._times(owner[rank == k], k)
            order = np.lexsort((rank, owner, t))
            owner, t, rank = owner[order], t[order], rank[order]
            yield owner, t, self.combo_roles[self.combos(owner), rank]

    def all(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        parts = list(self.windows())
        return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))
