"""Answers to the memo's integrity claims from the `integrity` table of a run, each a Verdict."""
from __future__ import annotations

import pandas as pd

from bench.report import cells
from bench.report.verdict import DOES_NOT_HOLD, HOLDS, ONLY_WHEN, Verdict


def _census(t: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    c = cells.at_scale(t, "census")
    tot = c.groupby(["strategy", "class"]).users.sum().unstack()
    per = c[c["class"] == "inconsistent"].groupby("strategy")[["signups", "faulty"]].sum()
    return tot, int(per.signups.iloc[0]), int(per.faulty.iloc[0])


def _orphan_classes(t: pd.DataFrame) -> dict[str, int]:
    p = cells.at_scale(t, "probe")  # the census is recorded once per run scale: count one
    return {v: int((g.verdict == "impossible").sum()) for v, g in p.groupby("variant")}


def integrity(ev) -> Verdict:
    t = ev.table("integrity")
    tot, n, f = _census(t)
    impossible = _orphan_classes(t)
    total = cells.at_scale(t, "probe")["class"].nunique()
    cas = cells.medians(cells.at_scale(t, "cascade"), "indexes").set_index("indexes").p50_us
    bulk = cells.at_scale(t, "bulk").groupby("strategy").total_s.median()
    answer = (f"The star's foreign keys to auth.users make {impossible.get('star', 0)} of {total} orphan classes "
              f"impossible (relational {impossible.get('relational', 0)}, no keys {impossible.get('star_nofk', 0)}). "
              f"Under the same {f} faults in {n} signups, writing the spokes as separate requests left "
              f"{int(tot.loc['three_requests', 'inconsistent'])} users inconsistent, one transaction, an RPC or a trigger "
              f"left {int(tot.drop('three_requests').inconsistent.sum())}. The keys' costs: bulk load "
              f"took {bulk['per_row_checks'] / bulk['not_valid_validate']:.1f}x as long checked per row as with NOT VALID + "
              f"VALIDATE; a cascading user delete took {cas['as-written'] / cas['indexed']:.1f}x as long without user_id "
              f"indexes as with them.")
    bad = int(tot.loc["three_requests", "inconsistent"])
    flips = (f"acceptable only when every multi-table write is one transaction ({bad} inconsistent users with separate "
             f"requests, {int(tot.drop('three_requests').inconsistent.sum())} with a transaction, RPC or trigger) and "
             f"user_id is indexed (cascade delete {cas['as-written'] / cas['indexed']:.1f}x slower without)")
    broken = tot.loc["three_requests", "inconsistent"] > 0
    return Verdict(answer, ONLY_WHEN if broken else HOLDS, flips, ["fig-integrity-faults-inconsistent", "fig-integrity-orphans-census",
                           "fig-integrity-bulk-load", "fig-integrity-cascade-delete"])


def app_consistency(ev) -> Verdict:
    t = ev.table("integrity")
    tot, n, f = _census(t)
    faults = cells.at_scale(t, "fault")
    broke = faults[(faults.strategy == "three_requests") & ~faults.rows_left.isin([0, 5])].fault.value_counts()
    sig = cells.medians(cells.at_scale(t, "signup").dropna(subset=["latency_us"]), "strategy").set_index("strategy").p50_us
    answer = (f"Application-managed consistency (one request per row, best-effort rollbackUser) left "
              f"{int(tot.loc['three_requests', 'inconsistent'])} of {f} faulty signups inconsistent, "
              + ", ".join(f"{int(v)} after {k}" for k, v in broke.items()) +
              f"; the database managing it (transaction, RPC, trigger) left none, and an RPC signup took "
              f"{sig['rpc'] / 1000:.2f} ms against {sig['three_requests'] / 1000:.2f} ms for the separate requests.")
    flips = (f"needed only while a signup's rows are written by separate requests: as one RPC it took "
             f"{sig['rpc'] / 1000:.2f} ms and left {int(tot.loc['rpc', 'inconsistent']) if 'rpc' in tot.index else 0} "
             f"users inconsistent")
    db_clean = tot.drop("three_requests").inconsistent.sum() == 0
    return Verdict(answer, DOES_NOT_HOLD if db_clean else ONLY_WHEN, flips, ["fig-integrity-faults-inconsistent",
                                                                          "fig-integrity-signup-latency"])


def orphans(ev) -> Verdict:
    """From what the suite's own flows left behind: the faulty signups' census per class, and the
    soft reference after session deletes. (The census of a dataset seeded with orphans only shows
    which classes the keys prevent.)"""
    t = ev.table("integrity")
    tot, n, f = _census(t)
    classes = [c for c in tot.columns if c != "inconsistent"]
    by_flow = tot[classes].fillna(0).astype(int)
    memo = by_flow.loc["three_requests"] if "three_requests" in by_flow.index else by_flow.iloc[0] * 0
    others = by_flow.drop("three_requests", errors="ignore").sum()
    soft = cells.at_scale(t, "soft_refs").groupby("strategy")[["dangling", "sessions_deleted"]].median()
    dangling = int(soft.loc["soft_reference", "dangling"]) if "soft_reference" in soft.index else 0
    dangling_fk = int(soft.loc["fk_set_null", "dangling"]) if "fk_set_null" in soft.index else 0
    left = {c: int(v) for c, v in memo.items() if v > 0}
    answer = (f"Under {f} faults in {n} signups, the memo's separate requests left "
              + (", ".join(f"{v} {c.replace('_', ' ')}" for c, v in left.items()) if left else "no orphaned rows")
              + f"; one transaction, an RPC or a trigger left {int(others.sum())}. Deleting "
              f"{int(soft.loc['soft_reference', 'sessions_deleted']) if 'soft_reference' in soft.index else 0:,} chat "
              f"sessions left {dangling:,} dangling user_state.current_session_id pointers, {dangling_fk} with a foreign "
              f"key ON DELETE SET NULL.")
    impossible = _orphan_classes(t)
    flips = (f"foreign keys make {impossible.get('relational', 0)} of {cells.at_scale(t, 'probe')['class'].nunique()} "
             f"orphan classes impossible in the relational variant ({impossible.get('star', 0)} in the star); the soft "
             f"reference stops dangling only with its own foreign key ({dangling_fk} dangling with ON DELETE SET NULL)")
    seen = bool(left) or dangling > 0
    return Verdict(answer, HOLDS if seen else DOES_NOT_HOLD, flips, ["fig-integrity-faults-inconsistent",
                                                                   "fig-integrity-soft-refs", "fig-integrity-orphans-census"])
