"""Applies a schema variant by name. Every step is idempotent: applying twice changes nothing.

Variants: `star` (the memo: every spoke references auth.users), `relational` (spokes reference
profiles, which references auth.users) and `star_nofk` (no foreign keys at all, for the orphan
census). Index options: `as-written` (the memo's DDL: no index on user_id) and `indexed`.
"""
from __future__ import annotations

import time

from bench.config import UsageError
from bench.db.pg import connect
from bench.sql import sql_text

VARIANT_KEYS = {  # foreign-key files per variant
    "star": ("variants/star.sql", "schema/chat_keys.sql"),
    "relational": ("variants/relational.sql", "schema/chat_keys.sql"),
    "star_nofk": (),
}
VARIANTS = tuple(VARIANT_KEYS)
INDEX_OPTIONS = ("as-written", "indexed")
BEFORE_LOAD = ("schema/auth.sql", "schema/meta.sql", "schema/stats.sql", "schema/tables.sql")
ORPHANS_ALLOWED = {  # orphan classes each variant's foreign keys let in
    "star": ("profile_missing",),
    "relational": (),
    "star_nofk": ("profile_missing", "user_missing"),
}


def check(variant: str, indexes: str = "as-written") -> None:
    if variant not in VARIANT_KEYS:
        raise UsageError(f"unknown variant {variant!r}: choose one of {', '.join(VARIANTS)}")
    if indexes not in INDEX_OPTIONS:
        raise UsageError(f"unknown index option {indexes!r}: choose one of {', '.join(INDEX_OPTIONS)}")


def after_load(variant: str, indexes: str) -> tuple[str, ...]:
    return ("schema/keys.sql", *VARIANT_KEYS[variant], "schema/validate.sql", f"variants/{indexes}.sql",
            "schema/rls.sql", "schema/grants.sql", "schema/trigger.sql")


def run_files(dsn: str, files, timings: dict | None = None) -> None:
    with connect(dsn, autocommit=True) as conn:
        for name in files:
            start = time.perf_counter()
            conn.execute(sql_text(name))
            if timings is not None:
                timings[name] = round(time.perf_counter() - start, 3)


def apply(dsn: str, variant: str, indexes: str = "as-written") -> None:
    """The whole variant on an existing suite database (tables, keys, RLS, trigger)."""
    check(variant, indexes)
    run_files(dsn, BEFORE_LOAD + after_load(variant, indexes))
