"""Deterministic synthetic data: a plan of fan-outs and times (numpy), then columnar batches.

`plan()` draws every per-user count and every row's timestamp up front (a few arrays of ints),
sorts each spoke's rows by time so that one user's rows end up scattered over the heap as in a
live application, and `tables.specs()` renders those rows in batches as pyarrow tables from the Faker
pools. The same scale, seed and locale give byte-identical batches: `tables.fingerprint()` hashes them.
"""
from __future__ import annotations

from datetime import datetime

import numpy as np

from bench import config
from bench.seeding import columns
from bench.seeding import pools as fakepools

DAY_US = 86_400 * 1_000_000
ORPHAN_CLASSES = ("profile_missing", "user_missing")


class Plan:
    """Every count and timestamp of one dataset; cheap enough to build for scale l in seconds."""

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
        r = columns.rng(seed, 0)
        # signups grow over time (more users later): t = T * sqrt(u), sorted = signup order
        self.signup_us = np.sort((self.end_us * np.sqrt(r.random(n))).astype(np.int64))
        self.user_ids = columns.hex_ids(r, n)
        self.has_user = np.ones(n, bool)
        self.has_profile = np.ones(n, bool)
        # orphan classes, on disjoint sets of users: their profile is gone, or the whole user is
        per_class = int(n * orphans)
        picked = r.permutation(n)[: per_class * len(self.orphan_classes)].reshape(len(self.orphan_classes), per_class)
        for cls, users in zip(self.orphan_classes, picked):
            self.has_profile[users] = False
            if cls == "user_missing":
                self.has_user[users] = False
        self.roles = self._fan_out_roles(columns.rng(seed, 1))
        self.audit = self._events(columns.rng(seed, 2), self._lognormal_counts(columns.rng(seed, 2)))
        self.sessions = self._events(columns.rng(seed, 3), columns.rng(seed, 3).geometric(1 / (shapes.sessions_mean + 1), n) - 1)

    # -- fan-out --------------------------------------------------------------------------
    def _lognormal_counts(self, r: np.random.Generator) -> np.ndarray:
        s = self.shapes
        counts = np.floor(r.lognormal(np.log(s.audit_median), s.audit_sigma, self.n))
        return np.minimum(counts, s.audit_cap).astype(np.int64)

    def _fan_out_roles(self, r: np.random.Generator):
        sizes = r.choice(len(self.shapes.roles_p), self.n, p=self.shapes.roles_p) + 1
        combo = np.empty(self.n, np.int64)
        for size in np.unique(sizes):
            ids = [i for i, (roles, _) in enumerate(fakepools.ROLE_SETS) if len(roles) == size]
            w = np.array([fakepools.ROLE_SETS[i][1] for i in ids], float)
            mask = sizes == size
            combo[mask] = np.array(ids)[r.choice(len(ids), mask.sum(), p=w / w.sum())]
        owner = np.repeat(np.arange(self.n), sizes)
        rank = np.arange(len(owner)) - np.repeat(np.cumsum(sizes) - sizes, sizes)  # 0 = base role at signup
        later = r.random(len(owner)) * (self.end_us - self.signup_us[owner])
        t = self.signup_us[owner] + np.where(rank == 0, 1_000_000, later).astype(np.int64)
        names = np.array([fakepools.ROLE_SETS[c][0][k] for c, k in zip(combo[owner], rank)]) if len(owner) else np.array([])
        order = np.argsort(t, kind="stable")
        return owner[order], t[order], names[order]

    def _events(self, r: np.random.Generator, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        owner = np.repeat(np.arange(self.n), counts)
        span = self.end_us - self.signup_us[owner]
        t = self.signup_us[owner] + (r.random(len(owner)) * span).astype(np.int64)
        return columns.ordered(owner, t)

    def fan_out(self) -> dict[str, np.ndarray]:
        """Rows per user for each spoke (for charts and for picking sample users)."""
        return {
            "user_roles": np.bincount(self.roles[0], minlength=self.n),
            "auth_audit_log": np.bincount(self.audit[0], minlength=self.n),
            "chat_sessions": np.bincount(self.sessions[0], minlength=self.n),
        }



