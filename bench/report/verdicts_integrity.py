"""Answers to the memo's integrity claims from the `integrity` table of a run:
(answer, verdict key, flips, figures); bench.report.verdicts maps the key (holds, only_when,
does_not_hold) to its verdict."""
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
    t = ev.table("integrity")
    o = cells.at_scale(t, "orphans")
    o = o[o.variant == "star"]
    present = o[o.rows_found > 0]
    soft = cells.at_scale(t, "soft_refs").groupby("strategy")[["dangling", "sessions_deleted"]].median()
    answer = (f"On the star seeded with orphans the census found {len(present)} classes present "
              f"({int(present.rows_found.sum()):,} rows, e.g. {', '.join(present['class'].head(3))}); deleting "
              f"{int(soft.loc['soft_reference', 'sessions_deleted']):,} chat sessions left "
              f"{int(soft.loc['soft_reference', 'dangling']):,} dangling current_session_id pointers, none with a "
              f"foreign key ON DELETE SET NULL.")
    impossible = _orphan_classes(t)
    dangling_fk = int(soft.loc["fk_set_null", "dangling"]) if "fk_set_null" in soft.index else 0
    flips = (f"foreign keys make {impossible.get('relational', 0)} of {cells.at_scale(t, 'probe')['class'].nunique()} "
             f"classes impossible in the relational variant ({impossible.get('star', 0)} in the star); the soft reference "
             f"stops dangling only with its own foreign key ({dangling_fk} dangling with ON DELETE SET NULL)")
    seen = len(present) > 0 or soft.loc["soft_reference", "dangling"] > 0
    return Verdict(answer, HOLDS if seen else DOES_NOT_HOLD, flips, ["fig-integrity-orphans-census", "fig-integrity-soft-refs"])
