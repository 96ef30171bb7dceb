"""Figures of notebook 05-rls: each returns (fig, sentence computed from the data)."""
from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bench import config
from bench.names import SPOKES
from bench.report import cells, palette
from bench.report.charts import whiskers
from bench.report.charts.read_paths import ORDER

FORM_LABELS = {
    "off": "RLS off",
    "memo": "auth.uid() = user_id (memo)",
    "select_uid": "(select auth.uid()) = user_id",
    "role_fn": "... OR is_admin()",
    "role_fn_select": "... OR (select is_admin())",
    "role_fn_definer": "... OR is_admin() SECURITY DEFINER",
}
QUERY_LABELS = {"count": "count(*) of the table", "select": "SELECT * (policy as the only filter)",
                "select_filtered": "SELECT * ... WHERE user_id = $1"}


def _ms(v: float) -> str:
    if v < 0.1:
        return f"{v * 1000:,.0f} µs"
    return f"{v:,.2f} ms" if v < 10 else f"{v:,.0f} ms"


def _plan(row) -> str:
    return "" if bool(row.timed_out) else f" (plan: {row['shape']})"


def _cost(row) -> str:
    """A cell's time, or the timeout it ran past."""
    return f"> {row.server_ms / 1000:g} s (timed out)" if bool(row.timed_out) else _ms(row.server_ms)


def _bars(ax, d: pd.DataFrame, forms, scales, value="server_ms"):
    height = 0.8 / max(1, len(scales))
    for k, scale in enumerate(scales):
        g = d[d.scale == scale].set_index("form").reindex(forms)
        y = np.arange(len(forms)) + k * height
        ax.scatter(g[value], y, s=36, color=palette.colour(scale), label=f"scale {scale}", zorder=3)  # points: a log axis
        for yi, (v, out) in zip(y, zip(g[value], g.get("timed_out", pd.Series(False, index=g.index)))):
            if pd.notna(v) and bool(out):
                ax.annotate("timed out", (v, yi), xytext=(3, 0), textcoords="offset points", va="center", fontsize=7)
    ax.set_yticks(np.arange(len(forms)) + 0.4 - height / 2, [FORM_LABELS[f] for f in forms])
    ax.set_xscale("log")
    ax.set_xlim(right=float(d[value].max()) * 6)  # room for the "timed out" labels
    ax.grid(axis="y", color=palette.colour("background"))
    ax.invert_yaxis()


def forms_by_scale(p: pd.DataFrame, query: str = "select"):
    """Server time per policy form, authenticated caller, no TO clause, indexed, by scale."""
    d = p[(p["query"] == query) & (p.caller == "authenticated") & (p.to == "public") & (p["index"] == "indexed")]
    forms = [f for f in FORM_LABELS if f in set(d.form)]
    scales = config.ordered(d.scale)
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(forms) + 1.8))
    _bars(ax, d, forms, scales)
    ax.set_xlabel("server execution time per statement (ms, log; pg_stat_statements mean)")
    ax.set_title(f"{QUERY_LABELS[query]}, auth_audit_log, user_id indexed")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    big = d[d.scale == scales[-1]].set_index("form")
    sentence = (f"At scale {scales[-1]}, for {QUERY_LABELS[query]}, the memo's `auth.uid() = user_id` costs "
                f"{_cost(big.loc['memo'])} per statement and `(select auth.uid()) = user_id` "
                f"{_cost(big.loc['select_uid'])}")
    worst = big.server_ms.drop("off", errors="ignore").idxmax()
    sentence += f"; the slowest form, {FORM_LABELS[worst]}, takes {_cost(big.loc[worst])}"
    if query == "select":  # with RLS off an unfiltered SELECT returns every row: the same rows need the filter
        off = p[(p.scale == scales[-1]) & (p.form == "off") & (p["query"] == "select_filtered")
                & (p.caller == "authenticated") & (p["index"] == "indexed")]
        sentence += f", against {_ms(off.server_ms.iloc[0])} for the same rows with RLS off." if len(off) else "."
    elif "off" in big.index:
        sentence += f"; with RLS off the count covers the whole table, in {_cost(big.loc['off'])}."
    else:
        sentence += "."
    return fig, sentence


