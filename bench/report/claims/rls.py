"""rls: "Simplified security (RLS): consistent, simple policies across all tables"."""
from __future__ import annotations

import pandas as pd

from bench.report import cells
from bench.report.claims import core

SPEC = core.Spec(
    key="rls", quote="Simplified security (RLS): consistent, simple policies across all tables", where="Advantages 4",
    needs=("rls",), row="RLS Simplicity",
    comparison=("reads and writes by user A on user B's rows, anon, forged and missing claims, under the memo's policies "
                "and grants and under a safe set; policy cost per form and index"),
    surfaces="PostgREST as a supabase-js client with its JWT, and a direct SQL connection as that role",
    attribution_test="shared: the relational variant carries the same policy file",
    rule=("The memo is right if its one policy shape holds every read and write check at a cost that needs no "
          "condition, right only when the holes it leaves need a direct SQL connection or its cost needs an index or "
          "wrapped role checks (named), wrong if isolation fails or a supabase-js client can get through, undecided "
          "if the run has no checks."))
ATTRIBUTION = "shared: not a property of the star (the relational variant carries the same policy file)"


def decide(isolation_failed: bool, n_checks: int, postgrest_holes: bool, direct_holes: bool,
           cost_conditions: list[str]) -> tuple[str, str]:
    if n_checks == 0:
        return core.UNDECIDED, "no isolation check in this run"
    if isolation_failed:
        return core.WRONG, "isolation failed"
    if postgrest_holes:
        return core.WRONG, ""  # what closes the holes is the finding's advice
    conds = (["the API roles are granted no TRUNCATE or TRIGGER and SECURITY DEFINER functions pin their search_path"]
             if direct_holes else []) + cost_conditions
    return (core.RIGHT_WHEN, "; ".join(conds)) if conds else (core.RIGHT, "")


def evaluate(ev: core.Evidence) -> core.Finding:
    from bench.report.charts import rls as rc

    t = ev.table("rls")
    p = cells.policy_cells(t)
    d = pd.DataFrame()
    scale = ""
    if len(p):
        scale = cells.largest_scale(p)
        d = p[(p.scale == scale) & (p.caller == "authenticated") & (p.to == "public")].set_index(["form", "index", "query"])

    def cost(form, index, query="select"):
        if (form, index, query) not in d.index:
            return None, "not measured", False
        row = d.loc[(form, index, query)]
        return row.server_ms, (f"> {row.server_ms / 1000:.0f} s (timed out)" if bool(row.timed_out)
                               else core.ms(row.server_ms)), bool(row.timed_out)

    iso = t[t.record == "isolation"]
    tables = iso[~iso.case.str.startswith("view_")]
    conds, parts = [], []
    memo_idx, memo_idx_txt, _ = cost("memo", "indexed")
    memo_scan, memo_scan_txt, _ = cost("memo", "none")
    if memo_idx is not None:
        parts.append(f"the memo's policy reading one user's audit rows takes {memo_idx_txt} with a user_id index"
                     + (f" and {memo_scan_txt} without (the memo's DDL has none)" if memo_scan is not None else ""))
    if memo_scan is not None and memo_idx is not None and memo_scan > 3 * memo_idx:
        conds.append(f"every user_id is indexed ({memo_scan / memo_idx:.0f}x slower without)")
    role, role_txt, role_out = cost("role_fn", "indexed")
    wrapped, wrapped_txt, _ = cost("role_fn_select", "indexed")
    if role is not None:
        parts.append(f"a role check through a plain function {role_txt}, wrapped in (select ...) {wrapped_txt}")
        if wrapped is not None and role > 2 * wrapped:
            conds.append("role checks are wrapped in (select ...)")
        if role_out or (wrapped is not None and memo_idx and wrapped > 10 * memo_idx):
            conds.append("policies stay free of per-row lookups (a role check scans every row of an unfiltered read)")
    leak = iso[(iso.case == "view_default") & ~iso.held.astype(bool)]
    if len(leak):
        conds.append(f"no view skips security_invoker (a plain view handed {int(leak.rows_seen.max()):,} rows to a user "
                     f"owning {int(leak.expected_rows.max()):,})")
    w = t[t.record == "write"] if "policy_set" in t else t.iloc[:0]
    w = w[w.scale == cells.largest_scale(w)] if len(w) else w  # one scale, as 05's write chart shows
    holes = w[(w.policy_set == "memo") & ~w.held.astype(bool)] if len(w) else w
    label, cond = decide(not tables.held.astype(bool).all(), len(tables), bool(len(holes) and (holes.reach == "postgrest").any()),
                         bool(len(holes)), conds)
    safe = w[w.policy_set == "safe"] if len(w) else w
    memo_w = w[w.policy_set == "memo"] if len(w) else w
    fig = core.Figure("memo-policy write checks that failed", float(len(holes)), unit=f"of {len(memo_w)}",
                      surface="PostgREST and direct SQL", scale=str(w.scale.iloc[0]) if len(w) else "") if len(w) else (
        core.Figure("isolation checks held", float(tables.held.astype(bool).sum()), unit=f"of {len(tables)}"))
    answer = (f"Isolation held in {int(tables.held.astype(bool).sum())} of {len(tables)} read checks (every spoke and "
              f"strategy, anon, missing and forged claims)." + (f" Cost at scale {scale}: " + "; ".join(parts) + "."
                                                               if parts else "")
              + (" " + rc.write_sentence(w) if len(holes) else  # which names the safe set's count too
                 f" Under the safe set {int(safe.held.astype(bool).sum())} of {len(safe)} write checks held."
                 if len(safe) else ""))
    return core.finding(SPEC, label, condition=cond, attribution=ATTRIBUTION, figure=fig, answer=answer,
                        figures=["fig-rls-write-paths", "fig-rls-isolation", "fig-rls-forms-scale", "fig-rls-strategies"],
                        advice=("use separate FOR SELECT and write policies with WITH CHECK, no user write policy on "
                                "user_roles, no TRUNCATE/TRIGGER grants" if label == core.WRONG else ""))
