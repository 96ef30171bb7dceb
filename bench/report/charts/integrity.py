"""Figures of notebook 04-integrity: each returns (fig, sentence computed from the data)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bench.report import cells, palette
from bench.report.charts import whiskers

APPROACHES = ("three_requests", "transaction", "rpc", "trigger")
PROBLEMS = ("user_without_profile", "profile_without_state", "user_without_role", "role_without_profile",
            "user_without_audit", "audit_for_missing_user")


def _bars(ax, labels, values, colours, lo=None, hi=None, fmt="{:.2f}"):
    x = np.arange(len(labels))
    yerr = None if lo is None else whiskers.spread(values, lo, hi)
    ax.bar(x, values, color=colours, yerr=yerr, capsize=3)
    tops = np.asarray(values, dtype=float) if hi is None else np.fmax(np.asarray(hi, dtype=float), values)
    for xi, v, top in zip(x, values, tops):  # the label above the whisker, never on it
        ax.annotate(fmt.format(v), (xi, top), xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                    fontsize=8)
    ax.margins(y=0.12)
    ax.set_xticks(x, labels)


def inconsistent_users(table: pd.DataFrame, scale: str | None = None):
    c = cells.at_scale(table, "census", scale)
    tot = c.groupby(["strategy", "class"]).users.sum().unstack().reindex(list(APPROACHES))
    reps = c[c["class"] == "inconsistent"].groupby("strategy")[["signups", "faulty"]].sum().reindex(list(APPROACHES))
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    _bars(ax, tot.index, tot["inconsistent"], [palette.colour(a) for a in tot.index], fmt="{:.0f}")
    ax.set_ylabel("users left inconsistent (all reps)")
    n, f = int(reps.signups.iloc[0]), int(reps.faulty.iloc[0])
    worst = tot.loc["three_requests"]
    clean0 = [a for a in APPROACHES if tot.loc[a, "inconsistent"] == 0]
    ax.set_title(f"Separate requests left {int(worst['inconsistent'])} users inconsistent; "
                 f"{', '.join(clean0) or 'none'} left none\n({n} signups per approach, {f} faulty on the same schedule, "
                 f"scale {c.scale.iloc[0]})", fontsize=10)
    classes = ", ".join(f"{k} {int(worst[k])}" for k in PROBLEMS if worst.get(k, 0))
    clean = [a for a in APPROACHES if tot.loc[a, "inconsistent"] == 0]
    text = (f"Under the same {f} faults in {n} signups, the three-request flow left {int(worst['inconsistent'])} users "
            f"inconsistent ({worst['inconsistent'] / f:.0%} of the faulty signups; {classes or 'no class'}); "
            f"{', '.join(clean) or 'no approach'} left none.")
    f_rows = table[(table.record == "fault") & (table.scale == c.scale.iloc[0])]
    if "rows_left" in f_rows:
        broke = f_rows[~f_rows.rows_left.isin([0, 5])].groupby(["strategy", "fault"]).size()
        if "three_requests" in broke.index.get_level_values(0):
            by = broke.loc["three_requests"]
            text += (" The three-request flow's inconsistent signups by fault: " +
                     ", ".join(f"{k} {int(by.get(k, 0))}" for k in ("error", "client_dies", "terminate")) +
                     " (after an error or a killed connection its best-effort cleanup still runs).")
    committed = {a: int(tot.loc[a, "complete"]) - int((table[(table.record == "signup") & (table.strategy == a)
                                                             & (table.outcome == "ok") & (table.scale == c.scale.iloc[0])]).shape[0])
                 for a in APPROACHES}
    if any(committed.values()):
        text += (" Signups complete although the client saw an error (the statement committed after the client died): "
                 + ", ".join(f"{a} {k}" for a, k in committed.items()) + ".")
    return fig, text


def signup_latency(table: pd.DataFrame, scale: str | None = None):
    m = cells.medians(cells.at_scale(table, "signup", scale).dropna(subset=["latency_us"]), "strategy").set_index("strategy")
    m = m.reindex([a for a in APPROACHES if a in m.index])
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    _bars(ax, m.index, m.p50_us / 1000, [palette.colour(a) for a in m.index], m.lo_us / 1000, m.hi_us / 1000)
    ax.set_ylabel("median latency per successful signup (ms)")
    ax.set_title("Writing user, profile, state, role and audit entry (no fault)")
    fast = m.p50_us.idxmin()
    text = ("Median signup: " + ", ".join(f"{a} {v / 1000:.2f} ms" for a, v in m.p50_us.items()) +
            f"; the three-request flow takes {m.p50_us['three_requests'] / m.p50_us[fast]:.1f}x {fast} "
            f"(n = {int(m.n.min())}+ per approach, bars: range of per-rep medians).")
    return fig, text


def orphan_census(table: pd.DataFrame):
    o, p = table[table.record == "orphans"], table[table.record == "probe"]
    found = o.pivot_table(index="class", columns="variant", values="rows_found", aggfunc="first")
    verdict = p.pivot_table(index="class", columns="variant", values="verdict", aggfunc="first")
    variants = [v for v in ("star", "relational", "star_nofk") if v in found.columns]
    found, verdict = found[variants], verdict[variants]
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(found) + 1.4))
    colours = np.where(verdict.to_numpy() == "impossible", 0.0, np.where(found.to_numpy() > 0, 1.0, 0.5))
    ax.imshow(colours, cmap=plt.matplotlib.colors.ListedColormap([palette.colour("impossible"), palette.colour("background"), palette.colour("possible")]), aspect="auto",
              vmin=0, vmax=1)
    for i, cls in enumerate(found.index):
        for j, v in enumerate(variants):
            txt = "FK prevents" if verdict.loc[cls, v] == "impossible" else f"{int(found.loc[cls, v]):,}"
            ax.text(j, i, txt, ha="center", va="center", fontsize=7.5)
    ax.set_xticks(range(len(variants)), [palette.label(v) for v in variants])
    ax.set_yticks(range(len(found.index)), found.index)
    ax.grid(False)
    ax.set_title(f"Orphan rows found, scale {o.census_scale.iloc[0]} (green: FK prevents, red: present)")
    counts = {v: int((verdict[v] == "impossible").sum()) for v in variants}
    text = ("Classes the foreign keys make impossible: " + ", ".join(f"{palette.label(v)} {k} of {len(found)}"
                                                                        for v, k in counts.items()) +
            "; every other class is only detected, by its census query, and the soft reference "
            "user_state.current_session_id is unprotected in every variant.")
    return fig, text


def fk_insert(table: pd.DataFrame, scale: str | None = None):
    m = cells.medians(cells.at_scale(table, "fk_insert", scale), ["strategy", "condition"])
    p = m.pivot(index="strategy", columns="condition", values="p50_us")
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    x = np.arange(len(p.index))
    for i, cond in enumerate(("no_fk_in_txn", "fk_in_txn")):
        ax.bar(x + (i - 0.5) * 0.38, p[cond], 0.38, label={"fk_in_txn": "with FK to auth.users", "no_fk_in_txn": "no FK"}[cond],
               color=palette.colour("fk" if cond == "fk_in_txn" else "no_fk"))
    ax.set_xticks(x, p.index)
    ax.set_ylabel("median single-row insert inside a transaction (µs)")
    ax.set_title("Per-row cost of the foreign-key check (FOR KEY SHARE on the user row)")
    ax.legend()
    diff = p["fk_in_txn"] - p["no_fk_in_txn"]
    text = ("Inside a transaction (commit not timed) the foreign key adds " +
            ", ".join(f"{s} {d:+.0f} µs ({d / p.loc[s, 'no_fk_in_txn']:+.0%})" for s, d in diff.items()) +
            " per row; with a commit per insert, as each PostgREST request does, the median insert takes " +
            ", ".join(f"{s} {p.loc[s, 'fk'] / 1000:.2f} ms with and {p.loc[s, 'no_fk'] / 1000:.2f} ms without" for s in p.index) +
            ": the commit, not the check, dominates.")
    return fig, text


def bulk_load(table: pd.DataFrame, scale: str | None = None):
    b = cells.at_scale(table, "bulk", scale)
    m = b.groupby("strategy")[["load_s", "add_fk_s", "validate_s", "total_s"]].median()
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    left = np.zeros(len(m))
    for part, colour in ((p_, palette.colour(p_.removesuffix("_s"))) for p_ in ("load_s", "add_fk_s", "validate_s")):
        ax.barh(m.index, m[part], left=left, color=colour, label=part.removesuffix("_s").replace("_", " "))
        left += m[part].to_numpy()
    ax.set_xlabel("seconds (median of reps)")
    ax.set_title(f"Bulk load of {int(b.rows.iloc[0]):,} audit rows, scale {b.scale.iloc[0]}")
    ax.legend()
    per_row, later = m.loc["per_row_checks", "total_s"], m.loc["not_valid_validate", "total_s"]
    text = (f"Loading {int(b.rows.iloc[0]):,} rows with the foreign key checked per row took {per_row:.2f} s; loading "
            f"without it and adding it NOT VALID + VALIDATE took {later:.2f} s ({per_row / later:.1f}x faster), "
            f"of which VALIDATE was {m.loc['not_valid_validate', 'validate_s']:.2f} s.")
    return fig, text


def cascade_delete(table: pd.DataFrame, scale: str | None = None):
    c = cells.at_scale(table, "cascade", scale)
    m = cells.medians(c, "indexes").set_index("indexes").reindex(["as-written", "indexed"])
    fig, ax = plt.subplots(figsize=(6.5, 4))
    _bars(ax, ["as written (no user_id index)", "user_id indexed"], m.p50_us / 1000, [palette.colour("as-written"), palette.colour("indexed")],
          m.lo_us / 1000, m.hi_us / 1000)
    ax.set_ylabel("median DELETE of the user (ms, rolled back)")
    ax.set_title(f"ON DELETE CASCADE of a user owning {int(c.rows_owned.iloc[0]):,} rows")
    text = (f"Deleting a user who owns {int(c.rows_owned.iloc[0]):,} rows took {m.p50_us['as-written'] / 1000:.1f} ms "
            f"with the memo's DDL and {m.p50_us['indexed'] / 1000:.1f} ms with user_id indexes "
            f"({m.p50_us['as-written'] / m.p50_us['indexed']:.1f}x).")
    return fig, text


def trigger_signup(table: pd.DataFrame, scale: str | None = None):
    m = cells.medians(cells.at_scale(table, "trigger_signup", scale), "strategy").set_index("strategy")
    fig, ax = plt.subplots(figsize=(6.5, 4))
    labels = {"handle_new_user": "trigger (1 INSERT)", "application": "application (3 INSERTs, 1 transaction)"}
    _bars(ax, [labels.get(s, s) for s in m.index], m.p50_us / 1000, [palette.colour(x) for x in m.index],
          m.lo_us / 1000, m.hi_us / 1000)
    ax.set_ylabel("median signup latency (ms)")
    ax.set_title("auth user + profile + user_state")
    r = m.p50_us["application"] / m.p50_us["handle_new_user"]
    text = (f"The memo's trigger signs a user up in {m.p50_us['handle_new_user'] / 1000:.2f} ms (median); the "
            f"application writing the same rows in one transaction takes {m.p50_us['application'] / 1000:.2f} ms "
            f"({r:.2f}x).")
    return fig, text


def lock_wait(table: pd.DataFrame, scale: str | None = None):
    d = cells.at_scale(table, "lock", scale)
    m = cells.medians(d, "strategy").set_index("strategy").reindex(["update_last_sign_in", "delete_user"])
    hold = float(d.hold_ms.iloc[0])
    fig, ax = plt.subplots(figsize=(6.5, 4))
    _bars(ax, ["while last_sign_in_at\nis updated", "while the user\nis deleted"], m.p50_us / 1000,
          [palette.colour(x) for x in m.index], m.lo_us / 1000, m.hi_us / 1000)
    ax.axhline(hold, color=palette.NEUTRAL, ls="--", lw=1)
    ax.text(1.45, hold, f"other transaction open {hold:g} ms", ha="right", va="bottom", fontsize=8)
    ax.set_ylabel("median audit insert for that user (ms)")
    ax.set_title("A spoke insert against a concurrent change of its user")
    blocked = d.groupby("strategy").blocked.mean()
    text = (f"A spoke insert took {m.p50_us['update_last_sign_in'] / 1000:.2f} ms while the user's last_sign_in_at was "
            f"being updated ({blocked.get('update_last_sign_in', 0):.0%} of inserts waited on a lock) and "
            f"{m.p50_us['delete_user'] / 1000:.2f} ms while the user was being deleted "
            f"({blocked.get('delete_user', 0):.0%} waited, until the deleting transaction ended).")
    return fig, text


def soft_references(table: pd.DataFrame, scale: str | None = None):
    d = cells.at_scale(table, "soft_refs", scale)
    m = d.groupby("strategy")[["dangling", "delete_us", "sessions_deleted"]].median()
    m = m.reindex(["soft_reference", "fk_set_null", "fk_set_null_indexed"])
    fig, ax = plt.subplots(figsize=(7, 4))
    names = ["soft reference\n(the memo)", "FK ON DELETE\nSET NULL", "FK + index"]
    _bars(ax, [f"{n}\ndelete: {us / 1000:.0f} ms" for n, us in zip(names, m.delete_us)], m.dangling,
          [palette.colour(x) for x in m.index], fmt="{:.0f}")
    ax.set_ylabel("user_state rows pointing at a deleted session")
    ax.set_title(f"{int(m.sessions_deleted.iloc[0]):,} chat sessions deleted")
    text = (f"Deleting {int(m.sessions_deleted.iloc[0]):,} chat sessions left {int(m.dangling['soft_reference']):,} "
            f"dangling current_session_id pointers with the soft reference and none with a foreign key ON DELETE "
            f"SET NULL; the key made the delete take {m.delete_us['fk_set_null'] / m.delete_us['soft_reference']:.1f}x "
            f"as long without an index on current_session_id and "
            f"{m.delete_us['fk_set_null_indexed'] / m.delete_us['soft_reference']:.1f}x with one.")
    return fig, text


def multixacts(table: pd.DataFrame, scale: str | None = None):
    d = cells.at_scale(table, "multixact", scale)
    m = d.groupby("strategy")[["multixacts", "inserts", "seconds"]].median().reindex(["distinct_users", "same_user"])
    clients = int(d.clients.iloc[0])
    fig, ax = plt.subplots(figsize=(6.5, 4))
    _bars(ax, [f"{clients} writers,\none user each", f"{clients} writers,\nthe same user"], m.multixacts,
          [palette.colour(x) for x in m.index], fmt="{:.0f}")
    ax.set_ylabel("multixacts created per burst (median)")
    ax.set_title(f"Audit bursts of {int(m.inserts.iloc[0]):,} inserts: shared FOR KEY SHARE locks")
    text = (f"{clients} concurrent writers inserting {int(m.inserts.iloc[0]):,} audit rows for one user created "
            f"{m.multixacts['same_user']:.0f} multixacts per burst (median of {d.rep.nunique()}); the same burst "
            f"spread over {clients} users created {m.multixacts['distinct_users']:.0f}.")
    return fig, text