def index_and_filter(p: pd.DataFrame, scale: str | None = None):
    """The memo's form and the sub-select form, with and without the user_id index and the
    explicit filter, authenticated caller."""
    if scale is None:
        without = p[p["index"] == "none"]
        scale = cells.largest_scale(without if len(without) else p)
    d = p[(p.scale == scale) & (p.caller == "authenticated") & (p.to == "public")
          & p.form.isin(["off", "memo", "select_uid"]) & p["query"].isin(["select", "select_filtered"])]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    combos = [(i, q) for i in ("indexed", "none") for q in ("select_filtered", "select")]
    width = 0.8 / len(combos)
    forms = ["off", "memo", "select_uid"]
    colours = [palette.colour(k) for k in ("indexed_filtered", "indexed_policy", "unindexed_filtered", "unindexed_policy")]
    for k, (index, query) in enumerate(combos):
        g = d[(d["index"] == index) & (d["query"] == query)].set_index("form").reindex(forms)
        out = g["timed_out"].fillna(False).astype(bool).to_numpy() if "timed_out" in g else np.zeros(len(forms), bool)
        x = np.arange(len(forms)) + k * width
        ax.bar(x[~out], g.server_ms[~out], width=width, color=colours[k],
               label=f"{'index' if index == 'indexed' else 'no index'}, "
                     f"{'explicit filter' if query == 'select_filtered' else 'policy only'}")
        for xi, v in zip(x[out], g.server_ms[out]):  # ran past the timeout: no measured time, a hatched frame
            ax.bar(xi, v, width=width, color=palette.colour("hatch"), edgecolor=colours[k], hatch="////", lw=1,
                   label="timed out (hatched: ran past the timeout, no time measured)")
            ax.annotate(f"timed out\n> {v / 1000:g} s", (xi, v), xytext=(0, 3), textcoords="offset points",
                        ha="center", va="bottom", fontsize=7)
    ax.set_xticks(np.arange(len(forms)) + 0.4 - width / 2, [FORM_LABELS[f] for f in forms])
    ax.set_yscale("log")
    ax.set_ylabel("server execution time (ms, log)")
    t = d.set_index(["form", "index", "query"])
    key = ("memo", "none", "select"), ("memo", "indexed", "select")
    if all(k in t.index for k in key):
        slow, fast = t.loc[key[0]], t.loc[key[1]]
        worth = (f"past the {slow.server_ms / 1000:g} s timeout" if bool(slow.get("timed_out", False))
                 else f"{slow.server_ms / fast.server_ms:,.0f}x as long")
        ax.set_title(f"Without the user_id index the memo's policy reads take {worth} as with it\n"
                     f"(auth_audit_log, scale {scale}, server execution time)", fontsize=10)
    else:
        ax.set_title(f"auth_audit_log at scale {scale}: the index and the explicit filter", fontsize=10)
    ax.set_ylim(top=float(d.server_ms.max()) * 8)  # room for the "timed out" notes
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), fontsize=8, loc="upper left")
    if ("memo", "none", "select") not in t.index:
        return fig, f"This run has no cells without the user_id index at scale {scale} (quick mode)."
    sentence = (f"At scale {scale}, the memo's policy reading one user's rows takes {_cost(t.loc['memo', 'indexed', 'select'])} "
                f"with the user_id index and {_cost(t.loc['memo', 'none', 'select'])} without it (the memo's DDL has none); "
                f"adding the explicit filter without the index: {_cost(t.loc['memo', 'none', 'select_filtered'])}.")
    return fig, sentence


