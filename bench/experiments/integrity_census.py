"""Orphan census: one count query per orphan class, run on each variant seeded with orphans.

Per variant and class: the count found in the seeded data (`orphans` rows) and a probe
(`probe` rows): inside a rolled-back transaction the probe writes one row of the class; a
foreign-key violation proves the variant makes the class impossible, otherwise the class's
count query must see the new row (that proves the census detects it).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import psycopg

from bench import config
from bench.db import pg
from bench.seeding import seed
from bench.seeding.plan import Plan
from bench.db.schema import ORPHANS_ALLOWED, VARIANTS
from bench.sql import sql_text

# class -> (injected orphan class it finds, or None; probe steps in bench/sql/integrity/orphans/probe)
CLASSES = {
    "user_without_profile": ("profile_missing", ("user", "drop_profile")),
    "role_without_profile": ("profile_missing", ("user", "drop_profile", "role")),
    "audit_without_profile": ("profile_missing", ("user", "drop_profile", "audit")),
    "state_without_profile": ("profile_missing", ("user", "drop_profile", "state")),
    "session_without_profile": ("profile_missing", ("user", "drop_profile", "session")),
    "profile_without_user": (None, ("profile",)),
    "role_without_user": ("user_missing", ("role",)),
    "audit_without_user": ("user_missing", ("audit",)),
    "state_without_user": ("user_missing", ("state",)),
    "session_without_user": ("user_missing", ("session",)),
    "message_without_session": (None, ("message",)),
    "share_without_session": (None, ("share",)),
    "analytics_without_session": (None, ("analytics",)),
    "state_dangling_session": (None, ("user", "dangling_pointer")),
}


@dataclass
class CensusRequest(seed.Request):
    """A dataset of the census's own, so seeding orphans never replaces the run's dataset."""

    @property
    def database(self) -> str:
        return f"bench_census_{self.variant}_{self.scale}"


def census_scale(scale: str, cap: str) -> str:
    return config.ordered((scale, cap))[0]


def count(conn, cls: str) -> int:
    return conn.execute(sql_text(f"integrity/orphans/count/{cls}.sql")).fetchone()[0]


def probe(conn, cls: str, before: int) -> dict:
    """Try to create one row of `cls` (rolled back): impossible, or seen by the census."""
    try:
        with conn.transaction(force_rollback=True):
            for step in CLASSES[cls][1]:
                conn.execute(sql_text(f"integrity/orphans/probe/{step}.sql"))
            after = count(conn, cls)
    except psycopg.errors.ForeignKeyViolation as exc:
        return {"verdict": "impossible", "constraint": exc.diag.constraint_name, "detected_delta": 0}
    return {"verdict": "detected" if after > before else "missed", "constraint": None, "detected_delta": after - before}


def injected(plan: Plan) -> dict[str, int]:
    """Users per injected orphan class, from the seeding plan."""
    return {"profile_missing": int(np.sum(plan.has_user & ~plan.has_profile)), "user_missing": int(np.sum(~plan.has_user))}


def variant_census(server: str, req: CensusRequest, base: dict) -> list[dict]:
    seeded = seed.seed(server, req, progress=False)
    plan = Plan(req.scale, req.seed, req.locale, req.orphans, ORPHANS_ALLOWED[req.variant])
    planted = injected(plan)
    cond = {**base, "strategy": req.variant, "variant": req.variant, "census_scale": req.scale}
    out = []
    with pg.connect(seeded.dsn, autocommit=True) as conn:
        for cls, (source, _) in CLASSES.items():
            found = count(conn, cls)
            out.append({**cond, "record": "orphans", "class": cls, "source": source, "rows_found": found,
                        "injected_users": planted.get(source, 0) if source else 0})
            out.append({**cond, "record": "probe", "class": cls, **probe(conn, cls, found)})
    return out


def run(ctx, mx, base: dict) -> list[dict]:
    scale = census_scale(ctx.req.scale, mx.census_scale_cap)
    base = {**base, "scale": scale}  # recorded at the scale it was seeded at
    out = []
    for variant in VARIANTS:
        frac = mx.orphans if ORPHANS_ALLOWED[variant] else 0.0
        req = CensusRequest(scale=scale, seed=ctx.req.seed, locale=ctx.req.locale, variant=variant, orphans=frac)
        out += variant_census(ctx.server, req, base)
    return out