def anon_caller(p: pd.DataFrame, scale: str | None = None):
    """What an anonymous request costs under each form, with and without `TO authenticated`."""
    scale = scale or cells.largest_scale(p)
    d = p[(p.scale == scale) & (p.caller == "anon") & (p["query"] == "count") & (p["index"] == "indexed")
          & (p.form != "off")]
    forms = [f for f in FORM_LABELS if f in set(d.form)]
    fig, ax = plt.subplots(figsize=(8.5, 0.45 * len(forms) + 2.2))
    y = np.arange(len(forms))
    for to, key, marker in (("public", "to_public", "o"), ("authenticated", "to_authenticated", "D")):
        g = d[d.to == to].set_index("form").reindex(forms)
        ax.scatter(g.server_ms, y, s=40, marker=marker, color=palette.colour(key), zorder=3,
                   label="no TO clause (the memo)" if to == "public" else "TO authenticated")
    ax.set_yticks(y, [FORM_LABELS[f] for f in forms])
    ax.set_xscale("log")
    ax.grid(axis="y", color=palette.colour("background"))
    ax.invert_yaxis()
    ax.set_xlabel("server execution time of an anon count(*) (ms, log)")
    ax.set_title(f"Anon pays for the policy unless it says TO authenticated (scale {scale})", fontsize=10)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.06), ncol=2, frameon=False, fontsize=8)
    fig.tight_layout()
    t = d.set_index(["form", "to"])
    worst = t.xs("public", level="to").server_ms.idxmax()
    sentence = (f"At scale {scale}, an anonymous count(*) costs {_cost(t.loc['memo', 'public'])} under the memo's "
                f"policy{_plan(t.loc['memo', 'public'])} and {_cost(t.loc['memo', 'authenticated'])} with "
                f"TO authenticated{_plan(t.loc['memo', 'authenticated'])}; without the TO clause the costliest form, "
                f"{FORM_LABELS[worst]}, makes anon pay {_cost(t.loc[worst, 'public'])}"
                f"{_plan(t.loc[worst, 'public'])} against {_cost(t.loc[worst, 'authenticated'])} with it.")
    return fig, sentence


def strategies_with_rls(s: pd.DataFrame, server: pd.DataFrame, bundle: str = "account", scale: str | None = None):
    """Median latency per strategy through the rest envelope: RLS bypassed, the memo's
    policies, the sub-select policies; server time per request beside it."""
    scale = scale or cells.largest_scale(s)
    d = s[(s.bundle == bundle) & (s.scale == scale)]
    settings = ["service_role (RLS bypassed)", "the memo's policies", "(select auth.uid()) policies",
                "the safe policy set"]
    colours = [palette.colour(k) for k in ("rls_bypassed", "memo_policy", "select_uid_policy", "safe_policy")]
    colours = [c for c, x in zip(colours, settings) if x in set(d.setting)]
    settings = [x for x in settings if x in set(d.setting)]
    strategies = [x for x in ORDER if x in set(d.strategy)]
    fig, ax = plt.subplots(figsize=(8, 4.4))
    width = 0.8 / len(settings)
    for k, setting in enumerate(settings):
        g = d[d.setting == setting].set_index("strategy").reindex(strategies)
        ax.bar(np.arange(len(strategies)) + k * width, g.p50_us / 1000, width=width, color=colours[k], label=setting,
               yerr=whiskers.spread(g.p50_us, g.p50_rep_lo_us, g.p50_rep_hi_us, 1000), capsize=2)
    ax.set_xticks(np.arange(len(strategies)) + 0.4 - width / 2,
                  [textwrap.fill(palette.label(x), 16) for x in strategies], fontsize=8)
    ax.set_ylabel("median latency per bundle (ms), RTT 0")
    p50 = d.pivot_table(index="strategy", columns="setting", values="p50_us")
    ratio = (p50["the memo's policies"] / p50["service_role (RLS bypassed)"]).reindex(strategies)
    ax.set_title(f"The memo's policies cost {ratio.min():.2f}x to {ratio.max():.2f}x RLS bypassed "
                 f"('{bundle}', scale {scale}, PostgREST envelope)", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.set_size_inches(10, 4.4)
    fig.tight_layout()
    srv = _server_per_request(server, bundle, scale)
    sentence = (f"At scale {scale}, under the memo's policies the five strategies take {ratio.min():.2f}x to "
                f"{ratio.max():.2f}x the median latency they have with RLS bypassed ('{bundle}' bundle, indexed user_id)")
    if srv is not None:
        sentence += (f"; on the server a request takes {srv['memo']:.0f} µs under the memo's policies against "
                     f"{srv['bypass']:.0f} µs bypassing RLS (mean over strategies, pg_stat_statements)")
    return fig, sentence + "."


def _server_per_request(server: pd.DataFrame, bundle: str, scale: str) -> dict | None:
    d = server[(server.bundle == bundle) & (server.scale == scale)].dropna(subset=["server_us"])
    if d.empty:
        return None
    memo = d[(d.envelope == "rest") & (d.condition == "rls_memo")].server_us.mean()
    bypass = d[d.envelope == "rest_service_role"].server_us.mean()
    return {"memo": memo, "bypass": bypass}


def isolation_matrix(iso: pd.DataFrame):
    """Every isolation check, held or not: cases down, spokes and strategies across."""
    d = iso.copy()
    d["target"] = np.where(d["check"] == "spoke", d.get("spoke", ""), d.get("strategy", "") + " · " + d.get("bundle", ""))
    cases = ["own_rows", "other_user", "anon", "missing_claim", "forged_claim", "service_role", "view_default",
             "view_security_invoker"]
    cases = [c for c in cases if c in set(d.case)]
    spokes = [t for t in SPOKES if t in set(d.target)]
    columns = spokes + sorted(t for t in set(d.target) if t not in spokes and "view" in t) + sorted(
        t for t in set(d.target) if t not in spokes and "view" not in t)
    grid = d.groupby(["case", "target"]).held.all().unstack().reindex(index=cases, columns=columns)
    fig, ax = plt.subplots(figsize=(11, 0.42 * len(cases) + 2.6))
    values = grid.map(lambda v: np.nan if pd.isna(v) else float(v)).to_numpy(dtype=float)
    cmap = plt.matplotlib.colors.ListedColormap([palette.colour("bad"), palette.colour("good")])
    cmap.set_bad(palette.colour("background"))
    ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    ax.set_yticks(range(len(cases)), [c.replace("_", " ") for c in cases])
    ax.set_xticks(range(grid.shape[1]), grid.columns, rotation=70, ha="right", fontsize=7)
    ax.grid(False)
    ax.set_title("Isolation: green = held (each caller saw exactly what it may), red = leak or rows withheld")
    failed = d[~d.held.astype(bool)]
    checks = len(d)
    sentence = (f"{checks - len(failed)} of {checks} isolation checks held across {d.scale.nunique()} scale(s); "
                + ("every failure is the plain view (" + ", ".join(sorted(set(failed.case))) + "): it returned "
                   f"{int(failed.rows_seen.max()):,} rows to a user who owns {int(failed.expected_rows.max()):,}."
                   if set(failed.case) <= {"view_default"} and len(failed) else
                   "failures outside the view demonstration: " + ", ".join(sorted(set(failed.case))) + "."))
    return fig, sentence


CALLERS = ("other_user", "anon", "missing_claim", "forged_claim", "service_role")
WRITE_ROWS = [  # (op, case) rows of the write-path grid, in reading order; a row the run has is never left out
    *[(op, case) for op in ("insert_other", "update_other", "delete_other") for case in CALLERS],
    ("self_promotion", "other_user"), ("promoted_read", "other_user"),
    *[(op, case) for op in ("truncate", "trigger") for case in CALLERS],
    ("trigger_runs_as", "other_user"), ("definer_search_path", "-"),
]
WRITE_LABELS = {"insert_other": "insert a row for user B", "update_other": "update B's rows",
                "delete_other": "delete B's rows", "self_promotion": "insert (A, 'admin') into user_roles",
                "promoted_read": "then read others' audit rows (role-check forms)", "truncate": "TRUNCATE",
                "trigger": "CREATE TRIGGER (temp function)", "trigger_runs_as": "A's trigger runs as the next writer",
                "definer_search_path": "handle_new_user search_path pinned"}
REACH_LABELS = {"postgrest": "Reachable through PostgREST by a supabase-js client with its JWT",
                "direct": "Reachable only with a direct SQL connection as that role (not through PostgREST)"}
CASE_LABELS = {"other_user": "user A", "anon": "anon", "missing_claim": "no claim", "forged_claim": "forged claim",
               "service_role": "service_role (bypasses RLS: the control)", "-": ""}


def write_paths(table: pd.DataFrame, scale: str | None = None):
    """What each caller could write to another user's rows, under the memo's policies and grants
    and under the safe set: green = every check held, red = a hole (count of checks held)."""
    if not (table.record == "write").any():
        return _no_write_rows()
    scale = scale or cells.largest_scale(table[table.record == "write"])
    w = table[(table.record == "write") & (table.scale == scale)]
    held_cells = cells.write_cells(w)
    sets = [p for p in ("memo", "safe") if p in set(held_cells.policy_set)]
    present = set(zip(held_cells.op, held_cells.case))
    rows = [r for r in WRITE_ROWS if r in present] + sorted(present - set(WRITE_ROWS))
    fig, ax = plt.subplots(figsize=(8.5, 0.36 * len(rows) + 1.8))
    values = np.full((len(rows), len(sets)), np.nan)
    for i, (op, case) in enumerate(rows):
        for j, ps in enumerate(sets):
            c = held_cells[(held_cells.op == op) & (held_cells.case == case) & (held_cells.policy_set == ps)]
            if len(c):
                held, checks = int(c.held.iloc[0]), int(c.checks.iloc[0])
                values[i, j] = 1.0 if held == checks else 0.0 if held == 0 else 0.5
                ax.text(j, i, f"{held}/{checks} held", ha="center", va="center", fontsize=7)
    outcomes = ("bad", "partial", "good")  # every check failed, some failed, every check held
    cmap = plt.matplotlib.colors.ListedColormap([palette.colour(k) for k in outcomes])
    cmap.set_bad(palette.colour("background"))
    ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    legend = {"bad": "every check failed", "partial": "some checks failed", "good": "every check held"}
    ax.legend([plt.Rectangle((0, 0), 1, 1, color=palette.colour(k)) for k in outcomes], legend.values(),
              fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    reach = dict(zip(held_cells.op, held_cells.reach))
    ax.set_yticks(range(len(rows)), [f"{CASE_LABELS.get(c, c)}: {WRITE_LABELS.get(o, o)} [{reach[o]}]".lstrip(": ")
                                     for o, c in rows],
                  fontsize=7)
    ax.set_xticks(range(len(sets)), ["the memo's policies\n+ GRANT ALL" if s == "memo" else "the safe set" for s in sets])
    ax.grid(False)
    memo = held_cells[held_cells.policy_set == "memo"]
    holes = memo[memo.held < memo.checks]
    promoted = ((w.policy_set == "memo") & (w.op == "self_promotion") & (w.outcome == "written")).any()
    ax.set_title(f"Write paths at scale {scale}: under the memo's policies {len(holes)} of {len(memo)} rows have "
                 "a failed check" + ("; user A can make itself admin" if promoted else ""), fontsize=10)
    return fig, write_sentence(w)


def _no_write_rows():
    """A run recorded before the write-path checks existed: say so where the figure goes."""
    fig, ax = plt.subplots(figsize=(8.5, 1.6))
    ax.axis("off")
    text = ("This run has no write-path checks (they were added after it was recorded):\n"
            "`python -m bench run rls` records them (record = 'write' in rls.parquet).")
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=9, color=palette.colour("muted"))
    ax.set_title("Write paths: not measured in this run")
    return fig, "This run predates the write-path checks; a run of the rls experiment from this version on records them."


def write_sentence(w: pd.DataFrame) -> str:
    memo, safe = w[w.policy_set == "memo"], w[w.policy_set == "safe"]
    holes = memo[~memo.held.astype(bool)]
    promo = memo[memo.op == "promoted_read"]
    ran_as = memo[memo.op == "trigger_runs_as"].outcome
    parts = [f"Under the memo's policies and grants {len(holes)} of {len(memo)} write checks failed"]
    if (memo[memo.op == "self_promotion"].outcome == "written").any() and len(promo):
        parts.append(f"user A inserted (A, 'admin') into user_roles and then read {int(promo.foreign_rows.max()):,} "
                     f"other users' audit rows of {int(promo.total_rows.max()):,} under "
                     f"{int((promo.foreign_rows > 0).sum())} of {len(promo)} role-check forms")
    for op, what in (("truncate", "TRUNCATE"), ("trigger", "attach a trigger to")):
        who = sorted({CASE_LABELS[c] for c in holes[holes.op == op].case})
        if who:
            parts.append(f"{', '.join(who)} could {what} {holes[holes.op == op].spoke.nunique()} spokes")
    if len(ran_as) and ran_as.iloc[0] != "denied":
        parts.append(f"A's trigger ran as {ran_as.iloc[0]} on that role's next insert")
    reach = {r: [WRITE_LABELS[o] for o in WRITE_LABELS if o in set(holes[holes.reach == r].op)] for r in REACH_LABELS}
    sentence = "; ".join(parts) + ". " + " ".join(f"{REACH_LABELS[r]}: {'; '.join(ops)}." for r, ops in reach.items() if ops)
    if len(safe):
        sentence += (f" Under the safe set (separate FOR SELECT and write policies with WITH CHECK, no user write policy "
                     f"on user_roles, no TRUNCATE/TRIGGER grants, pinned search_path) {int(safe.held.sum())} of "
                     f"{len(safe)} held.")
    return sentence
